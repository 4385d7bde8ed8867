package kmsplugin

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	kmsv2 "k8s.io/kms/apis/v2"
	"k8s.io/kms/pkg/service"
)

// servePlugin runs `keks kms-plugin` for the fixture until the test ends
// and returns a gRPC client of its socket, as kube-apiserver has.
func servePlugin(t *testing.T, f *clusterFixture) kmsv2.KeyManagementServiceClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, f.configPath, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("plugin stopped with %v", err)
		}
		if _, err := os.Lstat(f.cfg.Socket); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the plugin's socket outlived it: %v", err)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := Probe(context.Background(), f.cfg.Socket); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the plugin does not answer on %s: %v", f.cfg.Socket, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	conn, err := grpc.NewClient("unix://"+f.cfg.Socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return kmsv2.NewKeyManagementServiceClient(conn)
}

// TestPluginRoundTripOverItsSocket is kube-apiserver's use of the plugin:
// Status, then a data key encrypted and decrypted, through keks's KMS as
// the cluster role.
func TestPluginRoundTripOverItsSocket(t *testing.T) {
	f := newCluster(t, true)
	c := servePlugin(t, f)
	ctx := context.Background()
	if st, err := os.Stat(f.cfg.Socket); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("socket: %v, mode %v; want 0600", err, st.Mode())
	}
	status, err := c.Status(ctx, &kmsv2.StatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if status.Healthz != "ok" || status.Version != "v2" || status.KeyId != f.key.ARN {
		t.Fatalf("status %+v; want ok, v2, key id %s", status, f.key.ARN)
	}
	dek := bytes.Repeat([]byte{0x5a}, 32)
	enc, err := c.Encrypt(ctx, &kmsv2.EncryptRequest{Plaintext: dek, Uid: "round-trip"})
	if err != nil {
		t.Fatal(err)
	}
	if enc.KeyId != status.KeyId || len(enc.Ciphertext) == 0 || bytes.Contains(enc.Ciphertext, dek) {
		t.Fatalf("encrypt answered key id %q (status says %q), ciphertext %x", enc.KeyId, status.KeyId, enc.Ciphertext)
	}
	dec, err := c.Decrypt(ctx, &kmsv2.DecryptRequest{Ciphertext: enc.Ciphertext, KeyId: enc.KeyId, Uid: "round-trip", Annotations: enc.Annotations})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dec.Plaintext, dek) {
		t.Fatalf("decrypted %x, want %x", dec.Plaintext, dek)
	}
	// A ciphertext that KMS did not make is refused, not decrypted to garbage.
	if _, err := c.Decrypt(ctx, &kmsv2.DecryptRequest{Ciphertext: append([]byte{}, enc.Ciphertext[:len(enc.Ciphertext)-1]...), KeyId: enc.KeyId}); err == nil {
		t.Fatal("a truncated ciphertext was decrypted")
	}
}

// TestPluginReportsAccessDenied: a cluster role whose policies do not let
// it use the key makes the plugin unhealthy, with KMS's reason, which
// kube-apiserver's health check shows; allowed, it is healthy again at
// its next check, without a restart.
func TestPluginReportsAccessDenied(t *testing.T) {
	f := newCluster(t, false)
	s := f.service()
	ctx := context.Background()
	st, err := s.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != "v2" || st.KeyID == "" || !strings.Contains(st.Healthz, "AccessDeniedException") || !strings.Contains(st.Healthz, "kms:Encrypt") {
		t.Fatalf("status of a plugin whose role may not use the key: %+v", st)
	}
	if _, err := s.Encrypt(ctx, "denied", []byte("0123456789abcdef0123456789abcdef")); err == nil || !strings.Contains(err.Error(), "AccessDeniedException") {
		t.Fatalf("encrypt without the right to: %v", err)
	}
	f.allow(t)
	if st, err := s.Status(ctx); err != nil || st.Healthz != "ok" || st.KeyID != f.key.ARN {
		t.Fatalf("status once allowed: %+v %v", st, err)
	}
}

// TestPluginFollowsItsFiles: the plugin reads its session and its
// configuration again when keks rewrites them.
func TestPluginFollowsItsFiles(t *testing.T) {
	f := newCluster(t, true)
	s := f.service()
	ctx := context.Background()
	wantHealthz := func(what, want string) {
		t.Helper()
		st, err := s.Status(ctx)
		if err != nil || !strings.Contains(st.Healthz, want) {
			t.Fatalf("%s: status %+v %v; want healthz with %q", what, st, err, want)
		}
	}
	wantHealthz("a fresh session", "ok")

	session, err := ReadSession(f.cfg.SessionFile)
	if err != nil {
		t.Fatal(err)
	}
	expired := session
	expired.Expiration = time.Now().Add(-time.Minute)
	if err := WriteSession(f.cfg.SessionFile, expired); err != nil {
		t.Fatal(err)
	}
	wantHealthz("an expired session", "expired")
	if err := WriteSession(f.cfg.SessionFile, Session{Error: "role cluster-role-x does not exist", RetryAt: time.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	wantHealthz("a session keks could not renew", "role cluster-role-x does not exist")
	f.renewSession(t)
	wantHealthz("a renewed session", "ok")

	good := f.cfg.Endpoint
	f.cfg.Endpoint = "https://127.0.0.1:1"
	f.writeConfig(t)
	wantHealthz("an endpoint nothing serves", "connect")
	f.cfg.Endpoint = good
	f.writeConfig(t)
	wantHealthz("the endpoint again", "ok")
}

// TestStatusAnswersAreKept: kube-apiserver and keks ask for the status
// every few seconds; a healthy answer stands a while, so that an idle
// cluster costs few KMS calls, and a failed operation ends it at once.
func TestStatusAnswersAreKept(t *testing.T) {
	f := newCluster(t, true)
	s := NewService(f.configPath, slog.New(slog.NewTextHandler(io.Discard, nil)))
	calls := &countingKMS{}
	ctx := context.Background()
	if _, _, err := s.current(); err != nil {
		t.Fatal(err)
	}
	calls.next = s.loaded.kms
	s.loaded.kms = calls
	for range 3 {
		if st, err := s.Status(ctx); err != nil || st.Healthz != "ok" {
			t.Fatalf("status %+v %v", st, err)
		}
	}
	if calls.n != 2 {
		t.Fatalf("three status answers took %d KMS calls; want one check (encrypt and decrypt)", calls.n)
	}
	if _, err := s.Decrypt(ctx, "bad", &service.DecryptRequest{Ciphertext: []byte("not a ciphertext")}); err == nil {
		t.Fatal("decrypted garbage")
	}
	if _, err := s.Status(ctx); err != nil || calls.n != 5 {
		t.Fatalf("after a failed decrypt, status took %d calls in all (%v); want a new check", calls.n, err)
	}
}

func TestLoadConfigNamesWhatIsMissing(t *testing.T) {
	path := t.TempDir() + "/c.json"
	if err := os.WriteFile(path, []byte(`{"socket":"/tmp/x.sock","region":"us-east-1"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(path)
	for _, want := range []string{"keyArn is required", "endpoint is required", "sessionFile is required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadConfig: %v; want %q", err, want)
		}
	}
}
