package provisioner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"k8s.io/client-go/tools/leaderelection"
)

// leaderHealthPath is where csi-lib-utils serves the leader election check
// that the driver manifests' liveness probes call.
const leaderHealthPath = "/healthz/leader-election"

// diagnostics is the --http-endpoint handler: the leader election check
// (always healthy without leader election, where upstream has no handler
// at all) and the metrics.
func diagnostics(health *leaderelection.HealthzAdaptor, m *metrics, metricsPath string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(leaderHealthPath, func(w http.ResponseWriter, r *http.Request) {
		if health != nil {
			if err := health.Check(r); err != nil {
				http.Error(w, fmt.Sprintf("internal server error: %v", err), http.StatusInternalServerError)
				return
			}
		}
		_, _ = w.Write([]byte("ok"))
	})
	mux.Handle(metricsPath, m)
	return mux
}

// serveDiagnostics serves until ctx ends.
func serveDiagnostics(ctx context.Context, address string, handler http.Handler, log *slog.Logger) error {
	listener, err := (&net.ListenConfig{}).Listen(ctx, "tcp", address)
	if err != nil {
		return fmt.Errorf("listen on --http-endpoint %s: %w", address, err)
	}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	log.Info("Serving diagnostics", "address", listener.Addr().String())
	select {
	case err := <-served:
		return fmt.Errorf("serve --http-endpoint %s: %w", address, err)
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err := server.Shutdown(shutdownCtx)
		if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) {
			return serveErr
		}
		return err
	}
}
