// Package livenessprobe is keks's livenessprobe, the CSI sidecar that
// turns a driver's Probe into an HTTP health check for the kubelet's
// liveness probe (kubernetes-csi's is not served by the Go module proxy).
package livenessprobe

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"
)

// Run serves /healthz until ctx ends.
func Run(ctx context.Context, args []string) error {
	opts, err := parseOptions(args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if opts.showVersion {
		fmt.Println("livenessprobe (keks)")
		return nil
	}
	log := newLogger(opts.verbosity)

	log.Info("calling the CSI driver to discover its name", "address", opts.csiAddress)
	name, err := driverName(ctx, opts.csiAddress)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		// A driver without GetPluginInfo is broken beyond what a probe
		// can report.
		return err
	}
	log = log.With("driver", name)
	log.Info("serving health checks", "address", opts.address())
	check := &healthCheck{csiAddress: opts.csiAddress, timeout: opts.probeTimeout, log: log}
	return serve(ctx, opts.address(), healthHandler(check))
}

// healthCheck is /healthz: 200 "ok" when the driver's Probe says ready,
// 500 with the reason otherwise.
type healthCheck struct {
	csiAddress string
	timeout    time.Duration
	log        *slog.Logger
}

func (h *healthCheck) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	if err := probe(ctx, h.csiAddress); err != nil {
		h.log.Error("health check failed", "err", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h.log.Debug("health check succeeded")
	fmt.Fprint(w, "ok")
}

func healthHandler(check *healthCheck) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/healthz", check)
	return mux
}

// serve serves handler on addr until ctx ends.
func serve(ctx context.Context, addr string, handler http.Handler) error {
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
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("stop serving health checks: %w", err)
	}
	<-served
	return nil
}

// newLogger maps klog's --v onto slog: from 4 up, each probe is logged
// (upstream logs them at 5).
func newLogger(verbosity int) *slog.Logger {
	level := slog.LevelInfo
	if verbosity >= 4 {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("sidecar", "livenessprobe")
}
