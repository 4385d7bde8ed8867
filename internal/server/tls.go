package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/keksdev/keks/internal/pki"
	"github.com/keksdev/keks/internal/store"
)

// keksCA is keks's own CA as the store keeps it: its key sealed with the
// store's seal key (an older keks kept it in the clear, as base64).
type keksCA struct {
	Cert []byte `json:"cert"`
	Key  string `json:"key"`
}

const caKey = "pki/keks-ca"

// caKeyPlace is where the CA key is sealed: its record and field.
const caKeyPlace = caKey + "#key"

// serverTLS loads keks's own CA from the store (making it on first start),
// issues the front door's serving certificate, and writes the CA where the
// AWS CLI profile's ca_bundle and kube-apiserver's webhook config point.
func serverTLS(ctx context.Context, st *store.Store, dataDir string, hosts ...string) (*tls.Certificate, string, error) {
	ca, err := loadKeksCA(ctx, st)
	if err != nil {
		return nil, "", err
	}
	dir := filepath.Join(dataDir, "pki")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	caFile := filepath.Join(dir, "ca.crt")
	if err := pki.WriteFileAtomic(caFile, ca.CertPEM, 0o644); err != nil {
		return nil, "", err
	}
	if err := ca.IssueFiles(dir, "server", servingLeaf(hosts...)); err != nil {
		return nil, "", err
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"))
	if err != nil {
		return nil, "", fmt.Errorf("load serving certificate: %w", err)
	}
	return &cert, caFile, nil
}

// loadKeksCA reads keks's own CA from the store, making it on first start
// (a create: of two servers starting at once, one makes it, both use it).
func loadKeksCA(ctx context.Context, st *store.Store) (*pki.CA, error) {
	var stored keksCA
	if _, err := st.Get(ctx, caKey, &stored); errors.Is(err, store.ErrNotFound) {
		ca, err := pki.NewCA("keks-ca")
		if err != nil {
			return nil, err
		}
		stored = keksCA{Cert: ca.CertPEM, Key: st.SealBytes(ca.KeyPEM, caKeyPlace)}
		if err := st.Create(ctx, caKey, &stored); err != nil && !errors.Is(err, store.ErrExists) {
			return nil, fmt.Errorf("store keks's CA: %w", err)
		}
		if _, err := st.Get(ctx, caKey, &stored); err != nil {
			return nil, fmt.Errorf("read keks's CA: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("read keks's CA: %w", err)
	}
	keyPEM, err := st.UnsealBytes(stored.Key, caKeyPlace)
	if err != nil {
		return nil, fmt.Errorf("keks's CA: %w", err)
	}
	return pki.LoadCA(stored.Cert, keyPEM)
}

// servingLeaf is the front door's certificate for hosts (besides localhost
// and 127.0.0.1, always there).
func servingLeaf(hosts ...string) pki.Leaf {
	leaf := pki.Leaf{CommonName: "keks-server", DNSNames: []string{"localhost"}, IPs: []net.IP{net.ParseIP("127.0.0.1")}, Server: true}
	for _, host := range hosts {
		if ip := net.ParseIP(host); ip != nil && !ip.Equal(net.ParseIP("127.0.0.1")) && !ip.IsUnspecified() {
			leaf.IPs = append(leaf.IPs, ip)
		} else if ip == nil && host != "localhost" && host != "" {
			leaf.DNSNames = append(leaf.DNSNames, host)
		}
	}
	return leaf
}

// sealKeksCA seals keks's CA key if an older keks stored it in the clear;
// it reports 1 when it did. The CA is never written again, so this is done
// once, at start, with the other secrets (sealStore).
func sealKeksCA(ctx context.Context, st *store.Store) (int, error) {
	if !st.Sealing() {
		return 0, nil
	}
	sealed := 0
	_, err := store.Mutate(ctx, st, caKey, func(ca *keksCA) error {
		sealed = 0
		if store.IsSealed(ca.Key) {
			return nil
		}
		keyPEM, err := st.UnsealBytes(ca.Key, caKeyPlace)
		if err != nil {
			return err
		}
		ca.Key, sealed = st.SealBytes(keyPEM, caKeyPlace), 1
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil // first start: serverTLS makes it sealed
	} else if err != nil {
		return 0, fmt.Errorf("seal keks's CA key: %w", err)
	}
	return sealed, nil
}

// clientTrusting is an HTTPS client that trusts the system's roots and
// keks's CA.
func clientTrusting(caFile string) (*http.Client, error) {
	pool, err := pki.SystemRootsWith(caFile)
	if err != nil {
		return nil, fmt.Errorf("trust keks's CA: %w", err)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}, nil
}
