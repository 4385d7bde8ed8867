package controlplane

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/keksdev/keks/internal/authn"
)

// prober checks the health endpoint of each role.
type prober struct {
	verified *http.Client // trusts the cluster CA: API servers and the endpoint
	selfSign *http.Client // controller-manager and scheduler serve self-signed certificates
	plain    *http.Client // etcd's metrics listener
}

func newProber(caFile, source string) *prober {
	pool := x509.NewCertPool()
	if pem, err := os.ReadFile(caFile); err == nil {
		pool.AppendCertsFromPEM(pem)
	}
	// Probes come from keks's own address, which the endpoint admits
	// whatever the cluster's endpoint access.
	dial := (&net.Dialer{Timeout: 2 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}}).DialContext
	mk := func(tlsCfg *tls.Config) *http.Client {
		// Connections are kept between passes: a handshake per probe is what
		// an idle control plane would otherwise spend most on.
		return &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg, DialContext: dial}}
	}
	return &prober{
		verified: mk(&tls.Config{RootCAs: pool}),
		selfSign: mk(&tls.Config{InsecureSkipVerify: true}), //nolint:gosec // only /healthz of a process keks started
		plain:    mk(nil),
	}
}

// ready reports whether an instance serves: etcd has a leader, an API server
// is ready, the endpoint passes requests to a ready API server.
func (p *prober) ready(ctx context.Context, role, address string) bool {
	switch role {
	case RoleEtcd:
		return get(ctx, p.plain, "http://"+address+":2381/readyz")
	case RoleAPIServer, RoleEndpoint:
		return get(ctx, p.verified, "https://"+address+":443"+apiServerReadyPath)
	case RoleAuthenticator:
		return get(ctx, p.verified, "https://"+address+":"+authn.Port+"/healthz")
	case RoleControllerManager:
		return get(ctx, p.selfSign, "https://"+address+":10257/healthz")
	case RoleScheduler:
		return get(ctx, p.selfSign, "https://"+address+":10259/healthz")
	}
	return false
}

// live reports whether the process itself answers, whatever the state of
// what it depends on; only a process that is not live gets replaced.
func (p *prober) live(ctx context.Context, role, address string) bool {
	switch role {
	case RoleEtcd:
		return get(ctx, p.plain, "http://"+address+":2381/livez")
	case RoleAPIServer:
		return get(ctx, p.verified, "https://"+address+":443/livez")
	case RoleEndpoint:
		d := net.Dialer{Timeout: 2 * time.Second}
		c, err := d.DialContext(ctx, "tcp", address+":443")
		if err != nil {
			return false
		}
		_ = c.Close()
		return true
	default:
		return p.ready(ctx, role, address)
	}
}

func get(ctx context.Context, c *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode == http.StatusOK
}

// close drops the prober's kept connections.
func (p *prober) close() {
	for _, c := range []*http.Client{p.verified, p.selfSign, p.plain} {
		c.CloseIdleConnections()
	}
}
