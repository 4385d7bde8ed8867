// Package livenessprobe is keks's livenessprobe, the CSI sidecar that
// turns a driver's Probe into an HTTP health check for the kubelet's
// liveness probe (kubernetes-csi's is not served by the Go module proxy).
package livenessprobe

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/keksdev/keks/internal/csi/sidecar"
)

// Run serves /healthz until ctx ends.
func Run(ctx context.Context, args []string) error {
	opts, err := parseOptions(args)
	if err != nil {
		return sidecar.ErrorUnlessNothingToRun(err)
	}
	// From --v=4 up each probe is logged (upstream logs them at 5).
	log := sidecar.NewLogger(os.Stderr, opts.verbosity, "text").With("sidecar", "livenessprobe")

	log.Info("calling the CSI driver to discover its name", "address", opts.csiAddress)
	name, err := driverName(ctx, opts.csiAddress)
	if err != nil {
		// A driver without GetPluginInfo is broken beyond what a probe
		// can report.
		return sidecar.ErrorUnlessStopped(ctx, err)
	}
	log = log.With("driver", name)
	log.Info("serving health checks", "address", opts.address())
	check := &healthCheck{csiAddress: opts.csiAddress, timeout: opts.probeTimeout, log: log}
	if err := sidecar.ServeHTTP(ctx, opts.address(), healthHandler(check)); err != nil {
		return fmt.Errorf("serve health checks: %w", err)
	}
	return nil
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
