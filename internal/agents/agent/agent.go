// Package agent is `keks agent`: it joins a host to a keks server (once,
// with a join token, trusting the server by its CA's key hash), then
// reports the host's capacity and addresses every 10 s over mutual TLS and
// runs the instances keks assigns the host: it long-polls its assignments,
// converges the host to them with internal/instance (as keks's node
// controller does on keks's own host), reports each instance's state, makes
// the host's NAT, Service-range and metadata rules (internal/hostnet),
// and proxies its instances' metadata requests to keks. Instances on
// different hosts do not reach each other yet (scale-out step 7).
package agent

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/keksdev/keks/internal/agents"
)

// DefaultInterval is how often an agent reports: well inside the 40 s after
// which keks calls its host NotReady.
const DefaultInterval = 10 * time.Second

// Config is one agent's.
type Config struct {
	// Server is the keks agents listener, https://host:port.
	Server string
	// Token and CACertHash are for the first run only: the join token and
	// keks's CA's discovery hash (sha256:<hex>).
	Token, CACertHash string
	// Zone is the host's availability zone, recorded at join.
	Zone string
	// DataDir keeps the key, certificate and CAs (0600).
	DataDir string
	// Addresses are reported as the host's; empty means the address this
	// host reaches the server from.
	Addresses []string
	Version   string
	// Interval between heartbeats; zero means DefaultInterval.
	Interval time.Duration
	// Capacity, if set, replaces reading the host's own (tests).
	Capacity func() (agents.Capacity, error)
	Log      *slog.Logger

	// K8sDir holds the Kubernetes builds instances run (k8sbuild.Dir);
	// empty runs no instances: the agent only reports (tests of the join).
	K8sDir string
	// KeksBinary is keks's executable, for the kubelet's credential
	// plugin; empty is this process's.
	KeksBinary string
	// MetadataAddress is where the agent's metadata proxy listens
	// (host:port, put on the host like keks's own, imds.Listen); what
	// instances send to 169.254.169.254:80 goes there. Empty serves and
	// redirects nothing, and instances get no credentials.
	MetadataAddress string
}

// Run joins if this data directory has not, then reports, and runs the
// instances keks assigns the host (with a K8sDir), until ctx ends.
// It returns at once on what waiting cannot fix: a refused join, a server
// that is not the one the hash names, a host keks has deleted.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	id, err := joinWaiting(ctx, cfg)
	if err != nil || id == nil {
		return err // nil, nil: ctx ended while waiting
	}
	log := cfg.Log.With("host", id.HostID, "server", id.Server)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return heartbeats(ctx, cfg, id, log) })
	if cfg.K8sDir == "" {
		log.Info("agent running; capacity is reported, no instances run here (no Kubernetes directory given)", "every", cfg.Interval)
	} else {
		log.Info("agent running; capacity is reported, and instances keks assigns this host run here", "every", cfg.Interval, "k8sDir", cfg.K8sDir)
		g.Go(func() error { return runInstances(ctx, cfg, id, log) })
	}
	return g.Wait()
}

// heartbeats reports until ctx ends, or keks no longer knows the host.
func heartbeats(ctx context.Context, cfg Config, id *Identity, log *slog.Logger) error {
	healthy := false
	t := time.NewTicker(cfg.Interval)
	defer t.Stop()
	for {
		resp, err := heartbeat(ctx, cfg, id)
		switch {
		case errors.Is(err, errUnknownHost):
			return err
		case err != nil && ctx.Err() == nil:
			log.Warn("waiting for keks to take a heartbeat", "err", err, "retry", cfg.Interval)
			healthy = false
		case err == nil && !healthy:
			log.Info("heartbeats taken", "state", resp.State)
			healthy = true
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

var errUnknownHost = errors.New("keks no longer knows this host")

// joinWaiting joins, trying again while keks does not answer (it may be
// starting); an answer that refuses, or a server that is not the keks the
// hash names, ends it.
func joinWaiting(ctx context.Context, cfg Config) (*Identity, error) {
	for {
		id, err := Join(ctx, cfg)
		var transient *transientError
		if !errors.As(err, &transient) {
			return id, err
		}
		cfg.Log.Warn("waiting for keks to answer the join", "server", cfg.Server, "err", err, "retry", cfg.Interval)
		select {
		case <-ctx.Done():
			return nil, nil
		case <-time.After(cfg.Interval):
		}
	}
}

// heartbeat reports the host's capacity and addresses once.
func heartbeat(ctx context.Context, cfg Config, id *Identity) (*agents.HeartbeatResponse, error) {
	hb := agents.Heartbeat{AgentVersion: cfg.Version}
	var err error
	if hb.Capacity, err = capacity(cfg); err != nil {
		return nil, err
	}
	if hb.Addresses, err = addresses(cfg, id.Server); err != nil {
		return nil, err
	}
	var resp agents.HeartbeatResponse
	if err := call(ctx, id.client, id.Server, "/keks/agents/v1/heartbeat", hb, &resp); err != nil {
		var refused *refusal
		if errors.As(err, &refused) && refused.Code == agents.CodeUnknownHost {
			return nil, fmt.Errorf("%w (%s): remove %s and join again with a new token", errUnknownHost, refused.Message, cfg.DataDir)
		}
		return nil, err
	}
	return &resp, nil
}

// refusal is an error the agents listener answered with.
type refusal struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (r *refusal) Error() string {
	return fmt.Sprintf("keks refused (%d %s): %s", r.Status, r.Code, r.Message)
}

// refusalOf is an answer that is not a success, with keks's code and
// message when it sent them.
func refusalOf(resp *http.Response, data []byte) *refusal {
	r := &refusal{Status: resp.StatusCode}
	if json.Unmarshal(data, r) != nil || r.Code == "" {
		r.Code, r.Message = resp.Status, string(bytes.TrimSpace(data))
	}
	return r
}

// call POSTs in as JSON to server+path and decodes the answer into out
// (unless out is nil).
func call(ctx context.Context, client *http.Client, server, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, server+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("reach keks at %s: %w", server, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read keks's answer to %s: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		return refusalOf(resp, data)
	}
	if out == nil {
		return nil // the answer says nothing the caller needs
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("keks's answer to %s: %w", path, err)
	}
	return nil
}

// addresses are the configured ones, or the one this host reaches the
// server from (a UDP "dial" sends nothing; it only picks the route).
func addresses(cfg Config, server string) ([]string, error) {
	if len(cfg.Addresses) > 0 {
		return cfg.Addresses, nil
	}
	u, err := url.Parse(server)
	if err != nil {
		return nil, fmt.Errorf("server %q: %w", server, err)
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	c, err := net.Dial("udp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return nil, fmt.Errorf("find the address this host reaches %s from (give --address): %w", u.Host, err)
	}
	defer c.Close()
	return []string{c.LocalAddr().(*net.UDPAddr).IP.String()}, nil
}

// tlsClient is an HTTPS client with tc.
func tlsClient(tc *tls.Config) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: true}}
}
