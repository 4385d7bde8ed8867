package provisioner

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/keksdev/keks/internal/csi/sidecar"
	"golang.org/x/sync/errgroup"
)

// Version is what --version prints; the sidecar binary may set it.
var Version = "keks"

// Run is the csi-provisioner sidecar: args are its command line without
// the program name, with kubernetes-csi/external-provisioner's flags. It
// returns nil when ctx ends, and an error when it cannot start or must
// stop: the driver connection or the leader election lease was lost.
func Run(ctx context.Context, args []string) error {
	o, err := parseFlags(args, os.Stderr)
	if err != nil {
		return sidecar.ErrorUnlessNothingToRun(fmt.Errorf("csi-provisioner: %w", err))
	}
	log := sidecar.NewLogger(os.Stderr, o.verbosity, o.loggingFormat)
	sidecar.RouteKlog(log, o.verbosity)
	log.Info("Version", "version", Version)
	if o.enableCapacity {
		log.Warn("--enable-capacity is not implemented by keks's csi-provisioner: no CSIStorageCapacity objects are published")
	}

	config, err := restConfig(o)
	if err != nil {
		return err
	}
	clients, err := newKubeClients(config)
	if err != nil {
		return err
	}
	conn, err := sidecar.DialDriver(o.csiAddress)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := sidecar.WaitForDriver(ctx, conn, o.timeout, log); err != nil {
		return sidecar.ErrorUnlessStopped(ctx, err)
	}
	driver, err := discoverDriver(ctx, conn, o.timeout)
	if err != nil {
		return err
	}
	log.Log(ctx, sidecar.LevelV2, "Detected CSI driver", "name", driver.name)
	return serve(ctx, o, driver, conn, clients, log)
}

// serve runs the controller (as leader, with --leader-election) and the
// diagnostics endpoint until ctx ends or one of them fails.
func serve(ctx context.Context, o *options, driver driverInfo, conn *sidecar.DriverConn, clients kubeClients, log *slog.Logger) error {
	component, err := eventComponent(driver.name)
	if err != nil {
		return err
	}
	events, stopEvents := sidecar.NewEventRecorder(ctx, clients.kube, component, log)
	defer stopEvents()

	counters := &metrics{}
	controller, err := newController(controllerDeps{
		driver:   driver,
		settings: o.settings(),
		kube:     clients.kube,
		dynamic:  clients.dynamic,
		csi:      csi.NewControllerClient(conn),
		events:   events,
		log:      log,
		identity: strconv.FormatInt(time.Now().UnixMilli(), 10) + "-" + strconv.Itoa(rand.IntN(10000)) + "-" + driver.name,
		metrics:  counters,
	})
	if err != nil {
		return err
	}
	// Run shuts it down too; this is for a replica that never led.
	defer controller.shutDown()

	leaderHealth := o.leaderElection.HealthCheck()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return o.diagnostics.Serve(gctx, counters, leaderHealth, log) })
	g.Go(func() error { return conn.AwaitLoss(gctx) })
	g.Go(func() error {
		return sidecar.Election{
			Client:          clients.leaderElection,
			Lease:           leaseName(driver.name),
			Flags:           o.leaderElection,
			ReleaseOnCancel: o.features.enabled(featureReleaseLeaseOnExit),
			Events:          events,
			Health:          leaderHealth,
			Log:             log,
		}.Run(gctx, controller.Run)
	})
	return g.Wait()
}

// settings are the options the controller acts on.
func (o *options) settings() settings {
	return settings{
		timeout:                     o.timeout,
		volumeNamePrefix:            o.volumeNamePrefix,
		volumeNameUUIDLength:        o.volumeNameUUIDLength,
		retryIntervalStart:          o.retryIntervalStart,
		retryIntervalMax:            o.retryIntervalMax,
		workers:                     int(o.workerThreads),
		strictTopology:              o.strictTopology,
		immediateTopology:           o.immediateTopology,
		extraCreateMetadata:         o.extraCreateMetadata,
		defaultFSType:               o.defaultFSType,
		controllerPublishReadOnly:   o.controllerPublishReadOnly,
		preventVolumeModeConversion: o.preventVolumeModeConversion,
		topology:                    o.features.enabled(featureTopology),
		volumeAttributesClass:       o.features.enabled(featureVolumeAttributesClass),
	}
}
