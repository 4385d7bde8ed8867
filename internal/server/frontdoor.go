package server

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"time"
)

// forwardWait is how long a standby holds a request while there is no
// leader to forward it to (a failover: the lease's TTL and the new
// leader's start), before answering 503, which clients retry.
const forwardWait = 3 * leaderTTL * time.Second

// maxReplayBody is the largest request body a standby keeps to send again
// when the leader fails before answering; a larger one (an image layer
// pushed to the registry) is streamed once.
const maxReplayBody = 1 << 20

// frontDoor is a replica's listen address: while it stands by, every
// request goes to the leader as it came (method, path, Host header and
// body, so that its SigV4 signature still verifies there); once it leads,
// its own handler serves. A request that finds no leader waits for one.
type frontDoor struct {
	self      string         // this replica's advertised address: never forwarded to
	keksCA    *x509.CertPool // verifies the replicas' client certificates
	transport http.RoundTripper
	log       *slog.Logger

	mu      sync.Mutex
	leader  string        // the leader's address, "" while unknown
	serving http.Handler  // this replica's own, once it leads
	changed chan struct{} // closed (and replaced) at every change of the above
}

// clientAddrHeader carries the client's address from a standby to the
// leader, which believes it only from a replica (replicaCert): IAM's
// aws:SourceIp is the client's, not the standby's.
const clientAddrHeader = "X-Keks-Replica-Client-Addr"

// replicaCommonName names the client certificate (keks's CA) with which a
// standby forwards.
const replicaCommonName = "keks-replica"

// newFrontDoor makes a replica's front door; it forwards to the leader
// verified by keksCA, presenting replicaCert.
func newFrontDoor(self string, keksCA *x509.CertPool, replicaCert *tls.Certificate, log *slog.Logger) *frontDoor {
	dialer := &net.Dialer{Timeout: 2 * time.Second, KeepAlive: 15 * time.Second}
	clientTLS := &tls.Config{RootCAs: keksCA, MinVersion: tls.VersionTLS12}
	if replicaCert != nil {
		clientTLS.Certificates = []tls.Certificate{*replicaCert}
	}
	return &frontDoor{self: self, keksCA: keksCA, log: log, changed: make(chan struct{}), transport: &http.Transport{
		DialContext:         dialer.DialContext,
		TLSClientConfig:     clientTLS,
		TLSHandshakeTimeout: 5 * time.Second,
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}}
}

func (d *frontDoor) state() (serving http.Handler, leader string, changed <-chan struct{}) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.serving, d.leader, d.changed
}

func (d *frontDoor) update(fn func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fn()
	close(d.changed)
	d.changed = make(chan struct{})
}

// setLeader records where the leader is.
func (d *frontDoor) setLeader(addr string) { d.update(func() { d.leader = addr }) }

// serve makes this replica serve with h: it leads now.
func (d *frontDoor) serve(h http.Handler) { d.update(func() { d.serving = h }) }

func (d *frontDoor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.fromReplica(r)
	if h, _, _ := d.state(); h != nil {
		h.ServeHTTP(w, r)
		return
	}
	var body []byte
	replayable := r.Body == nil || r.Body == http.NoBody || (r.ContentLength >= 0 && r.ContentLength <= maxReplayBody)
	if replayable && r.Body != nil && r.Body != http.NoBody {
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, maxReplayBody+1)); err != nil {
			http.Error(w, "reading the request body: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	deadline := time.Now().Add(forwardWait)
	var lastErr error
	for {
		serving, leader, changed := d.state()
		req := r
		if replayable {
			req = r.Clone(r.Context())
			req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			if len(body) == 0 {
				req.Body = http.NoBody
			}
		}
		if serving != nil {
			serving.ServeHTTP(w, req)
			return
		}
		if leader != "" && leader != d.self {
			err := d.forward(w, req, leader)
			if err == nil {
				return
			}
			lastErr = err
			if !replayable {
				break
			}
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			break
		}
		select {
		case <-changed:
		case <-time.After(min(wait, 250*time.Millisecond)):
		case <-r.Context().Done():
			return
		}
	}
	if lastErr == nil {
		lastErr = fmt.Errorf("no keks replica leads (waited %s)", forwardWait)
	}
	d.log.Warn("request not forwarded", "method", r.Method, "path", r.URL.Path, "err", lastErr)
	w.Header().Set("Retry-After", "1")
	http.Error(w, "keks: the leading replica is not reachable, retry: "+lastErr.Error(), http.StatusServiceUnavailable)
}

// forward sends r to the leader at addr and its answer back; an error
// means nothing was written to w (the leader was not reached, or failed
// before answering), so the request may be sent again.
func (d *frontDoor) forward(w http.ResponseWriter, r *http.Request, addr string) error {
	var failed error
	proxy := &httputil.ReverseProxy{
		Rewrite: func(p *httputil.ProxyRequest) {
			p.Out.URL.Scheme, p.Out.URL.Host = "https", addr
			p.Out.Host = p.In.Host // the host the client signed
			p.Out.Header.Set(clientAddrHeader, p.In.RemoteAddr)
		},
		Transport:     d.transport,
		FlushInterval: 100 * time.Millisecond,
		ErrorHandler:  func(_ http.ResponseWriter, _ *http.Request, err error) { failed = err },
		ErrorLog:      slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
	}
	proxy.ServeHTTP(w, r)
	if failed != nil {
		return fmt.Errorf("forward to the leader at %s: %w", addr, failed)
	}
	return nil
}

// fromReplica takes the client's address from a request a standby
// forwarded (its replica certificate, of keks's CA, says so), and drops the
// header from any other request, which may not claim an address.
func (d *frontDoor) fromReplica(r *http.Request) {
	addr := r.Header.Get(clientAddrHeader)
	if addr == "" {
		return
	}
	r.Header.Del(clientAddrHeader)
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return
	}
	peer := r.TLS.PeerCertificates[0]
	if peer.Subject.CommonName != replicaCommonName {
		return
	}
	if _, err := peer.Verify(x509.VerifyOptions{Roots: d.keksCA, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return
	}
	if _, _, err := net.SplitHostPort(addr); err == nil {
		r.RemoteAddr = addr
	}
}
