package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/agents/agent"
	"github.com/keksdev/keks/internal/pki"
	"github.com/keksdev/keks/internal/store"
	"github.com/keksdev/keks/internal/store/storetest"
)

// agentsFixture is an agents listener on a loopback port over a store of
// its own, as keks server runs it.
type agentsFixture struct {
	svc    *agents.Service
	url    string
	hash   string // keks's CA's discovery hash
	keksCA *pki.CA
}

func startAgents(t *testing.T) *agentsFixture { return startAgentsWith(t, nil) }

// startAgentsWith starts the listener after wire, when given, has had its
// store and service (to set what the server sets, as Removing).
func startAgentsWith(t *testing.T, wire func(st *store.Store, svc *agents.Service, ln *agentsListener)) *agentsFixture {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t)
	keksCA, err := loadKeksCA(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	svc := &agents.Service{Store: st}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ln, err := listenAgents(ctx, "127.0.0.1:0", keksCA, svc, log)
	if err != nil {
		t.Fatal(err)
	}
	if wire != nil {
		wire(st, svc, ln)
	}
	go func() { _ = ln.srv.ServeTLS(ln.ln, "", "") }()
	t.Cleanup(func() { _ = ln.srv.Close() })
	return &agentsFixture{svc: svc, url: ln.url, hash: agents.CertHash(keksCA.Cert), keksCA: keksCA}
}

func (f *agentsFixture) token(t *testing.T) string {
	t.Helper()
	tok, err := f.svc.CreateToken(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

// agentConfig is an agent of dir joining with token; its capacity counts
// up with each report, so that a test sees heartbeats arrive.
func (f *agentsFixture) agentConfig(t *testing.T, dir, token string) (agent.Config, *atomic.Int64) {
	var reports atomic.Int64
	return agent.Config{Server: f.url, Token: token, CACertHash: f.hash, Zone: "us-east-1a", DataDir: dir, Addresses: []string{"192.0.2.7"},
		Interval: 20 * time.Millisecond, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Capacity: func() (agents.Capacity, error) {
			return agents.Capacity{CPUs: int(reports.Add(1)), MemoryBytes: 1 << 30}, nil
		}}, &reports
}

// runAgent runs an agent until the test ends; its error comes on the channel.
func runAgent(t *testing.T, cfg agent.Config) <-chan error {
	ctx, cancel := context.WithCancel(context.Background())
	done, stopped := make(chan error, 1), make(chan struct{})
	go func() { done <- agent.Run(ctx, cfg); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped })
	return done
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func hostsOf(t *testing.T, svc *agents.Service) []agents.HostStatus {
	t.Helper()
	hosts, err := svc.ListHosts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return hosts
}

func TestAgentJoinsThenHeartbeatsOverMutualTLS(t *testing.T) {
	f := startAgents(t)
	dir := t.TempDir()
	cfg, reports := f.agentConfig(t, dir, f.token(t))
	done := runAgent(t, cfg)
	waitFor(t, "heartbeats", func() bool { return reports.Load() >= 3 })
	hosts := hostsOf(t, f.svc)
	if len(hosts) != 1 || hosts[0].State != agents.StateReady || hosts[0].Zone != "us-east-1a" || hosts[0].Addresses[0] != "192.0.2.7" {
		t.Fatalf("hosts %+v, want one Ready host in us-east-1a", hosts)
	}
	waitFor(t, "a heartbeat recorded", func() bool { return hostsOf(t, f.svc)[0].Capacity.CPUs >= 2 })
	for _, name := range []string{"agent.key", "agent.crt", "keks-ca.crt", "agents-ca.crt", "agent.json"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, mode %v; want 0600", name, err, fi.Mode())
		}
	}
	select {
	case err := <-done:
		t.Fatalf("agent stopped: %v", err)
	default:
	}

	// A later run needs no token: the data directory is the host.
	again, reports2 := f.agentConfig(t, dir, "")
	again.CACertHash, again.Zone = "", ""
	runAgent(t, again)
	waitFor(t, "heartbeats of the second run", func() bool { return reports2.Load() >= 2 })
	if hosts := hostsOf(t, f.svc); len(hosts) != 1 || hosts[0].ID != hostsOf(t, f.svc)[0].ID {
		t.Fatalf("the second run made another host: %+v", hosts)
	}
}

func TestAgentRefusesAServerWhoseCAHasAnotherHash(t *testing.T) {
	f := startAgents(t)
	tok := f.token(t)
	other, _ := pki.NewCA("impostor")
	cfg, _ := f.agentConfig(t, t.TempDir(), tok)
	cfg.CACertHash = agents.CertHash(other.Cert)
	_, err := agent.Join(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "refusing to join") || !strings.Contains(err.Error(), f.hash) {
		t.Fatalf("join with another CA's hash: %v; want a refusal naming the server's hash", err)
	}
	if entries, _ := os.ReadDir(cfg.DataDir); len(entries) != 0 {
		t.Fatalf("a refused join left %d files", len(entries))
	}
	// The token was never sent: it still joins.
	cfg.CACertHash = f.hash
	if _, err := agent.Join(context.Background(), cfg); err != nil {
		t.Fatalf("the token after a refused server: %v", err)
	}
}

func TestAUsedTokenIsRefused(t *testing.T) {
	f := startAgents(t)
	tok := f.token(t)
	first, _ := f.agentConfig(t, t.TempDir(), tok)
	if _, err := agent.Join(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	second, _ := f.agentConfig(t, t.TempDir(), tok)
	_, err := agent.Join(context.Background(), second)
	if err == nil || !strings.Contains(err.Error(), "keks refused the join") || !strings.Contains(err.Error(), "not valid") {
		t.Fatalf("a used token: %v", err)
	}
	if n := len(hostsOf(t, f.svc)); n != 1 {
		t.Fatalf("%d hosts, want 1", n)
	}
}

// client is an HTTPS client of the listener trusting keks's CA, with cert
// as its client certificate if given: sent whatever CAs the server names
// (Go's client would otherwise keep back one the server does not name).
func (f *agentsFixture) client(cert *tls.Certificate) *http.Client {
	roots := x509.NewCertPool()
	roots.AddCert(f.keksCA.Cert)
	tc := &tls.Config{RootCAs: roots}
	if cert != nil {
		tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
}

func post(c *http.Client, url string, body []byte) (int, string, error) {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e struct{ Code, Message string }
	if resp.StatusCode != http.StatusOK && (json.Unmarshal(data, &e) != nil || e.Code == "" || e.Message == "") {
		return resp.StatusCode, "", fmt.Errorf("error answer is not {code, message}: %s", data)
	}
	return resp.StatusCode, e.Code, nil
}

func heartbeatBody() []byte {
	b, _ := json.Marshal(agents.Heartbeat{Addresses: []string{"192.0.2.7"}, Capacity: agents.Capacity{CPUs: 1, MemoryBytes: 1 << 20}})
	return b
}

// joined joins a host and returns its client certificate.
func (f *agentsFixture) joined(t *testing.T) (*tls.Certificate, string) {
	t.Helper()
	cfg, _ := f.agentConfig(t, t.TempDir(), f.token(t))
	if _, err := agent.Join(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(cfg.DataDir, "agent.crt"), filepath.Join(cfg.DataDir, "agent.key"))
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	return &cert, leaf.Subject.CommonName
}

func TestHeartbeatNeedsTheCertificateOfARecordedHost(t *testing.T) {
	f := startAgents(t)
	cert, id := f.joined(t)
	if status, _, err := post(f.client(cert), f.url+agentsHeartbeatPath, heartbeatBody()); err != nil || status != http.StatusOK {
		t.Fatalf("heartbeat with the host's certificate: %d %v", status, err)
	}
	// No certificate.
	if status, code, err := post(f.client(nil), f.url+agentsHeartbeatPath, heartbeatBody()); err != nil || status != http.StatusUnauthorized || code != "ClientCertificateRequired" {
		t.Fatalf("heartbeat without a certificate: %d %s %v; want 401 ClientCertificateRequired", status, code, err)
	}
	// A certificate for the same host id from another CA: TLS refuses it.
	other, _ := pki.NewCA("other")
	certPEM, keyPEM, _ := other.Issue(pki.Leaf{CommonName: id, Client: true})
	forged, _ := tls.X509KeyPair(certPEM, keyPEM)
	if status, _, err := post(f.client(&forged), f.url+agentsHeartbeatPath, heartbeatBody()); err == nil {
		t.Fatalf("another CA's certificate was taken: %d", status)
	}
	// keks's own CA is not the agents CA either.
	keksLeafPEM, keksKeyPEM, _ := f.keksCA.Issue(pki.Leaf{CommonName: id, Client: true})
	keksLeaf, _ := tls.X509KeyPair(keksLeafPEM, keksKeyPEM)
	if status, _, err := post(f.client(&keksLeaf), f.url+agentsHeartbeatPath, heartbeatBody()); err == nil {
		t.Fatalf("a certificate of keks's CA was taken as a host's: %d", status)
	}
	// A deleted host's certificate, still valid to TLS, is refused.
	if err := f.svc.DeleteHost(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if status, code, err := post(f.client(cert), f.url+agentsHeartbeatPath, heartbeatBody()); err != nil || status != http.StatusForbidden || code != agents.CodeUnknownHost {
		t.Fatalf("heartbeat of a deleted host: %d %s %v; want 403 UnknownHost", status, code, err)
	}
	if n := len(hostsOf(t, f.svc)); n != 0 {
		t.Fatalf("a deleted host's heartbeat made a record again: %d hosts", n)
	}
}

func TestAgentOfADeletedHostStops(t *testing.T) {
	f := startAgents(t)
	cfg, reports := f.agentConfig(t, t.TempDir(), f.token(t))
	done := runAgent(t, cfg)
	waitFor(t, "a heartbeat", func() bool { return reports.Load() >= 2 })
	if err := f.svc.DeleteHost(context.Background(), hostsOf(t, f.svc)[0].ID); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "join again") {
			t.Fatalf("agent of a deleted host: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the agent of a deleted host goes on")
	}
}

// TestBadAgentBodiesAre4xx sends bodies and methods no agent sends, with
// and without a host's certificate: every answer is a 4xx {code, message}.
func TestBadAgentBodiesAre4xx(t *testing.T) {
	f := startAgents(t)
	cert, _ := f.joined(t)
	tok := f.token(t)
	// A CSR that is PEM but not a request.
	csr := "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"
	bodies := []string{
		"", "null", "[]", "{", "}", "0", `"x"`, "{}", `{"token":1}`, `{"token":null,"csr":[]}`,
		`{"token":"` + tok + `"}`,
		`{"token":"` + tok + `","csr":"` + strings.ReplaceAll(csr, "\n", `\n`) + `","zone":"us-east-1a","addresses":["192.0.2.1"],"capacity":{"cpus":1,"memoryBytes":1}}`,
		`{"token":"` + tok + `","csr":"x","zone":"us-east-1a","addresses":["192.0.2.1"],"capacity":{"cpus":-1,"memoryBytes":1}}`,
		`{"token":"` + tok + `","zone":"` + strings.Repeat("a", 5000) + `"}`,
		`{"addresses":["::1","nope"],"capacity":{"cpus":1,"memoryBytes":1}}`,
		`{"addresses":[],"capacity":{"cpus":1e99,"memoryBytes":1}}`,
		`{"capacity":{"cpus":"1"}}`,
		"{\"token\":\"\xff\xfe\"}",
		`{"token":"` + strings.Repeat("a", maxAgentBody) + `"}`,
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 40 {
		b := make([]byte, rnd.IntN(300))
		for i := range b {
			b[i] = byte(rnd.IntN(256))
		}
		bodies = append(bodies, string(b))
		// JSON-ish: a valid body with a byte changed.
		v := []byte(string(heartbeatBody()))
		v[rnd.IntN(len(v))] = "{}[]\",:0a\x00"[rnd.IntN(10)]
		bodies = append(bodies, string(v))
	}
	for _, c := range []struct {
		name   string
		client *http.Client
	}{{"without a certificate", f.client(nil)}, {"with a host's certificate", f.client(cert)}} {
		for _, path := range []string{agentsJoinPath, agentsHeartbeatPath} {
			for _, body := range bodies {
				status, _, err := post(c.client, f.url+path, []byte(body))
				if err != nil || status < 400 || status >= 500 {
					if status == http.StatusOK && path == agentsHeartbeatPath && c.client != nil && json.Valid([]byte(body)) {
						continue // a changed byte may leave a good heartbeat
					}
					t.Errorf("%s, POST %s %.60q: %d %v; want a 4xx {code, message}", c.name, path, body, status, err)
				}
			}
		}
		for _, req := range []struct{ method, path string }{{"GET", agentsJoinPath}, {"PUT", agentsHeartbeatPath}, {"POST", "/"}, {"POST", "/keks/v1/hosts"}, {"GET", "/keks/agents/v1/"}} {
			r, _ := http.NewRequest(req.method, f.url+req.path, strings.NewReader("{}"))
			resp, err := c.client.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode < 400 || resp.StatusCode >= 500 || resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("%s %s %s: %d %s", c.name, req.method, req.path, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		}
	}
	// The token survived every bad join.
	cfg, _ := f.agentConfig(t, t.TempDir(), tok)
	if _, err := agent.Join(context.Background(), cfg); err != nil {
		t.Fatalf("the token after bad joins: %v", err)
	}
}

func TestAgentRunStopsOnAWrongHashAndWaitsForAnAbsentServer(t *testing.T) {
	f := startAgents(t)
	other, _ := pki.NewCA("impostor")
	cfg, _ := f.agentConfig(t, t.TempDir(), f.token(t))
	cfg.CACertHash = agents.CertHash(other.Cert)
	select {
	case err := <-runAgent(t, cfg):
		if err == nil || !strings.Contains(err.Error(), "refusing to join") {
			t.Fatalf("run with another CA's hash: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an agent given another CA's hash goes on trying")
	}

	// Nothing listening: the agent waits (for keks to start) until stopped.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cfg, _ = f.agentConfig(t, t.TempDir(), f.token(t))
	cfg.Server = "https://" + addr
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := agent.Run(ctx, cfg); err != nil {
		t.Fatalf("an agent waiting for an absent server: %v, want to wait until stopped", err)
	}
}
