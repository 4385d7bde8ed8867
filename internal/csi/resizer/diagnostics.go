package resizer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"k8s.io/client-go/tools/leaderelection"
)

// leaderElectionHealthPath is where csi-lib-utils serves the leader
// election watchdog, which manifests point their liveness probes at.
const leaderElectionHealthPath = "/healthz/leader-election"

// diagnosticsHandler serves the metrics and the leader election health
// check. Without leader election (watchdog nil) the check always passes.
func diagnosticsHandler(metricsPath string, metrics http.Handler, watchdog *leaderelection.HealthzAdaptor) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(metricsPath, metrics)
	mux.HandleFunc(leaderElectionHealthPath, func(w http.ResponseWriter, r *http.Request) {
		if watchdog != nil {
			if err := watchdog.Check(r); err != nil {
				http.Error(w, fmt.Sprintf("internal server error: %v", err), http.StatusInternalServerError)
				return
			}
		}
		fmt.Fprint(w, "ok")
	})
	return mux
}

// serveDiagnostics listens on addr until ctx ends.
func serveDiagnostics(ctx context.Context, addr string, handler http.Handler) error {
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s for metrics and health checks: %w", addr, err)
	}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve metrics and health checks on %s: %w", addr, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("stop serving metrics and health checks: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve metrics and health checks on %s: %w", addr, err)
	}
	return nil
}
