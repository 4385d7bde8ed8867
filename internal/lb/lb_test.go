package lb

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testBackend is an HTTPS server answering /readyz and / with its name.
func testBackend(t *testing.T, name string) *httptest.Server {
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, name)
	}))
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func caFile(t *testing.T, s *httptest.Server) string {
	p := filepath.Join(t.TempDir(), "ca.crt")
	der := s.Certificate().Raw
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFailoverAndHealth(t *testing.T) {
	a, b := testBackend(t, "a"), testBackend(t, "b")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := l.Addr().String()
	_ = l.Close()
	cfg := &Config{Listen: listen, Backends: []string{strings.TrimPrefix(a.URL, "https://"), strings.TrimPrefix(b.URL, "https://")},
		HealthPath: "/readyz", CAFile: caFile(t, a), Interval: Duration(100 * time.Millisecond)}
	lb, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = lb.Run(ctx) }()
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true}} //nolint:gosec // test backends
	get := func() string {
		resp, err := client.Get("https://" + listen + "/")
		if err != nil {
			return "error: " + err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	// Both backends pass /readyz; connections spread over them.
	seen := map[string]bool{}
	waitFor(t, func() bool { seen[get()] = true; return seen["a"] && seen["b"] })
	// b dies: every request still succeeds, on a, and b is marked down.
	b.Close()
	for i := 0; i < 20; i++ {
		if got := get(); got != "a" {
			t.Fatalf("request %d after b died: %q", i, got)
		}
	}
	for _, s := range lb.Statuses() {
		if s.Backend == cfg.Backends[1] && s.Healthy {
			t.Fatal("dead backend b is still marked healthy")
		}
	}
}

func TestSourceAllowList(t *testing.T) {
	a := testBackend(t, "a")
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	listen := l.Addr().String()
	_ = l.Close()
	cfg := &Config{Listen: listen, Backends: []string{strings.TrimPrefix(a.URL, "https://")}, CAFile: caFile(t, a), Allow: []string{"10.0.0.0/8"}, Interval: Duration(100 * time.Millisecond)}
	lb, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = lb.Run(ctx) }()
	time.Sleep(300 * time.Millisecond)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // test backend
	if _, err := client.Get("https://" + listen + "/"); err == nil {
		t.Fatal("a source outside the allow list got through")
	}
	if err := lb.Reload(&Config{Listen: listen, Backends: cfg.Backends, CAFile: cfg.CAFile, Allow: []string{"127.0.0.0/8"}, Interval: cfg.Interval}); err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get("https://" + listen + "/")
	if err != nil {
		t.Fatalf("after allowing loopback: %v", err)
	}
	resp.Body.Close()
}

func waitFor(t *testing.T, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if f() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("condition not met within 5s")
}
