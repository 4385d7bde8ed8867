// Package resizer is keks's external-resizer, the CSI sidecar that expands
// volumes when their PVCs ask for more storage (kubernetes-csi's is not
// served by the Go module proxy). It runs beside one driver in the
// driver's controller pod, takes upstream's flags, holds upstream's Lease,
// and writes the PVC and PV fields Kubernetes 1.35+ expects, so an
// unmodified driver and kubelet see what they would with upstream's.
package resizer

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/record"
)

// leaderHealthTimeout is how far past a missed renewal the leader
// election health check fails, csi-lib-utils' default.
const leaderHealthTimeout = 20 * time.Second

// Run runs the resizer until ctx ends (nil) or it cannot go on: the
// driver's connection or the Lease was lost, and the container should
// restart.
func Run(ctx context.Context, args []string) error {
	opts, err := parseOptions(args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if opts.showVersion {
		fmt.Println("csi-resizer (keks)")
		return nil
	}
	log := newLogger(opts.verbosity)

	restConfig, err := kubeClientConfig(opts)
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return fmt.Errorf("make the Kubernetes client: %w", err)
	}

	metrics := newCSIMetrics()
	conn, err := dialCSI(opts.csiAddress, metrics.interceptor)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := waitForDriver(ctx, conn, opts.timeout, log); err != nil {
		return endError(ctx, err)
	}
	expander, err := newCSIExpander(ctx, conn, opts.timeout, client)
	if err != nil {
		return endError(ctx, err)
	}
	metrics.setDriverName(expander.driverName)
	log = log.With("driver", expander.driverName)
	log.Info("CSI driver ready")

	return endError(ctx, runResizer(ctx, opts, restConfig, client, conn, expander, metrics, log))
}

// endError is what Run reports: nothing once the caller asked it to stop,
// as errors are then only the stop's echo.
func endError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func runResizer(ctx context.Context, opts options, restConfig *rest.Config, client kubernetes.Interface, conn *grpc.ClientConn, expander *csiExpander, metrics *csiMetrics, log *slog.Logger) error {
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	defer broadcaster.Shutdown()
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events(v1.NamespaceAll)})
	recorder := broadcaster.NewRecorder(scheme.Scheme, v1.EventSource{Component: "external-resizer " + expander.driverName})

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

	var watchdog *leaderelection.HealthzAdaptor
	if opts.leaderElection {
		watchdog = leaderelection.NewLeaderHealthzAdaptor(leaderHealthTimeout)
	}
	group, groupCtx := errgroup.WithContext(ctx)
	group.Go(func() error { return watchConnection(groupCtx, conn) })
	diagnosticsCtx, stopDiagnostics := context.WithCancel(groupCtx)
	defer stopDiagnostics()
	if addr := opts.diagnosticsAddress(); addr != "" {
		handler := diagnosticsHandler(opts.metricsPath, metrics.handler(), watchdog)
		group.Go(func() error { return serveDiagnostics(diagnosticsCtx, addr, handler) })
	}
	group.Go(func() error {
		defer stopDiagnostics()
		if !opts.leaderElection {
			return resize(groupCtx)
		}
		// A client of its own, so the controller's requests never delay
		// the Lease's renewal behind the same rate limiter.
		leaseClient, err := kubernetes.NewForConfig(restConfig)
		if err != nil {
			return fmt.Errorf("make the leader election client: %w", err)
		}
		return runAsLeader(groupCtx, leaderElectionConfig{
			client:    leaseClient,
			lease:     leaseName(expander.driverName),
			namespace: leaseNamespace(opts.leaderElectionNamespace),
			labels:    opts.leaderElectionLabels,
			opts:      opts,
			watchdog:  watchdog,
			log:       log,
		}, resize)
	})
	return group.Wait()
}

// kubeClientConfig is --kubeconfig (or --master) if given, else the pod's
// service account.
func kubeClientConfig(opts options) (*rest.Config, error) {
	var config *rest.Config
	var err error
	if opts.kubeconfig != "" || opts.master != "" {
		config, err = clientcmd.BuildConfigFromFlags(opts.master, opts.kubeconfig)
	} else {
		config, err = rest.InClusterConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("load the Kubernetes client configuration: %w", err)
	}
	config.QPS = float32(opts.kubeAPIQPS)
	config.Burst = opts.kubeAPIBurst
	config.ContentType = runtime.ContentTypeProtobuf
	config.UserAgent = "csi-resizer"
	return config, nil
}

// newLogger maps klog's --v onto slog: upstream logs its details at 4
// and above.
func newLogger(verbosity int) *slog.Logger {
	level := slog.LevelInfo
	if verbosity >= 4 {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("sidecar", "csi-resizer")
}
