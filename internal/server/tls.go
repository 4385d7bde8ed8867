package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/keksdev/keks/internal/pki"
	"github.com/keksdev/keks/internal/store"
)

type keksCA struct {
	Cert []byte `json:"cert"`
	Key  []byte `json:"key"`
}

const caKey = "pki/keks-ca"

// serverTLS loads keks's own CA from the store (making it on first start),
// issues the front door's serving certificate, and writes the CA where the
// AWS CLI profile's ca_bundle and kube-apiserver's webhook config point.
func serverTLS(ctx context.Context, st *store.Store, dataDir string, hosts ...string) (*tls.Certificate, string, error) {
	var stored keksCA
	if _, err := st.Get(ctx, caKey, &stored); errors.Is(err, store.ErrNotFound) {
		ca, err := pki.NewCA("keks-ca")
		if err != nil {
			return nil, "", err
		}
		stored = keksCA{Cert: ca.CertPEM, Key: ca.KeyPEM}
		if err := st.Create(ctx, caKey, &stored); err != nil && !errors.Is(err, store.ErrExists) {
			return nil, "", err
		}
		if _, err := st.Get(ctx, caKey, &stored); err != nil {
			return nil, "", err
		}
	} else if err != nil {
		return nil, "", err
	}
	ca, err := pki.LoadCA(stored.Cert, stored.Key)
	if err != nil {
		return nil, "", err
	}
	dir := filepath.Join(dataDir, "pki")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	caFile := filepath.Join(dir, "ca.crt")
	if err := pki.WriteFileAtomic(caFile, stored.Cert, 0o644); err != nil {
		return nil, "", err
	}
	leaf := pki.Leaf{CommonName: "keks-server", DNSNames: []string{"localhost"}, IPs: []net.IP{net.ParseIP("127.0.0.1")}, Server: true}
	for _, host := range hosts {
		if ip := net.ParseIP(host); ip != nil && !ip.Equal(net.ParseIP("127.0.0.1")) && !ip.IsUnspecified() {
			leaf.IPs = append(leaf.IPs, ip)
		} else if ip == nil && host != "localhost" && host != "" {
			leaf.DNSNames = append(leaf.DNSNames, host)
		}
	}
	if err := ca.IssueFiles(dir, "server", leaf); err != nil {
		return nil, "", err
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"))
	if err != nil {
		return nil, "", fmt.Errorf("load serving certificate: %w", err)
	}
	return &cert, caFile, nil
}
