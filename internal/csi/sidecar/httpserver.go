package sidecar

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// shutdownTimeout bounds how long a stopping sidecar waits for the HTTP
// requests in flight (a probe, a scrape).
const shutdownTimeout = 5 * time.Second

// ServeHTTP serves handler on address until ctx ends, then shuts the
// server down gracefully. It returns an error only when it could not
// listen or the server failed.
func ServeHTTP(ctx context.Context, address string, handler http.Handler) error {
	listener, err := (&net.ListenConfig{}).Listen(ctx, "tcp", address)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", address, err)
	}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve HTTP on %s: %w", address, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	shutdownErr := server.Shutdown(shutdownCtx)
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve HTTP on %s: %w", address, err)
	}
	if shutdownErr != nil {
		return fmt.Errorf("stop serving HTTP on %s: %w", address, shutdownErr)
	}
	return nil
}
