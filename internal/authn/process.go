package authn

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"
)

// ProcessConfig configures the authenticator process (`keks authenticator`)
// that runs beside each API server, as aws-iam-authenticator does on EKS.
type ProcessConfig struct {
	Listen   string `json:"listen"`
	CertFile string `json:"certFile"`
	KeyFile  string `json:"keyFile"`
	Snapshot string `json:"snapshot"`
}

// Port is where authenticators listen on their instance's address, as on EKS.
const Port = "21362"

// Serve runs an authenticator until ctx ends. It verifies tokens against
// the snapshot file keks keeps current, so it goes on working while keks
// itself is down.
func Serve(ctx context.Context, configPath string, log *slog.Logger) error {
	data, err := os.ReadFile(configPath)
	if err != nil {
		return err
	}
	var cfg ProcessConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("parse %s: %w", configPath, err)
	}
	cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
	if err != nil {
		return fmt.Errorf("load serving certificate: %w", err)
	}
	file := &SnapshotFile{Path: cfg.Snapshot}
	cluster := func() (ClusterIdentity, error) {
		s, err := file.Load()
		if err != nil {
			return ClusterIdentity{}, err
		}
		return s.Cluster, nil
	}
	wh := &Webhook{
		Verifier: &Verifier{Keys: file, Now: time.Now, Hosts: func() []string {
			if s, err := file.Load(); err == nil {
				return s.STSHosts
			}
			return nil
		}},
		Cluster: cluster,
		Log:     log,
	}
	mux := http.NewServeMux()
	mux.Handle("POST /authenticate", wh)
	mux.Handle("POST /authorize", &Authorizer{Cluster: cluster, Log: log})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if _, err := file.Load(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	srv := &http.Server{Addr: cfg.Listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Info("authenticator serving", "listen", cfg.Listen)
	if err := srv.ListenAndServeTLS("", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
