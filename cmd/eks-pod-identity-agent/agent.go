package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// agent answers the node's pods.
type agent struct {
	auth  assumer
	cache *credentialCache
	now   func() time.Time
	log   *slog.Logger
}

// assumer exchanges a pod's token for credentials (EKS Auth).
type assumer interface {
	assume(ctx context.Context, token string) (*credentials, error)
}

// credentials are a pod's, as the container credentials provider of every
// SDK reads them.
type credentials struct {
	AccessKeyID     string    `json:"AccessKeyId"`
	SecretAccessKey string    `json:"SecretAccessKey"`
	Token           string    `json:"Token"`
	AccountID       string    `json:"AccountId,omitempty"`
	Expiration      time.Time `json:"Expiration"`
}

// authError is EKS Auth's refusal, passed on to the pod with its status.
type authError struct {
	status      int
	code, error string
}

func (e *authError) Error() string { return e.code + ": " + e.error }

func (a *agent) serve(ctx context.Context, listen, probe string) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/credentials", a.credentials)
	health := http.NewServeMux()
	ok := func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }
	health.HandleFunc("GET /healthz", ok)
	health.HandleFunc("GET /readyz", ok)
	servers := []*http.Server{
		{Addr: listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		{Addr: probe, Handler: health, ReadHeaderTimeout: 10 * time.Second},
	}
	errs := make(chan error, len(servers))
	for _, s := range servers {
		go func() { errs <- s.ListenAndServe() }()
	}
	a.log.Info("pod identity agent serving", "listen", listen, "probe", probe)
	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	for _, s := range servers {
		_ = s.Shutdown(sctx)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// refreshBefore is how long before expiry cached credentials are renewed,
// so a pod never gets credentials about to expire.
const refreshBefore = 15 * time.Minute

func (a *agent) credentials(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimSpace(r.Header.Get("Authorization"))
	if token == "" {
		writeError(w, http.StatusBadRequest, "InvalidParameterException", "Service account token cannot be empty")
		return
	}
	creds, ok := a.cache.get(token, a.now().Add(refreshBefore))
	if !ok {
		var err error
		creds, err = a.auth.assume(r.Context(), token)
		var ae *authError
		switch {
		case errors.As(err, &ae):
			a.log.Info("credentials refused", "code", ae.code, "message", ae.error)
			writeError(w, ae.status, ae.code, ae.error)
			return
		case err != nil:
			a.log.Warn("credentials not fetched", "err", err)
			writeError(w, http.StatusInternalServerError, "InternalServerException", err.Error())
			return
		}
		a.cache.put(token, creds, a.now())
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(creds)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"code": code, "message": message})
}
