package pki

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// LoadOrCreateCAFiles reads the CA kept in dir/name.crt and dir/name.key,
// or makes a new one there (the key 0600, in a 0700 directory) when either
// file is missing. It is for CAs that cannot live in the store, such as the
// store's own: a CA made again invalidates what the old one signed, which
// IssueFiles then issues again.
func LoadOrCreateCAFiles(dir, name, commonName string) (*CA, error) {
	crt, key := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	certPEM, certErr := os.ReadFile(crt)
	keyPEM, keyErr := os.ReadFile(key)
	switch {
	case certErr == nil && keyErr == nil:
		ca, err := LoadCA(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("load CA %s: %w", crt, err)
		}
		return ca, nil
	case certErr != nil && !errors.Is(certErr, fs.ErrNotExist):
		return nil, fmt.Errorf("read CA %s: %w", crt, certErr)
	case keyErr != nil && !errors.Is(keyErr, fs.ErrNotExist):
		return nil, fmt.Errorf("read CA key %s: %w", key, keyErr)
	}
	ca, err := NewCA(commonName)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	if err := WriteFileAtomic(key, ca.KeyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := WriteFileAtomic(crt, ca.CertPEM, 0o644); err != nil {
		return nil, err
	}
	return ca, nil
}

// SystemRootsWith is the system's trusted roots (none where it has no
// pool) plus the CA certificates in the PEM file at caFile.
func SystemRootsWith(caFile string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read CA bundle: %w", err)
	}
	pool.AppendCertsFromPEM(pem)
	return pool, nil
}
