package sidecar

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"

	"k8s.io/client-go/tools/leaderelection"
)

// LeaderHealthPath is where csi-lib-utils serves the leader election
// check, which the driver manifests' liveness probes call.
const LeaderHealthPath = "/healthz/leader-election"

// DiagnosticsFlags say where the metrics and the leader election check are
// served, under csi-lib-utils's names and defaults.
type DiagnosticsFlags struct {
	HTTPEndpoint   string
	MetricsAddress string
	MetricsPath    string
}

// Register adds the flags to fs with upstream's defaults.
func (f *DiagnosticsFlags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.HTTPEndpoint, "http-endpoint", "", "The TCP network address where the HTTP server for metrics and the leader election health check listens (example: `:8080`). Empty disables it.")
	fs.StringVar(&f.MetricsAddress, "metrics-address", "", "(deprecated) The TCP network address where the metrics endpoint listens.")
	fs.StringVar(&f.MetricsPath, "metrics-path", "/metrics", "The HTTP path where metrics are exposed.")
}

// Validate refuses both addresses at once, as upstream does.
func (f DiagnosticsFlags) Validate() error {
	if f.HTTPEndpoint != "" && f.MetricsAddress != "" {
		return errors.New("only one of --metrics-address and --http-endpoint can be set")
	}
	return nil
}

// Address is where the endpoint listens: --http-endpoint, or the
// deprecated --metrics-address; empty for nowhere.
func (f DiagnosticsFlags) Address() string {
	if f.HTTPEndpoint != "" {
		return f.HTTPEndpoint
	}
	return f.MetricsAddress
}

// Serve serves metrics and the leader election check (see
// DiagnosticsHandler) on Address until ctx ends; without an address it
// returns at once.
func (f DiagnosticsFlags) Serve(ctx context.Context, metrics http.Handler, leaderHealth *leaderelection.HealthzAdaptor, log *slog.Logger) error {
	address := f.Address()
	if address == "" {
		return nil
	}
	log.Info("Serving diagnostics", "address", address, "metricsPath", f.MetricsPath)
	if err := ServeHTTP(ctx, address, DiagnosticsHandler(f.MetricsPath, metrics, leaderHealth)); err != nil {
		return fmt.Errorf("serve metrics and the leader election check: %w", err)
	}
	return nil
}

// DiagnosticsHandler serves metrics on metricsPath and the leader election
// check on LeaderHealthPath. Without leader election (leaderHealth nil),
// where upstream has no handler at all, the check always passes, so a
// manifest's liveness probe works either way.
func DiagnosticsHandler(metricsPath string, metrics http.Handler, leaderHealth *leaderelection.HealthzAdaptor) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(metricsPath, metrics)
	mux.HandleFunc(LeaderHealthPath, func(w http.ResponseWriter, r *http.Request) {
		if leaderHealth != nil {
			if err := leaderHealth.Check(r); err != nil {
				http.Error(w, fmt.Sprintf("internal server error: %v", err), http.StatusInternalServerError)
				return
			}
		}
		fmt.Fprint(w, "ok")
	})
	return mux
}
