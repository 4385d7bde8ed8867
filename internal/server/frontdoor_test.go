package server

import (
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestFrontDoorForwardsAsSigned: a standby sends the leader the request as
// the client made it (Host, path, body), which SigV4 signed; a request that
// finds the leader gone waits for the next one and is sent again, body
// included; once the replica leads, it serves itself.
func TestFrontDoorForwardsAsSigned(t *testing.T) {
	type seen struct{ host, path, body string }
	got := make(chan seen, 4)
	leader := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Host, r.URL.RequestURI(), string(b)}
		_, _ = io.WriteString(w, "from the leader")
	}))
	defer leader.Close()
	pool := x509.NewCertPool()
	pool.AddCert(leader.Certificate())
	door := newFrontDoor("127.0.0.1:1", pool, slog.New(slog.DiscardHandler))
	standby := httptest.NewServer(door)
	defer standby.Close()

	post := func() (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, standby.URL+"/eks/clusters?x=1", strings.NewReader(`{"name":"c"}`))
		req.Host = "keks.example:4577"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	// The leader is first somewhere that refuses connections, then found.
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := dead.Addr().String()
	_ = dead.Close()
	door.setLeader(deadAddr)
	go func() {
		time.Sleep(700 * time.Millisecond)
		door.setLeader(strings.TrimPrefix(leader.URL, "https://"))
	}()
	code, body := post()
	if code != http.StatusOK || body != "from the leader" {
		t.Fatalf("forwarded answer: %d %q", code, body)
	}
	s := <-got
	if s.host != "keks.example:4577" || s.path != "/eks/clusters?x=1" || s.body != `{"name":"c"}` {
		t.Fatalf("the leader saw %+v", s)
	}

	// Leading: served here.
	door.serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "served here") }))
	if code, body := post(); code != http.StatusOK || body != "served here" {
		t.Fatalf("once leading: %d %q", code, body)
	}
}
