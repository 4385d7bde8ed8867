package agents

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/pki"
	"github.com/keksdev/keks/internal/store"
)

// storedCA is the agents CA as the store keeps it: its key sealed with the
// store's seal key, as keks's own CA's is.
type storedCA struct {
	Cert []byte `json:"cert"`
	Key  string `json:"key"`
}

// ClientCertValidity is how long an agent's certificate is valid.
const ClientCertValidity = 365 * 24 * time.Hour

// CA returns the agents CA, making it on first use (a create: of two
// servers making it at once, one wins and both use its CA). It is a CA of
// its own, not keks's: a certificate it signs says "this is host X" and
// nothing else keks trusts it for.
func (s *Service) CA(ctx context.Context) (*pki.CA, error) {
	var stored storedCA
	if _, err := s.Store.Get(ctx, caKey, &stored); errors.Is(err, store.ErrNotFound) {
		ca, err := pki.NewCA("keks-agents-ca")
		if err != nil {
			return nil, err
		}
		stored = storedCA{Cert: ca.CertPEM, Key: s.Store.SealBytes(ca.KeyPEM, caKeyPlace)}
		if err := s.Store.Create(ctx, caKey, &stored); err != nil && !errors.Is(err, store.ErrExists) {
			return nil, fmt.Errorf("store the agents CA: %w", err)
		}
		if _, err := s.Store.Get(ctx, caKey, &stored); err != nil {
			return nil, fmt.Errorf("read the agents CA: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("read the agents CA: %w", err)
	}
	keyPEM, err := s.Store.UnsealBytes(stored.Key, caKeyPlace)
	if err != nil {
		return nil, fmt.Errorf("the agents CA: %w", err)
	}
	return pki.LoadCA(stored.Cert, keyPEM)
}

// signCSR checks a PEM certificate request's signature (its holder has
// the key) and signs a client certificate for its key with CN = hostID.
// The request's subject, names and extensions are ignored: the host is
// who keks says it is.
func signCSR(ca *pki.CA, csrPEM []byte, hostID string) ([]byte, *x509.Certificate, error) {
	b, _ := pem.Decode(csrPEM)
	if b == nil || b.Type != "CERTIFICATE REQUEST" {
		return nil, nil, invalid("csr is not a PEM CERTIFICATE REQUEST")
	}
	csr, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil {
		return nil, nil, invalid("csr does not parse: %v", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, nil, invalid("csr's signature does not verify: %v", err)
	}
	certPEM, err := ca.Sign(csr.PublicKey, pki.Leaf{CommonName: hostID, Client: true, Validity: ClientCertValidity})
	if err != nil {
		return nil, nil, err
	}
	cb, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parse the certificate just signed: %w", err)
	}
	return certPEM, cert, nil
}

// CertHash is kubeadm's discovery hash of a CA: "sha256:" and the hex
// SHA-256 of its DER SubjectPublicKeyInfo. An agent given it trusts the
// server whose chain holds a CA with that key, and no other.
func CertHash(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// ParseCertHash checks a --ca-cert-hash's shape and returns it lowercased.
func ParseCertHash(h string) (string, error) {
	h = strings.ToLower(strings.TrimSpace(h))
	hexPart, ok := strings.CutPrefix(h, "sha256:")
	if !ok {
		return "", fmt.Errorf("CA certificate hash %q does not start with sha256:", h)
	}
	if b, err := hex.DecodeString(hexPart); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("CA certificate hash %q is not sha256: and 64 hex digits", h)
	}
	return h, nil
}
