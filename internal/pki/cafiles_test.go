package pki

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoadOrCreateCAFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	ca, err := LoadOrCreateCAFiles(dir, "ca", "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, filepath.Join(dir, "ca.key"): 0o600, filepath.Join(dir, "ca.crt"): 0o644} {
		if fi, err := os.Stat(path); err != nil || fi.Mode() != want {
			t.Errorf("%s: %v, %v; want mode %v", path, fi.Mode(), err, want)
		}
	}
	again, err := LoadOrCreateCAFiles(dir, "ca", "test-ca")
	if err != nil || !bytes.Equal(again.CertPEM, ca.CertPEM) {
		t.Fatalf("a second load made another CA: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, "ca.key")); err != nil {
		t.Fatal(err)
	}
	if fresh, err := LoadOrCreateCAFiles(dir, "ca", "test-ca"); err != nil || bytes.Equal(fresh.CertPEM, ca.CertPEM) {
		t.Fatalf("a CA without its key was kept: %v", err)
	}
}

func TestLeafValidity(t *testing.T) {
	ca, err := NewCA("test-ca")
	if err != nil {
		t.Fatal(err)
	}
	for validity, want := range map[time.Duration]time.Duration{0: 365 * 24 * time.Hour, 5 * 365 * 24 * time.Hour: 5 * 365 * 24 * time.Hour} {
		certPEM, _, err := ca.Issue(Leaf{CommonName: "x", Client: true, Validity: validity})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := pem.Decode(certPEM)
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if got := time.Until(c.NotAfter); got < want-48*time.Hour || got > want+time.Hour {
			t.Errorf("validity %v: certificate valid for %v more", validity, got)
		}
	}
}
