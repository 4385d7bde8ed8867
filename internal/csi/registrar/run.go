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
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/keksdev/keks/internal/csi/sidecar"
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
	if err != nil {
		return sidecar.ErrorUnlessNothingToRun(err)
	}
	if opts.kubeletRegistrationPath == "" {
		return errors.New("--kubelet-registration-path is required")
	}
	if opts.mode == modeRegistrationProbe {
		return nil
	}
	// Upstream logs its details at --v=4 and above.
	log := sidecar.NewLogger(os.Stderr, opts.verbosity, "text").With("sidecar", "csi-node-driver-registrar")

	name, err := driverName(ctx, opts.csiAddress, opts.timeout)
	if err != nil {
		return sidecar.ErrorUnlessStopped(ctx, err)
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
		group.Go(func() error {
			if err := sidecar.ServeHTTP(groupCtx, addr, healthHandler(check, opts.enablePprof)); err != nil {
				return fmt.Errorf("serve health checks: %w", err)
			}
			return nil
		})
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
