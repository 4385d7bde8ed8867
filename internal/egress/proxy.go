// Package egress is the cluster egress of control planes that do not share
// keks's network: API servers running as pods of a management cluster
// (the kubernetes runtime) reach their cluster's kubelets, pods and
// webhooks through it, as EKS's reach them through ENIs in the VPC and
// HyperShift's and Kamaji's through konnectivity. kube-apiserver's egress
// selector ("cluster", HTTPConnect over mutual TLS) sends each connection
// as an HTTP CONNECT; the proxy checks the client certificate against the
// CA of the cluster it names and the target against what that cluster may
// reach (its VPC, its pods, its endpoint), then joins the two.
//
// The upstream konnectivity server and agent (sigs.k8s.io/apiserver-network-proxy)
// are not served by the Go module proxy; this is keks's own, for a keks
// whose VPCs are on the host it runs on (the proxy dials them directly).
package egress

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Port is where keks serves the egress proxy, on the address instances and
// management clusters reach it at (konnectivity's server port).
const Port = "8131"

// ClusterPrefix begins the organization of an egress client certificate;
// the cluster's UID follows.
const ClusterPrefix = "keks-cluster:"

// Targets is what one cluster's API servers may reach through the proxy.
type Targets struct {
	// CA verifies the cluster's client certificates.
	CA *x509.CertPool
	// Allowed are the networks its API servers may connect to.
	Allowed []netip.Prefix
}

// Proxy answers HTTP CONNECT for clusters' API servers.
type Proxy struct {
	// Targets returns a cluster's CA and what it may reach, by cluster UID.
	Targets func(ctx context.Context, clusterUID string) (Targets, error)
	// Dial connects to a target (default: a net.Dialer's).
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	Log  *slog.Logger
}

// TLSConfig serves cert and asks every client for a certificate, which
// ServeHTTP verifies against its cluster's CA.
func (p *Proxy) TLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAnyClientCert, MinVersion: tls.VersionTLS12}
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "only CONNECT is served here", http.StatusMethodNotAllowed)
		return
	}
	uid, err := p.authorize(r)
	if err != nil {
		p.log().Warn("egress refused", "client", r.RemoteAddr, "target", r.Host, "err", err)
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	dial := p.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	target, err := dial(ctx, "tcp", r.Host)
	cancel()
	if err != nil {
		http.Error(w, fmt.Sprintf("connect %s: %v", r.Host, err), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		_ = target.Close()
		http.Error(w, "cannot take over the connection", http.StatusInternalServerError)
		return
	}
	client, buf, err := hj.Hijack()
	if err != nil {
		_ = target.Close()
		return
	}
	if _, err := client.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		_ = client.Close()
		_ = target.Close()
		return
	}
	p.log().Debug("egress", "cluster", uid, "target", r.Host)
	splice(client, buf, target)
}

// authorize checks the client certificate against the CA of the cluster
// it names, and the target against what that cluster may reach.
func (p *Proxy) authorize(r *http.Request) (string, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return "", errors.New("a client certificate is required")
	}
	leaf := r.TLS.PeerCertificates[0]
	uid := ""
	for _, o := range leaf.Subject.Organization {
		if strings.HasPrefix(o, ClusterPrefix) {
			uid = strings.TrimPrefix(o, ClusterPrefix)
		}
	}
	if uid == "" {
		return "", errors.New("the client certificate names no cluster")
	}
	t, err := p.Targets(r.Context(), uid)
	if err != nil {
		return "", fmt.Errorf("cluster %s: %w", uid, err)
	}
	inter := x509.NewCertPool()
	for _, c := range r.TLS.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: t.CA, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return "", fmt.Errorf("the client certificate is not the cluster's: %w", err)
	}
	ap, err := netip.ParseAddrPort(r.Host)
	if err != nil {
		return "", fmt.Errorf("target %q is not an address and port", r.Host)
	}
	for _, allowed := range t.Allowed {
		if allowed.Contains(ap.Addr().Unmap()) {
			return uid, nil
		}
	}
	return "", fmt.Errorf("target %s is outside the cluster's networks", ap.Addr())
}

func (p *Proxy) log() *slog.Logger {
	if p.Log == nil {
		return slog.Default()
	}
	return p.Log
}

// splice copies both ways until either side ends, then closes both.
// buffered holds what the client sent after its CONNECT request.
func splice(client net.Conn, buffered io.Reader, target net.Conn) {
	var once sync.Once
	closeBoth := func() { once.Do(func() { _ = client.Close(); _ = target.Close() }) }
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _, _ = io.Copy(target, buffered); closeBoth() }()
	go func() { defer wg.Done(); _, _ = io.Copy(client, target); closeBoth() }()
	wg.Wait()
}
