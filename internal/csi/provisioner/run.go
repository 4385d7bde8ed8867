package provisioner

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/tools/leaderelection"
)

// Version is what --version prints; the sidecar binary may set it.
var Version = "keks"

// Run is the csi-provisioner sidecar: args are its command line without
// the program name, with kubernetes-csi/external-provisioner's flags. It
// returns nil when ctx ends, and an error when it cannot start or must
// stop: the driver connection or the leader election lease was lost.
func Run(ctx context.Context, args []string) error {
	o, err := parseFlags(args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("csi-provisioner: %w", err)
	}
	if o.showVersion {
		fmt.Println("csi-provisioner", Version)
		return nil
	}
	log := newLogger(o, os.Stderr)
	routeKlog(log, o.verbosity)
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
	conn, err := dialDriver(o.csiAddress)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := waitForDriver(ctx, conn, o.timeout, log); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	driver, err := discoverDriver(ctx, conn, o.timeout)
	if err != nil {
		return err
	}
	log.Log(ctx, levelV2, "Detected CSI driver", "name", driver.name)
	return serve(ctx, o, driver, conn, clients, log)
}

// serve runs the controller (as leader, with --leader-election) and the
// diagnostics endpoint until ctx ends or one of them fails.
func serve(ctx context.Context, o *options, driver driverInfo, conn *driverConn, clients kubeClients, log *slog.Logger) error {
	component, err := eventComponent(driver.name)
	if err != nil {
		return err
	}
	events, stopEvents := newEventRecorder(ctx, clients.kube, component, log)
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

	var health *leaderelection.HealthzAdaptor
	if o.leaderElection {
		health = leaderelection.NewLeaderHealthzAdaptor(leaderHealthTimeout)
	}
	g, gctx := errgroup.WithContext(ctx)
	if address := o.diagnosticsAddress(); address != "" {
		g.Go(func() error {
			return serveDiagnostics(gctx, address, diagnostics(health, counters, o.metricsPath), log)
		})
	}
	g.Go(func() error { return conn.awaitLoss(gctx) })
	g.Go(func() error {
		if !o.leaderElection {
			return controller.Run(gctx)
		}
		host, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("get the hostname for the leader election identity: %w", err)
		}
		e := &election{
			kube:            clients.leaderElection,
			lockName:        leaseName(driver.name),
			namespace:       leaseNamespace(o.leaderElectionNamespace),
			identity:        host,
			labels:          o.leaderElectionLabels,
			leaseDuration:   o.leaseDuration,
			renewDeadline:   o.renewDeadline,
			retryPeriod:     o.retryPeriod,
			releaseOnCancel: o.features.enabled(featureReleaseLeaseOnExit),
			events:          events,
			health:          health,
			log:             log,
		}
		return e.run(gctx, controller.Run)
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
