// Package pki makes the certificate authorities and certificates keks gives
// every cluster: ECDSA P-256 for TLS, RSA 2048 for service-account tokens
// (IRSA verifiers expect RS256).
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// CA is a certificate authority with its key.
type CA struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM []byte
	KeyPEM  []byte
}

// NewCA makes a self-signed CA valid for ten years.
func NewCA(commonName string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: commonName},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("self-sign CA %s: %w", commonName, err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, err
	}
	return LoadCA(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM)
}

// LoadCA parses a CA kept as PEM.
func LoadCA(certPEM, keyPEM []byte) (*CA, error) {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, errors.New("CA certificate or key is not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse CA key: %w", err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("CA key cannot sign")
	}
	return &CA{Cert: cert, Key: signer, CertPEM: certPEM, KeyPEM: keyPEM}, nil
}

// Leaf describes a certificate to issue.
type Leaf struct {
	CommonName   string
	Organization []string
	DNSNames     []string
	IPs          []net.IP
	Server       bool
	Client       bool
	// Validity is how long the certificate is valid; zero means one year.
	Validity time.Duration
}

// Issue signs a new leaf certificate and key, valid for l.Validity (one
// year unless set).
func (ca *CA) Issue(l Leaf) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key for %s: %w", l.CommonName, err)
	}
	certPEM, err = ca.Sign(key.Public(), l)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return certPEM, keyPEM, nil
}

// Sign signs a leaf certificate for a public key whose private key stays
// with its holder (a CSR's), valid for l.Validity (one year unless set).
// The certificate says only what l says: names and usages are the CA's
// choice, never the requester's.
func (ca *CA) Sign(pub crypto.PublicKey, l Leaf) ([]byte, error) {
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: l.CommonName, Organization: l.Organization},
		NotBefore: now.Add(-time.Hour), NotAfter: l.notAfter(now),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		DNSNames: l.DNSNames, IPAddresses: l.IPs,
	}
	if l.Server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if l.Client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("sign certificate for %s: %w", l.CommonName, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

func (l Leaf) notAfter(now time.Time) time.Time {
	if l.Validity > 0 {
		return now.Add(l.Validity)
	}
	return now.AddDate(1, 0, 0)
}

// IssueFiles writes dir/name.crt and dir/name.key unless both exist already
// with a certificate this CA signed for the same names.
func (ca *CA) IssueFiles(dir, name string, l Leaf) error {
	crt, key := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if ok := ca.stillValid(crt, l); ok {
		if _, err := os.Stat(key); err == nil {
			return nil
		}
	}
	c, k, err := ca.Issue(l)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := WriteFileAtomic(key, k, 0o600); err != nil {
		return err
	}
	return WriteFileAtomic(crt, c, 0o644)
}

func (ca *CA) stillValid(path string, l Leaf) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	return ca.Fits(data, l)
}

// Fits reports whether certPEM is still good for what l asks: issued by
// ca, far from its expiry, with l's name and addresses. A leaf that fits
// is kept rather than issued again.
func (ca *CA) Fits(certPEM []byte, l Leaf) bool {
	b, _ := pem.Decode(certPEM)
	if b == nil {
		return false
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil || c.CheckSignatureFrom(ca.Cert) != nil || time.Until(c.NotAfter) < 30*24*time.Hour || c.Subject.CommonName != l.CommonName {
		return false
	}
	if len(c.IPAddresses) != len(l.IPs) || len(c.DNSNames) != len(l.DNSNames) {
		return false
	}
	for i := range l.IPs {
		if !c.IPAddresses[i].Equal(l.IPs[i]) {
			return false
		}
	}
	return true
}

// NewRSAKey makes the key that signs service-account tokens, as PKCS#8 PEM.
func NewRSAKey() ([]byte, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate service-account key: %w", err)
	}
	return encodeKey(k)
}

// PublicPEM returns the PKIX public key of a PEM private key.
func PublicPEM(keyPEM []byte) ([]byte, error) {
	k, err := ParseKey(keyPEM)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParseKey parses a PKCS#8 PEM private key.
func ParseKey(keyPEM []byte) (crypto.Signer, error) {
	b, _ := pem.Decode(keyPEM)
	if b == nil {
		return nil, errors.New("key is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse key: %w", err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("key cannot sign")
	}
	return s, nil
}

// KeyID is the key id kube-apiserver puts in service-account tokens:
// base64url of the SHA-256 of the public key's DER.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(h[:]), nil
}

// WriteFileIfChanged writes a file that running processes may be reading:
// only when its content changes, and atomically, so that no reader ever sees
// it empty or half-written.
func WriteFileIfChanged(path string, data []byte, mode os.FileMode) error {
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return WriteFileAtomic(path, data, mode)
}

// WriteFileAtomic writes through a temporary file and a rename.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("install %s: %w", path, err)
	}
	return nil
}

func encodeKey(k any) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}
