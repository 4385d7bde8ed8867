// Package registrar is keks's node-driver-registrar, the CSI sidecar
// that introduces a node's CSI driver to the kubelet (kubernetes-csi's is
// not served by the Go module proxy). It serves the kubelet's plugin
// registration API on <plugin-registration-path>/<driver>-reg.sock, which
// the kubelet's plugin watcher finds, and tells the kubelet where the
// driver's own socket is on the host.
package registrar

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	registerapi "k8s.io/kubelet/pkg/apis/pluginregistration/v1"
)

// gracefulStopTimeout bounds how long a stopping registrar waits for the
// kubelet's calls in flight.
const gracefulStopTimeout = 5 * time.Second

// Run registers the driver with the kubelet and serves the registration
// socket until ctx ends (nil) or the kubelet reports the registration
// failed (an error, so the container restarts).
func Run(ctx context.Context, args []string) error {
	opts, err := parseOptions(args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if opts.showVersion {
		fmt.Println("csi-node-driver-registrar (keks)")
		return nil
	}
	if opts.kubeletRegistrationPath == "" {
		return errors.New("--kubelet-registration-path is required")
	}
	if opts.mode == modeRegistrationProbe {
		return nil
	}
	log := newLogger(opts.verbosity)

	name, err := driverName(ctx, opts.csiAddress, opts.timeout)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	log = log.With("driver", name)
	log.Info("CSI driver found", "endpoint", opts.kubeletRegistrationPath)
	return serveRegistration(ctx, opts, name, log)
}

func serveRegistration(ctx context.Context, opts options, name string, log *slog.Logger) error {
	socketPath := filepath.Join(opts.pluginRegistrationPath, name+"-reg.sock")
	listener, err := listenUnix(socketPath)
	if err != nil {
		return fmt.Errorf("open the registration socket: %w", err)
	}
	// The kubelet forgets a plugin whose socket disappears; leaving none
	// behind tells it the registrar is gone.
	defer func() {
		if err := os.Remove(socketPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.Error("remove the registration socket", "path", socketPath, "err", err)
		}
	}()

	registration := newRegistrationServer(name, opts.kubeletRegistrationPath, log)
	server := grpc.NewServer()
	registerapi.RegisterRegistrationServer(server, registration)
	log.Info("serving the registration socket", "path", socketPath)

	group, groupCtx := errgroup.WithContext(ctx)
	group.Go(func() error {
		if err := server.Serve(listener); err != nil {
			return fmt.Errorf("serve the registration socket %s: %w", socketPath, err)
		}
		return nil
	})
	group.Go(func() error {
		defer stopGracefully(server)
		select {
		case <-groupCtx.Done():
			return nil
		case err := <-registration.failed:
			return err
		}
	})
	if addr := opts.healthAddress(); addr != "" {
		check := &healthCheck{socketPath: socketPath, server: registration, timeout: opts.timeout, log: log}
		group.Go(func() error { return serveHealth(groupCtx, addr, healthHandler(check, opts.enablePprof)) })
	}
	return group.Wait()
}

// stopGracefully lets the kubelet's calls in flight finish (the failure
// notification is one), within gracefulStopTimeout.
func stopGracefully(server *grpc.Server) {
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		server.GracefulStop()
	}()
	select {
	case <-stopped:
	case <-time.After(gracefulStopTimeout):
		server.Stop()
		<-stopped
	}
}

// serveHealth serves handler on addr until ctx ends.
func serveHealth(ctx context.Context, addr string, handler http.Handler) error {
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s for health checks: %w", addr, err)
	}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve health checks on %s: %w", addr, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), gracefulStopTimeout)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("stop serving health checks: %w", err)
	}
	<-served
	return nil
}

// newLogger maps klog's --v onto slog: upstream logs its details at 4
// and above.
func newLogger(verbosity int) *slog.Logger {
	level := slog.LevelInfo
	if verbosity >= 4 {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("sidecar", "csi-node-driver-registrar")
}
