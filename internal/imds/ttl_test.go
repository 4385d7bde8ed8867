package imds

import (
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
)

// recordingListener hands the server its connections unchanged, keeping
// each so the test can read its socket's TTL from the server's side.
type recordingListener struct {
	net.Listener
	conns chan *net.TCPConn
}

func (l recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		l.conns <- tc
	}
	return c, err
}

func ttlOf(t *testing.T, c *net.TCPConn) int {
	t.Helper()
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var ttl int
	var getErr error
	if err := raw.Control(func(fd uintptr) { ttl, getErr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TTL) }); err != nil || getErr != nil {
		t.Fatalf("getsockopt IP_TTL: %v %v", err, getErr)
	}
	return ttl
}

func TestTokenResponseLeavesWithTheHopLimit(t *testing.T) {
	f := newFixture(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := recordingListener{Listener: ln, conns: make(chan *net.TCPConn, 8)}
	srv := NewServer(f.h, nil)
	go func() { _ = srv.Serve(rec) }()
	defer srv.Close()
	// A client per request, so each has its own socket, kept open (idle)
	// until the test has read its TTL.
	send := func(method, path string, headers map[string]string) *net.TCPConn {
		tr := &http.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		client := &http.Client{Transport: tr}
		req, _ := http.NewRequest(method, "http://"+ln.Addr().String()+path, nil)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %s", method, path, resp.Status)
		}
		return <-rec.conns
	}

	plain := send(http.MethodGet, "/latest/meta-data/instance-id", nil)
	defaultTTL := ttlOf(t, plain)
	for _, hops := range []int{1, 2} {
		f.set(func() { f.hopLimit = hops })
		c := send(http.MethodPut, "/latest/api/token", map[string]string{tokenTTLHeader: "60"})
		if got := ttlOf(t, c); got != hops {
			t.Errorf("token response with hop limit %d left with TTL %d", hops, got)
		}
	}
	if defaultTTL <= 2 {
		t.Errorf("a metadata GET's connection has TTL %d: only token responses are limited", defaultTTL)
	}
}
