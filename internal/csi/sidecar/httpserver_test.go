package sidecar

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// freeAddress is a loopback address nobody listens on.
func freeAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitUntilListening returns once addr accepts connections.
func waitUntilListening(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never listened: %v", addr, err)
		}
	}
}

// TestServeHTTPFinishesRequestsInFlight: a request that started before the
// sidecar was told to stop is answered, then ServeHTTP returns nil.
func TestServeHTTPFinishesRequestsInFlight(t *testing.T) {
	addr := freeAddress(t)
	started, release := make(chan struct{}), make(chan struct{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "ok")
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- ServeHTTP(ctx, addr, handler) }()
	waitUntilListening(t, addr)

	answered := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			answered <- err.Error()
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		answered <- string(body)
	}()
	<-started
	cancel()
	select {
	case err := <-served:
		t.Fatalf("ServeHTTP returned %v with a request in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if body := <-answered; body != "ok" {
		t.Errorf("the request in flight got %q, want ok", body)
	}
	if err := <-served; err != nil {
		t.Errorf("ServeHTTP after cancel = %v, want nil", err)
	}
}

func TestServeHTTPReportsAnAddressInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	if err := ServeHTTP(context.Background(), taken.Addr().String(), http.NotFoundHandler()); err == nil {
		t.Error("ServeHTTP on a taken address = nil, want an error")
	}
}
