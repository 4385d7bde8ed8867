package store

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// TestEmbeddedRequiresClientCertificate: the member answers keks's client
// and no client without a certificate of the store CA, nor plain http.
func TestEmbeddedRequiresClientCertificate(t *testing.T) {
	dir := t.TempDir()
	s := openStoreIn(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Put(ctx, "k", "v"); err != nil {
		t.Fatalf("keks's own client: %v", err)
	}
	m := memberTLS{dir: filepath.Join(dir, "tls")}
	withCert, err := m.clientConfig()
	if err != nil {
		t.Fatal(err)
	}
	noCert := &tls.Config{RootCAs: withCert.RootCAs, MinVersion: tls.VersionTLS12}
	if err := tryGet(s.member, noCert); err == nil {
		t.Fatal("a client without a certificate read the store")
	}
	// Refused for that reason: the handshake asks for a certificate.
	if err := handshake(mustParse(t, s.member).Host, noCert); err == nil || !strings.Contains(err.Error(), "certificate required") {
		t.Fatalf("handshake without a certificate: %v", err)
	}
	plain := "http://" + mustParse(t, s.member).Host
	if err := tryGet(plain, nil); err == nil {
		t.Fatal("a plain-http client read the store")
	}
	if err := tryGet(s.member, withCert); err != nil {
		t.Fatalf("a second client with keks's certificate: %v", err)
	}
}

// TestEmbeddedTLSFiles: keys are 0600 in a 0700 directory, and a restart
// keeps the CA (a new one would be a needless change of trust).
func TestEmbeddedTLSFiles(t *testing.T) {
	dir := t.TempDir()
	openStoreIn(t, dir).Close()
	tlsDir := filepath.Join(dir, "tls")
	assertMode(t, tlsDir, 0o700|os.ModeDir)
	for _, name := range []string{"ca.key", "server.key", "client.key"} {
		assertMode(t, filepath.Join(tlsDir, name), 0o600)
	}
	ca, err := os.ReadFile(filepath.Join(tlsDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	openStoreIn(t, dir).Close()
	again, _ := os.ReadFile(filepath.Join(tlsDir, "ca.crt"))
	if string(again) != string(ca) {
		t.Fatal("a restart made a new store CA")
	}
}

// TestEmbeddedOpensPlainHTTPDataDir: a data directory an older keks
// served over plain http (with a peer listener) opens over TLS with its
// data, and keeps working across restarts.
func TestEmbeddedOpensPlainHTTPDataDir(t *testing.T) {
	dir := t.TempDir()
	writeWithPlainHTTPMember(t, filepath.Join(dir, "etcd"), keyPrefix+"old/record", `{"n":1}`)
	for range 2 {
		s := openStoreIn(t, dir)
		var v struct{ N int }
		if _, err := s.Get(context.Background(), "old/record", &v); err != nil || v.N != 1 {
			t.Fatalf("record of the plain-http store: %+v, %v", v, err)
		}
		s.Close()
	}
}

// writeWithPlainHTTPMember runs a member as older keks did (http client
// and peer listeners, no authentication) to write one key.
func writeWithPlainHTTPMember(t *testing.T, etcdDir, key, value string) {
	t.Helper()
	client, err := freeLoopbackURL("http")
	if err != nil {
		t.Fatal(err)
	}
	peer, err := freeLoopbackURL("http")
	if err != nil {
		t.Fatal(err)
	}
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = "keks", etcdDir
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*client}, []url.URL{*client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*peer}, []url.URL{*peer}
	cfg.InitialCluster = "keks=" + peer.String()
	cfg.Logger, cfg.ZapLoggerBuilder = "zap", embed.NewZapLoggerBuilder(zap.NewNop())
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	<-e.Server.ReadyNotify()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{client.String()}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if _, err := cli.Put(context.Background(), key, value); err != nil {
		t.Fatal(err)
	}
}

func openStoreIn(t *testing.T, dir string) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := OpenEmbedded(ctx, dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// tryGet reads one key through a client of its own.
func tryGet(endpoint string, tlsCfg *tls.Config) error {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, TLS: tlsCfg, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err = cli.Get(ctx, keyPrefix+"k")
	return err
}

// handshake completes a TLS handshake and reads, which is when a TLS 1.3
// server's refusal of the client's certificate arrives.
func handshake(addr string, cfg *tls.Config) error {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err = conn.Read(make([]byte, 1))
	return err
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != want {
		t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
	}
}
