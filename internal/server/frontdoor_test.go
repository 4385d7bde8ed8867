package server

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/pki"
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
	door := newFrontDoor("127.0.0.1:1", pool, nil, slog.New(slog.DiscardHandler))
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

// TestFrontDoorBelievesOnlyReplicas: the client address a standby passes
// on becomes the request's (IAM's aws:SourceIp) only with a replica
// certificate of keks's CA; the header is dropped from every request.
func TestFrontDoorBelievesOnlyReplicas(t *testing.T) {
	ca, err := pki.NewCA("keks-ca")
	if err != nil {
		t.Fatal(err)
	}
	other, err := pki.NewCA("other")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	door := newFrontDoor("127.0.0.1:1", pool, nil, slog.New(slog.DiscardHandler))
	cert := func(ca *pki.CA, cn string, client bool) *x509.Certificate {
		certPEM, keyPEM, err := ca.Issue(pki.Leaf{CommonName: cn, Client: client, Server: !client})
		if err != nil {
			t.Fatal(err)
		}
		c, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		parsed, _ := x509.ParseCertificate(c.Certificate[0])
		return parsed
	}
	for _, tc := range []struct {
		name string
		peer *x509.Certificate
		want string
	}{
		{"replica", cert(ca, replicaCommonName, true), "203.0.113.7:5555"},
		{"no certificate", nil, "127.0.0.1:40000"},
		{"another CA's replica name", cert(other, replicaCommonName, true), "127.0.0.1:40000"},
		{"keks's server certificate", cert(ca, replicaCommonName, false), "127.0.0.1:40000"},
		{"another name", cert(ca, "someone", true), "127.0.0.1:40000"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = "127.0.0.1:40000"
		r.Header.Set(clientAddrHeader, "203.0.113.7:5555")
		r.TLS = &tls.ConnectionState{}
		if tc.peer != nil {
			r.TLS.PeerCertificates = []*x509.Certificate{tc.peer}
		}
		door.fromReplica(r)
		if r.RemoteAddr != tc.want || r.Header.Get(clientAddrHeader) != "" {
			t.Errorf("%s: address %s, header %q; want %s and none", tc.name, r.RemoteAddr, r.Header.Get(clientAddrHeader), tc.want)
		}
	}
}
