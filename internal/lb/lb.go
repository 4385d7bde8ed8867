// Package lb is keks's network load balancer: in front of a cluster's API
// servers (the NLB of EKS's endpoint) and of Services of type LoadBalancer.
// A TCP proxy that health-checks each backend (an HTTPS path, or a TCP
// connect), sends new connections only to healthy backends, and fails over
// on connect errors, so that losing one backend loses no request. It runs as
// its own process (`keks lb`) so it keeps serving while keks restarts.
package lb

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Config is the load balancer's configuration file.
type Config struct {
	Listen     string   `json:"listen"`
	Backends   []string `json:"backends"`
	HealthPath string   `json:"healthPath"`
	// HealthCheck is "https" (GET HealthPath) or "tcp" (a connect).
	HealthCheck string `json:"healthCheck,omitempty"`
	CAFile      string `json:"caFile"`
	// Allow lists the source CIDRs accepted; empty means all.
	Allow    []string `json:"allow"`
	Interval Duration `json:"interval"`
	// Also lists more listeners the same process serves, each with its own
	// backends: the endpoint also fronts the API servers' pod identity
	// webhooks.
	Also []Config `json:"also,omitempty"`
}

// Duration is a time.Duration that reads and writes as "500ms".
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	*d = Duration(v)
	return err
}

// LoadConfig reads a configuration file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	c.defaults()
	for i := range c.Also {
		c.Also[i].defaults()
	}
	return &c, nil
}

type backend struct {
	addr    string
	healthy atomic.Bool
	active  atomic.Int64
}

// Balancer proxies connections to healthy backends.
type Balancer struct {
	log      *slog.Logger
	mu       sync.RWMutex
	cfg      *Config
	backends []*backend
	allow    []netip.Prefix
	client   *http.Client
	next     atomic.Uint64
}

func (c *Config) defaults() {
	if c.Interval == 0 {
		c.Interval = Duration(500 * time.Millisecond)
	}
	if c.HealthPath == "" {
		c.HealthPath = "/readyz"
	}
}

// Listeners is cfg and the listeners it also lists, one Config each.
func (c *Config) Listeners() []*Config {
	out := []*Config{c}
	for i := range c.Also {
		out = append(out, &c.Also[i])
	}
	return out
}

// New makes a balancer for cfg.
func New(cfg *Config, log *slog.Logger) (*Balancer, error) {
	b := &Balancer{log: log}
	return b, b.Reload(cfg)
}

// Reload swaps in a new configuration; backends that stay keep their health.
func (b *Balancer) Reload(cfg *Config) error {
	var allow []netip.Prefix
	for _, a := range cfg.Allow {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			return fmt.Errorf("allow %q: %w", a, err)
		}
		allow = append(allow, p)
	}
	pool := x509.NewCertPool()
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return fmt.Errorf("read CA: %w", err)
		}
		pool.AppendCertsFromPEM(pem)
	}
	// Probes reuse their connections: a TLS handshake per probe would cost
	// each API server more than the probe itself. A dead backend fails the
	// kept connection as it would a new one.
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
	}}
	b.mu.Lock()
	defer b.mu.Unlock()
	old := map[string]*backend{}
	for _, be := range b.backends {
		old[be.addr] = be
	}
	var next []*backend
	for _, a := range cfg.Backends {
		if be, ok := old[a]; ok {
			next = append(next, be)
		} else {
			next = append(next, &backend{addr: a})
		}
	}
	if b.client != nil {
		b.client.CloseIdleConnections() // the replaced client's kept connections
	}
	b.cfg, b.backends, b.allow, b.client = cfg, next, allow, client
	return nil
}

// Run serves until ctx ends.
func (b *Balancer) Run(ctx context.Context) error {
	b.mu.RLock()
	listen := b.cfg.Listen
	b.mu.RUnlock()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", listen, err)
	}
	b.checkAll(ctx)
	go func() { <-ctx.Done(); _ = ln.Close() }()
	go b.healthLoop(ctx)
	b.log.Info("load balancer serving", "listen", listen)
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("accept: %w", err)
		}
		go b.serve(conn)
	}
}

func (b *Balancer) healthLoop(ctx context.Context) {
	for {
		// The interval is read each time: a reread configuration may change it.
		b.mu.RLock()
		interval := time.Duration(b.cfg.Interval)
		b.mu.RUnlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
			b.checkAll(ctx)
		}
	}
}

func (b *Balancer) checkAll(ctx context.Context) {
	b.mu.RLock()
	backends, client, path, tcp := b.backends, b.client, b.cfg.HealthPath, b.cfg.HealthCheck == "tcp"
	b.mu.RUnlock()
	var wg sync.WaitGroup
	for _, be := range backends {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ok bool
			if tcp {
				ok = probeTCP(ctx, be.addr)
			} else {
				ok = probe(ctx, client, "https://"+be.addr+path)
			}
			if was := be.healthy.Swap(ok); was != ok {
				b.log.Info("backend health changed", "backend", be.addr, "healthy", ok)
			}
		}()
	}
	wg.Wait()
}

func probe(ctx context.Context, client *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}

func probeTCP(ctx context.Context, addr string) bool {
	d := net.Dialer{Timeout: 2 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

func (b *Balancer) allowed(remote net.Addr) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if len(b.allow) == 0 {
		return true
	}
	tcp, ok := remote.(*net.TCPAddr)
	if !ok {
		return false
	}
	ip, ok := netip.AddrFromSlice(tcp.IP)
	if !ok {
		return false
	}
	ip = ip.Unmap()
	for _, p := range b.allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// pick orders the backends to try: healthy ones first, fewest connections
// first, round-robin among equals.
func (b *Balancer) pick() []*backend {
	b.mu.RLock()
	all := b.backends
	b.mu.RUnlock()
	n := len(all)
	if n == 0 {
		return nil
	}
	start := int(b.next.Add(1)) % n
	var healthy []*backend
	for i := 0; i < n; i++ {
		be := all[(start+i)%n]
		if be.healthy.Load() {
			healthy = append(healthy, be)
		}
	}
	for i := 1; i < len(healthy); i++ {
		for j := i; j > 0 && healthy[j].active.Load() < healthy[j-1].active.Load(); j-- {
			healthy[j], healthy[j-1] = healthy[j-1], healthy[j]
		}
	}
	return healthy
}

func (b *Balancer) serve(client net.Conn) {
	defer client.Close()
	if !b.allowed(client.RemoteAddr()) {
		return
	}
	var upstream net.Conn
	var chosen *backend
	for _, be := range b.pick() {
		// Count the connection before dialing, so that connections arriving
		// together spread over the backends instead of all picking the same one.
		be.active.Add(1)
		c, err := net.DialTimeout("tcp", be.addr, time.Second)
		if err != nil {
			be.active.Add(-1)
			// A refused connect means the backend died between health checks.
			be.healthy.Store(false)
			b.log.Info("backend refused connection; failing over", "backend", be.addr, "err", err)
			continue
		}
		upstream, chosen = c, be
		break
	}
	if upstream == nil {
		return
	}
	defer upstream.Close()
	defer chosen.active.Add(-1)
	done := make(chan struct{}, 2)
	go func() { copyHalf(upstream, client); done <- struct{}{} }()
	go func() { copyHalf(client, upstream); done <- struct{}{} }()
	<-done
	<-done
}

func copyHalf(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	} else {
		_ = dst.Close()
	}
}

// Status is what the balancer knows of its backends.
type Status struct {
	Backend string `json:"backend"`
	Healthy bool   `json:"healthy"`
	Active  int64  `json:"activeConnections"`
}

// Statuses reports each backend's health.
func (b *Balancer) Statuses() []Status {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var out []Status
	for _, be := range b.backends {
		out = append(out, Status{be.addr, be.healthy.Load(), be.active.Load()})
	}
	return out
}
