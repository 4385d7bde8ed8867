package store

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/etcd/server/v3/embed"

	"github.com/keksdev/keks/internal/pki"
)

// memberTLS is the embedded member's TLS material in a directory of its own:
// a store CA, the member's serving certificate and keks's client
// certificate. The member admits only clients with a certificate of this
// CA, so a local process that finds the loopback port cannot read the
// store. It lives on disk, not in the store, which it must open.
type memberTLS struct{ dir string }

// clientCommonName is the name in keks's client certificate, the only one
// the member accepts.
const clientCommonName = "keks"

// memberCertValidity: the certificates only ever meet each other on
// loopback, inside one keks process, so they live as long as their CA
// rather than expiring under a long-running server (they are renewed at a
// start within 30 days of their end).
const memberCertValidity = 10 * 365 * 24 * time.Hour

func (m memberTLS) path(name string) string { return filepath.Join(m.dir, name) }

// ensureMemberTLS makes what is missing (or no longer signed by the CA,
// or near its end) in dir: keys 0600, the directory 0700.
func ensureMemberTLS(dir string) (memberTLS, error) {
	m := memberTLS{dir: dir}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return m, fmt.Errorf("create store TLS directory %s: %w", dir, err)
	}
	ca, err := pki.LoadOrCreateCAFiles(dir, "ca", "keks-store-ca")
	if err != nil {
		return m, fmt.Errorf("store CA: %w", err)
	}
	loopback := []net.IP{net.ParseIP("127.0.0.1")}
	if err := ca.IssueFiles(dir, "server", pki.Leaf{CommonName: "keks-store", DNSNames: []string{"localhost"}, IPs: loopback,
		Server: true, Validity: memberCertValidity}); err != nil {
		return m, fmt.Errorf("store serving certificate: %w", err)
	}
	if err := ca.IssueFiles(dir, "client", pki.Leaf{CommonName: clientCommonName, Client: true, Validity: memberCertValidity}); err != nil {
		return m, fmt.Errorf("store client certificate: %w", err)
	}
	return m, nil
}

// serve makes the member serve clients over TLS only, requiring a client
// certificate of the store CA naming keks. etcd's gateway, which dials the
// member itself, presents keks's client certificate.
func (m memberTLS) serve(cfg *embed.Config) {
	info := &cfg.ClientTLSInfo
	info.CertFile, info.KeyFile = m.path("server.crt"), m.path("server.key")
	info.ClientCertFile, info.ClientKeyFile = m.path("client.crt"), m.path("client.key")
	info.TrustedCAFile = m.path("ca.crt")
	info.ClientCertAuth = true
	info.AllowedCNs = []string{clientCommonName}
}

// clientConfig is keks's side: its client certificate, and only the store
// CA trusted for the member's.
func (m memberTLS) clientConfig() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(m.path("client.crt"), m.path("client.key"))
	if err != nil {
		return nil, fmt.Errorf("load store client certificate: %w", err)
	}
	caPEM, err := os.ReadFile(m.path("ca.crt"))
	if err != nil {
		return nil, fmt.Errorf("read store CA: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("store CA %s holds no certificate", m.path("ca.crt"))
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: roots, MinVersion: tls.VersionTLS12}, nil
}
