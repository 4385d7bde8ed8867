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

	"github.com/keksdev/keks/internal/fargate"
	"github.com/keksdev/keks/internal/podidentity"
)

// ProcessConfig configures the authenticator process (`keks authenticator`)
// that runs beside each API server, as aws-iam-authenticator does on EKS.
type ProcessConfig struct {
	Listen   string `json:"listen"`
	CertFile string `json:"certFile"`
	KeyFile  string `json:"keyFile"`
	Snapshot string `json:"snapshot"`
	// PodIdentityWebhook, when set, has the process also serve the pod
	// identity webhook (IRSA and Pod Identity), as EKS runs it beside each
	// API server.
	PodIdentityWebhook *podidentity.Config `json:"podIdentityWebhook,omitempty"`
	// FargateProfiles, when set, is the cluster's Fargate profiles file:
	// the webhook listener then also serves EKS's Fargate webhooks.
	FargateProfiles string `json:"fargateProfiles,omitempty"`
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
	if cfg.PodIdentityWebhook != nil {
		done := make(chan struct{})
		defer func() { <-done }()
		wctx, cancel := context.WithCancel(ctx)
		defer cancel() // runs first: the webhook stops with the authenticator
		go func() {
			defer close(done)
			// Authentication goes on if the webhook cannot run: pods are then
			// admitted unmutated (its failurePolicy is Ignore), as on EKS.
			wlog := log.With("component", "pod-identity-webhook")
			h, err := podidentity.Handler(wctx, *cfg.PodIdentityWebhook, wlog)
			if err == nil && cfg.FargateProfiles != "" {
				mux := http.NewServeMux()
				mux.Handle("/", h)
				mux.Handle("/fargate/", (&fargate.Webhook{ProfilesPath: cfg.FargateProfiles}).Handler())
				h = mux
			}
			if err == nil {
				wlog.Info("pod identity webhook serving", "listen", cfg.PodIdentityWebhook.Listen)
				err = serveTLS(wctx, cfg.PodIdentityWebhook.Listen, h, cert)
			}
			if err != nil {
				wlog.Error("pod identity webhook stopped", "err", err)
			}
		}()
	}
	log.Info("authenticator serving", "listen", cfg.Listen)
	return serveTLS(ctx, cfg.Listen, mux, cert)
}

// serveTLS serves h on addr with cert until ctx ends.
func serveTLS(ctx context.Context, addr string, h http.Handler, cert tls.Certificate) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.ListenAndServeTLS("", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
