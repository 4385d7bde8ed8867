package agent

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/imds"
)

// metadataProxy answers the host's instances for the instance metadata
// service: the host redirects what they send to 169.254.169.254:80 here
// (hostnet.EnsureMetadataRedirect), keeping their address, and the proxy
// forwards each request to keks over the agent's mutual TLS, naming the
// caller's address. keks knows the caller by it, as its own metadata
// service knows an instance of its host by the request's source.
type metadataProxy struct {
	client *http.Client
	server string // keks's agents listener
	log    *slog.Logger
	// setHopLimit sets the TTL of the answer's packets (imds.SetHopLimit;
	// a recorder in tests).
	setHopLimit func(ctx context.Context, hops int) error
}

// Bounds of what the proxy carries: metadata requests have no body but a
// token request's, and answers are small (user data is at most 16 KiB).
const (
	maxMetadataRequest = 64 << 10
	maxMetadataAnswer  = 1 << 20
)

// metadataRequestHeaders are the request headers forwarded: the IMDSv2
// token's, and X-Forwarded-For, by which the service refuses a token to a
// request that went through a proxy of the instance's own.
var metadataRequestHeaders = []string{
	"X-Aws-Ec2-Metadata-Token", "X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "X-Forwarded-For",
	"Accept", "Content-Type", "User-Agent",
}

// hopByHop are answer headers that belong to one connection, not the answer.
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length"}

func (m *metadataProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	caller, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil || !strings.HasPrefix(r.URL.Path, "/") {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxMetadataRequest+1))
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if len(body) > maxMetadataRequest {
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, m.server+agents.MetadataPath+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	for _, h := range metadataRequestHeaders {
		for _, v := range r.Header.Values(h) {
			req.Header.Add(h, v)
		}
	}
	// Set, never passed on: the instance does not name itself.
	req.Header.Set(agents.MetadataCallerHeader, caller)
	resp, err := m.client.Do(req)
	if err != nil {
		m.log.Warn("metadata request not forwarded to keks", "caller", caller, "path", r.URL.Path, "err", err)
		http.Error(w, "the metadata service is not reachable", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataAnswer+1))
	if err != nil || len(answer) > maxMetadataAnswer {
		m.log.Warn("keks's metadata answer not read", "caller", caller, "path", r.URL.Path, "err", err, "bytes", len(answer))
		http.Error(w, "the metadata service did not answer", http.StatusBadGateway)
		return
	}
	if hops := resp.Header.Get(agents.MetadataHopLimitHeader); hops != "" {
		// A token must not reach further than EC2 would send it: set
		// before anything of the answer is written.
		n, err := strconv.Atoi(hops)
		if err == nil && (n < 1 || n > 255) {
			err = fmt.Errorf("%d is not a hop limit", n)
		}
		if err == nil {
			err = m.setHopLimit(r.Context(), n)
		}
		if err != nil {
			m.log.Warn("metadata answer withheld: its hop limit was not set", "caller", caller, "hops", hops, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
	}
	for k, vs := range resp.Header {
		if k == agents.MetadataHopLimitHeader || containsFold(hopByHop, k) {
			continue
		}
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(answer)))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
}

func containsFold(list []string, s string) bool {
	for _, l := range list {
		if strings.EqualFold(l, s) {
			return true
		}
	}
	return false
}

// serveMetadata listens at addr (putting its address on the host, as keks
// does for its own metadata service) and proxies until ctx ends.
func serveMetadata(ctx context.Context, addr string, p *metadataProxy) error {
	ln, err := imds.Listen(addr)
	if err != nil {
		return fmt.Errorf("the metadata proxy for this host's instances: %w", err)
	}
	srv := imds.NewServer(p, slog.NewLogLogger(p.log.Handler(), slog.LevelDebug))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	p.log.Info("metadata proxy listening for this host's instances", "address", addr)
	select {
	case <-ctx.Done():
		_ = srv.Close()
		<-done
		// The address stays while instances run on without the agent: the
		// redirect points at it, and a restarted agent listens there again.
		return nil
	case err := <-done:
		return fmt.Errorf("the metadata proxy stopped: %w", err)
	}
}
