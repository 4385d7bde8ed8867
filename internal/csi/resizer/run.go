// Package resizer is keks's external-resizer, the CSI sidecar that expands
// volumes when their PVCs ask for more storage (kubernetes-csi's is not
// served by the Go module proxy). It runs beside one driver in the
// driver's controller pod, takes upstream's flags, holds upstream's Lease,
// and writes the PVC and PV fields Kubernetes 1.35+ expects, so an
// unmodified driver and kubelet see what they would with upstream's.
package resizer

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/keksdev/keks/internal/csi/sidecar"
	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Run runs the resizer until ctx ends (nil) or it cannot go on: the
// driver's connection or the Lease was lost, and the container should
// restart.
func Run(ctx context.Context, args []string) error {
	opts, err := parseOptions(args)
	if err != nil {
		return sidecar.ErrorUnlessNothingToRun(err)
	}
	// Upstream logs its details at --v=4 and above.
	log := sidecar.NewLogger(os.Stderr, opts.verbosity, "text").With("sidecar", "csi-resizer")

	restConfig, err := kubeClientConfig(opts)
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return fmt.Errorf("make the Kubernetes client: %w", err)
	}

	metrics := newCSIMetrics()
	conn, err := sidecar.DialDriver(opts.csiAddress, metrics.interceptor)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := sidecar.WaitForDriver(ctx, conn, opts.timeout, log); err != nil {
		return sidecar.ErrorUnlessStopped(ctx, err)
	}
	expander, err := newCSIExpander(ctx, conn, opts.timeout, client)
	if err != nil {
		return sidecar.ErrorUnlessStopped(ctx, err)
	}
	metrics.setDriverName(expander.driverName)
	log = log.With("driver", expander.driverName)
	log.Info("CSI driver ready")

	return sidecar.ErrorUnlessStopped(ctx, runResizer(ctx, opts, restConfig, client, conn, expander, metrics, log))
}

func runResizer(ctx context.Context, opts options, restConfig *rest.Config, client kubernetes.Interface, conn *sidecar.DriverConn, expander *csiExpander, metrics *csiMetrics, log *slog.Logger) error {
	recorder, stopEvents := sidecar.NewEventRecorder(ctx, client, "external-resizer "+expander.driverName, log)
	defer stopEvents()

	factory := informers.NewSharedInformerFactory(client, opts.resyncPeriod)
	ctrl, err := newController(controllerConfig{
		driverName:             expander.driverName,
		expander:               expander,
		client:                 client,
		recorder:               recorder,
		log:                    log,
		resyncPeriod:           opts.resyncPeriod,
		retryIntervalStart:     opts.retryIntervalStart,
		retryIntervalMax:       opts.retryIntervalMax,
		handleVolumeInUseError: opts.handleVolumeInUseError,
	}, factory)
	if err != nil {
		return err
	}
	resize := func(ctx context.Context) error {
		factory.Start(ctx.Done())
		defer factory.Shutdown()
		return ctrl.run(ctx, opts.workers)
	}
	// A client of its own, so the controller's requests never delay the
	// Lease's renewal behind the same rate limiter.
	leaseClient, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return fmt.Errorf("make the leader election client: %w", err)
	}
	leaderHealth := opts.leaderElection.HealthCheck()

	group, groupCtx := errgroup.WithContext(ctx)
	group.Go(func() error { return conn.AwaitLoss(groupCtx) })
	diagnosticsCtx, stopDiagnostics := context.WithCancel(groupCtx)
	defer stopDiagnostics()
	group.Go(func() error { return opts.diagnostics.Serve(diagnosticsCtx, metrics.handler(), leaderHealth, log) })
	group.Go(func() error {
		defer stopDiagnostics()
		return sidecar.Election{
			Client: leaseClient,
			Lease:  leaseName(expander.driverName),
			Flags:  opts.leaderElection,
			Health: leaderHealth,
			Log:    log,
		}.Run(groupCtx, resize)
	})
	return group.Wait()
}

// kubeClientConfig is the shared client configuration, in protobuf (the
// resizer only reads and writes built-in types) and named as upstream's.
func kubeClientConfig(opts options) (*rest.Config, error) {
	config, err := opts.kube.RESTConfig()
	if err != nil {
		return nil, err
	}
	config.ContentType = runtime.ContentTypeProtobuf
	config.UserAgent = "csi-resizer"
	return config, nil
}
