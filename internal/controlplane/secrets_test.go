package controlplane

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/pki"
	"github.com/keksdev/keks/internal/store"
)

func sealedStore(t *testing.T) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	st, err := store.OpenEmbedded(ctx, filepath.Join(dir, "store"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if err := st.UseSealKey(ctx, filepath.Join(dir, "seal.key")); err != nil {
		t.Fatal(err)
	}
	return st
}

// assertNoPlainKeys fails if the stored record holds any private key in
// the clear, as PEM or as the base64 JSON gives []byte.
func assertNoPlainKeys(t *testing.T, st *store.Store, uid string, sec *Secrets) {
	t.Helper()
	raws, err := st.ListRaw(context.Background(), secretsKey(uid))
	if err != nil || len(raws) != 1 {
		t.Fatalf("raw secrets: %v, %d records", err, len(raws))
	}
	raw := raws[0].Value
	if bytes.Contains(raw, []byte("PRIVATE KEY")) {
		t.Fatalf("a private key is stored in the clear: %s", raw)
	}
	for _, k := range [][]byte{sec.CAKey, sec.EtcdCAKey, sec.FrontProxyKey, sec.ServiceAcctKey} {
		if bytes.Contains(raw, []byte(base64.StdEncoding.EncodeToString(k))) {
			t.Fatal("a private key is stored as base64")
		}
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"caKey", "etcdCaKey", "frontProxyCaKey", "serviceAccountKey"} {
		if s, _ := fields[f].(string); !store.IsSealed(s) {
			t.Errorf("%s is not sealed: %.40q", f, s)
		}
	}
}

func TestSecretsSealedInStore(t *testing.T) {
	ctx := context.Background()
	st := sealedStore(t)
	sec, err := ensureSecrets(ctx, st, "uid-1", "one")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pki.LoadCA(sec.CACert, sec.CAKey); err != nil {
		t.Fatalf("the CA made does not load: %v", err)
	}
	assertNoPlainKeys(t, st, "uid-1", sec)
	again, err := LoadSecrets(ctx, st, "uid-1")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.CAKey, sec.CAKey) || !bytes.Equal(again.ServiceAcctKey, sec.ServiceAcctKey) || !bytes.Equal(again.EtcdCACert, sec.EtcdCACert) {
		t.Fatal("secrets read back differ")
	}
	if same, err := ensureSecrets(ctx, st, "uid-1", "one"); err != nil || !bytes.Equal(same.FrontProxyKey, sec.FrontProxyKey) {
		t.Fatalf("a second ensure made other secrets: %v", err)
	}
}

// TestOlderPlainSecretsReadAndSeal: secrets as older keks stored them
// (keys as base64 []byte) still read, and SealStoredSecrets seals them in
// place, once.
func TestOlderPlainSecretsReadAndSeal(t *testing.T) {
	ctx := context.Background()
	st := sealedStore(t)
	ca, _ := pki.NewCA("kubernetes")
	etcdCA, _ := pki.NewCA("etcd-ca")
	fp, _ := pki.NewCA("front-proxy-ca")
	sa, _ := pki.NewRSAKey()
	type olderSecrets struct {
		CACert         []byte `json:"caCert"`
		CAKey          []byte `json:"caKey"`
		EtcdCACert     []byte `json:"etcdCaCert"`
		EtcdCAKey      []byte `json:"etcdCaKey"`
		FrontProxyCert []byte `json:"frontProxyCaCert"`
		FrontProxyKey  []byte `json:"frontProxyCaKey"`
		ServiceAcctKey []byte `json:"serviceAccountKey"`
	}
	old := olderSecrets{ca.CertPEM, ca.KeyPEM, etcdCA.CertPEM, etcdCA.KeyPEM, fp.CertPEM, fp.KeyPEM, sa}
	if err := st.Put(ctx, secretsKey("uid-old"), &old); err != nil {
		t.Fatal(err)
	}
	sec, err := LoadSecrets(ctx, st, "uid-old")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sec.CAKey, ca.KeyPEM) || !bytes.Equal(sec.ServiceAcctKey, sa) || !bytes.Equal(sec.CACert, ca.CertPEM) {
		t.Fatal("older secrets read wrong")
	}
	if n, err := SealStoredSecrets(ctx, st); err != nil || n != 1 {
		t.Fatalf("sealed %d, %v; want 1", n, err)
	}
	assertNoPlainKeys(t, st, "uid-old", sec)
	if n, err := SealStoredSecrets(ctx, st); err != nil || n != 0 {
		t.Fatalf("second pass sealed %d, %v; want 0", n, err)
	}
	after, err := LoadSecrets(ctx, st, "uid-old")
	if err != nil || !bytes.Equal(after.EtcdCAKey, etcdCA.KeyPEM) || !bytes.Equal(after.FrontProxyKey, fp.KeyPEM) {
		t.Fatalf("sealed secrets read wrong: %v", err)
	}
}

// TestSealedSecretsDoNotMove: a cluster's sealed key copied into another
// cluster's record does not open there.
func TestSealedSecretsDoNotMove(t *testing.T) {
	ctx := context.Background()
	st := sealedStore(t)
	if _, err := ensureSecrets(ctx, st, "uid-a", "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := ensureSecrets(ctx, st, "uid-b", "b"); err != nil {
		t.Fatal(err)
	}
	var a, b storedSecrets
	_, _ = st.Get(ctx, secretsKey("uid-a"), &a)
	_, _ = st.Get(ctx, secretsKey("uid-b"), &b)
	b.CAKey = a.CAKey
	if err := st.Put(ctx, secretsKey("uid-b"), &b); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSecrets(ctx, st, "uid-b"); err == nil || !strings.Contains(err.Error(), "does not open") {
		t.Fatalf("a moved key: %v", err)
	}
}
