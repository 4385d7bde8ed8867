// Package servertest starts one keks serving its APIs over its real front
// door (SigV4, TLS), without reconcilers, in a directory of its own: what
// tests and benchmarks of the wire layers and of API clients need.
package servertest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/keksdev/keks/internal/server"
)

// Server is a running keks.
type Server struct {
	Models *server.Models
	// HTTP trusts the server's CA.
	HTTP *http.Client
	stop func()
}

// Start runs keks in a new temporary directory named after prefix, on a
// free loopback port, and returns once it serves.
func Start(prefix string) (*Server, error) { return StartWith(prefix, nil) }

// StartWith is Start with configure's changes to keks's configuration
// (nil: none), such as an agents listener.
func StartWith(prefix string, configure func(*server.Config)) (*Server, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	_ = l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan *server.Models, 1)
	done := make(chan error, 1)
	cfg := server.Config{DataDir: dir, Listen: addr, Region: "us-east-1", NoReconcile: true,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Started: func(m *server.Models) { started <- m }}
	if configure != nil {
		configure(&cfg)
	}
	go func() { done <- server.Run(ctx, cfg) }()
	s := &Server{stop: func() { cancel(); <-done; _ = os.RemoveAll(dir) }}
	select {
	case s.Models = <-started:
	case err := <-done:
		cancel()
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("keks did not start: %w", err)
	case <-time.After(60 * time.Second):
		s.Stop()
		return nil, fmt.Errorf("keks did not start in 60s")
	}
	pem, err := os.ReadFile(s.Models.CAFile)
	if err != nil {
		s.Stop()
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	s.HTTP = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	return s, nil
}

// Stop ends the server and removes its directory.
func (s *Server) Stop() { s.stop() }
