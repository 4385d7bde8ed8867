package agents

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/pki"
	"github.com/keksdev/keks/internal/store"
	"github.com/keksdev/keks/internal/store/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newService(t *testing.T) (*Service, *clock) {
	c := &clock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	return &Service{Store: storetest.Open(t), Now: c.now}, c
}

// csrPEM is a request for a key, asking for a subject keks must ignore.
func csrPEM(t *testing.T, cn string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn, Organization: []string{"system:masters"}},
		DNSNames: []string{"keks.example"}, IPAddresses: []net.IP{net.ParseIP("10.0.0.1")}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

func joinRequest(t *testing.T, token string) JoinRequest {
	return JoinRequest{Token: token, CSR: csrPEM(t, "admin"), Zone: "us-east-1a", Addresses: []string{"192.0.2.10"},
		Capacity: Capacity{CPUs: 4, MemoryBytes: 8 << 30}, AgentVersion: "test"}
}

func code(err error) string {
	var e *awserr.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestTokenShapeAndOnlyTheSecretsHashIsStored(t *testing.T) {
	s, c := newService(t)
	ctx := context.Background()
	tok, err := s.CreateToken(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !tokenShape.MatchString(tok.Token) {
		t.Fatalf("token %q is not <6 alnum>.<16 alnum>", tok.Token)
	}
	if want := c.now().Add(DefaultTokenTTL); !tok.Expires.Equal(want) {
		t.Fatalf("expires %s, want %s (1 h)", tok.Expires, want)
	}
	id, secret, _ := strings.Cut(tok.Token, ".")
	raws, err := s.Store.ListRaw(ctx, tokenPrefix)
	if err != nil || len(raws) != 1 || raws[0].Key != tokenPrefix+id {
		t.Fatalf("stored tokens %v, %v; want one at %s", raws, err, tokenPrefix+id)
	}
	if strings.Contains(string(raws[0].Value), secret) {
		t.Fatalf("the store holds the secret in the clear: %s", raws[0].Value)
	}
	var stored token
	if err := json.Unmarshal(raws[0].Value, &stored); err != nil || stored.SecretHash != hashSecret(secret) {
		t.Fatalf("stored %+v (%v), want the secret's SHA-256", stored, err)
	}
	for _, ttl := range []time.Duration{time.Second, MaxTokenTTL + time.Hour, -time.Hour} {
		if _, err := s.CreateToken(ctx, ttl); code(err) != awserr.CodeInvalidRequest {
			t.Errorf("ttl %s: %v, want InvalidRequest", ttl, err)
		}
	}
}

func TestJoinSignsForTheHostIDAndIgnoresTheCSRsSubject(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	tok, err := s.CreateToken(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.Join(ctx, joinRequest(t, tok.Token))
	if err != nil {
		t.Fatal(err)
	}
	if !hostIDShape.MatchString(resp.HostID) {
		t.Fatalf("host id %q is not host-<8 hex>", resp.HostID)
	}
	b, _ := pem.Decode([]byte(resp.Certificate))
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := s.CA(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.CheckSignatureFrom(ca.Cert); err != nil {
		t.Fatalf("certificate not signed by the agents CA: %v", err)
	}
	if cert.Subject.CommonName != resp.HostID || len(cert.Subject.Organization) != 0 || len(cert.DNSNames) != 0 || len(cert.IPAddresses) != 0 {
		t.Fatalf("certificate subject %v, names %v %v: want CN=%s and nothing the CSR asked", cert.Subject, cert.DNSNames, cert.IPAddresses, resp.HostID)
	}
	if len(cert.ExtKeyUsage) != 1 || cert.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
		t.Fatalf("ext key usage %v, want client auth only", cert.ExtKeyUsage)
	}
	if d := time.Until(cert.NotAfter); d < 364*24*time.Hour || d > 366*24*time.Hour {
		t.Fatalf("valid for %s, want a year", d)
	}
	if resp.AgentsCA != string(ca.CertPEM) {
		t.Fatal("join does not return the agents CA")
	}
	h, err := s.Authenticate(ctx, cert)
	if err != nil || h.Zone != "us-east-1a" || h.Capacity.CPUs != 4 {
		t.Fatalf("authenticate: %+v, %v", h, err)
	}
	// The CA is kept: a second read is the same CA.
	again, err := s.CA(ctx)
	if err != nil || !again.Cert.Equal(ca.Cert) {
		t.Fatalf("the agents CA changed between reads: %v", err)
	}
}

func TestATokenJoinsOneHostOnly(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	tok, err := s.CreateToken(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Several joins at once with one token: exactly one host.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		req := joinRequest(t, tok.Token)
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = s.Join(ctx, req) }()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case code(err) != CodeInvalidToken:
			t.Errorf("a losing join: %v, want InvalidJoinToken", err)
		}
	}
	hosts, err := s.ListHosts(ctx)
	if ok != 1 || err != nil || len(hosts) != 1 {
		t.Fatalf("%d joins succeeded, %d hosts (%v); want one", ok, len(hosts), err)
	}
	if _, err := s.Join(ctx, joinRequest(t, tok.Token)); code(err) != CodeInvalidToken {
		t.Fatalf("a used token: %v, want InvalidJoinToken", err)
	}
}

func TestRefusedTokensAllSayTheSame(t *testing.T) {
	s, c := newService(t)
	ctx := context.Background()
	tok, err := s.CreateToken(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	id, _, _ := strings.Cut(tok.Token, ".")
	var messages []string
	for _, bad := range []string{"", "abc", id + ".0000000000000000", "zzzzzz.0000000000000000", strings.ToUpper(tok.Token), tok.Token + "x"} {
		_, err := s.Join(ctx, joinRequest(t, bad))
		if code(err) != CodeInvalidToken {
			t.Fatalf("token %q: %v, want InvalidJoinToken", bad, err)
		}
		messages = append(messages, err.Error())
	}
	c.add(time.Hour)
	_, err = s.Join(ctx, joinRequest(t, tok.Token))
	if code(err) != CodeInvalidToken {
		t.Fatalf("an expired token: %v, want InvalidJoinToken", err)
	}
	for _, m := range append(messages, err.Error()) {
		if m != messages[0] {
			t.Fatalf("refusals differ (%q, %q): they must not tell which check failed", messages[0], m)
		}
	}
	// A failed join leaves the token; expired ones go when the next is made.
	if _, err := s.CreateToken(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if raws, _ := s.Store.ListRaw(ctx, tokenPrefix+id); len(raws) != 0 {
		t.Fatal("the expired token is still stored")
	}
}

func TestJoinRefusesBadRequestsAndKeepsTheToken(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	tok, err := s.CreateToken(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	good := joinRequest(t, tok.Token)
	// A CSR whose signature does not verify: its key is not the signer's.
	b, _ := pem.Decode([]byte(good.CSR))
	tampered := append([]byte(nil), b.Bytes...)
	tampered[len(tampered)-5] ^= 0xff
	for name, mutate := range map[string]func(r *JoinRequest){
		"no csr":      func(r *JoinRequest) { r.CSR = "" },
		"csr not pem": func(r *JoinRequest) { r.CSR = "hello" },
		"certificate": func(r *JoinRequest) { r.CSR = strings.ReplaceAll(r.CSR, "CERTIFICATE REQUEST", "CERTIFICATE") },
		"bad signature": func(r *JoinRequest) {
			r.CSR = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: tampered}))
		},
		"no zone":        func(r *JoinRequest) { r.Zone = "" },
		"zone shape":     func(r *JoinRequest) { r.Zone = "US East/1" },
		"no address":     func(r *JoinRequest) { r.Addresses = nil },
		"address":        func(r *JoinRequest) { r.Addresses = []string{"host.example"} },
		"no cpus":        func(r *JoinRequest) { r.Capacity.CPUs = 0 },
		"memory":         func(r *JoinRequest) { r.Capacity.MemoryBytes = -1 },
		"long version":   func(r *JoinRequest) { r.AgentVersion = strings.Repeat("v", 65) },
		"many addresses": func(r *JoinRequest) { r.Addresses = make([]string, 17) },
	} {
		r := good
		mutate(&r)
		if _, err := s.Join(ctx, r); code(err) != awserr.CodeInvalidRequest {
			t.Errorf("%s: %v, want InvalidRequest", name, err)
		}
	}
	if _, err := s.Join(ctx, good); err != nil {
		t.Fatalf("the token was spent by refused joins: %v", err)
	}
}

func TestHeartbeatStateAndDelete(t *testing.T) {
	s, c := newService(t)
	ctx := context.Background()
	tok, _ := s.CreateToken(ctx, 0)
	resp, err := s.Join(ctx, joinRequest(t, tok.Token))
	if err != nil {
		t.Fatal(err)
	}
	hosts, _ := s.ListHosts(ctx)
	if len(hosts) != 1 || hosts[0].State != StateReady {
		t.Fatalf("after join: %+v, want one Ready host", hosts)
	}
	c.add(NotReadyAfter + time.Second)
	if hosts, _ = s.ListHosts(ctx); hosts[0].State != StateNotReady {
		t.Fatalf("41 s without a heartbeat: %s, want NotReady", hosts[0].State)
	}
	st, err := s.RecordHeartbeat(ctx, resp.HostID, Heartbeat{Addresses: []string{"192.0.2.11"}, Capacity: Capacity{CPUs: 8, MemoryBytes: 16 << 30}})
	if err != nil || st.State != StateReady || st.Capacity.CPUs != 8 || st.Addresses[0] != "192.0.2.11" || !st.LastHeartbeat.Equal(c.now()) {
		t.Fatalf("heartbeat: %+v, %v", st, err)
	}
	if _, err := s.RecordHeartbeat(ctx, resp.HostID, Heartbeat{}); code(err) != awserr.CodeInvalidRequest {
		t.Fatalf("empty heartbeat: %v, want InvalidRequest", err)
	}
	b, _ := pem.Decode([]byte(resp.Certificate))
	cert, _ := x509.ParseCertificate(b.Bytes)
	if err := s.DeleteHost(ctx, resp.HostID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, cert); code(err) != CodeUnknownHost {
		t.Fatalf("a deleted host's certificate: %v, want UnknownHost", err)
	}
	if _, err := s.RecordHeartbeat(ctx, resp.HostID, Heartbeat{Addresses: []string{"192.0.2.11"}, Capacity: Capacity{CPUs: 8, MemoryBytes: 1}}); code(err) != CodeUnknownHost {
		t.Fatalf("a deleted host's heartbeat: %v, want UnknownHost (no record made again)", err)
	}
	for _, id := range []string{resp.HostID, "nope", "../pki/agents-ca"} {
		if err := s.DeleteHost(ctx, id); code(err) != CodeHostNotFound {
			t.Fatalf("delete %q: %v, want HostNotFound", id, err)
		}
	}
}

func TestAnotherCAsCertificateForAHostIsRefused(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	tok, _ := s.CreateToken(ctx, 0)
	resp, err := s.Join(ctx, joinRequest(t, tok.Token))
	if err != nil {
		t.Fatal(err)
	}
	// The listener verifies the chain; Authenticate still matches the
	// serial, so a certificate of the same CN from elsewhere is not the host.
	other, _ := pki.NewCA("other")
	certPEM, _, _ := other.Issue(pki.Leaf{CommonName: resp.HostID, Client: true})
	b, _ := pem.Decode(certPEM)
	cert, _ := x509.ParseCertificate(b.Bytes)
	if _, err := s.Authenticate(ctx, cert); code(err) != CodeUnknownHost {
		t.Fatalf("another certificate for %s: %v, want UnknownHost", resp.HostID, err)
	}
}

func TestCertHash(t *testing.T) {
	ca, _ := pki.NewCA("x")
	h := CertHash(ca.Cert)
	if got, err := ParseCertHash(strings.ToUpper(h[:7]) + strings.ToUpper(h[7:])); err != nil || got != h {
		t.Fatalf("ParseCertHash(upper %s) = %q, %v", h, got, err)
	}
	for _, bad := range []string{"", "sha256:", "sha1:" + h[7:], h[:len(h)-2], h + "00", "sha256:" + strings.Repeat("g", 64)} {
		if _, err := ParseCertHash(bad); err == nil {
			t.Errorf("ParseCertHash(%q) accepted", bad)
		}
	}
}

func TestTheAgentsCAKeyIsSealed(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	if err := s.Store.UseSealKey(ctx, filepath.Join(t.TempDir(), "seal.key")); err != nil {
		t.Fatal(err)
	}
	ca, err := s.CA(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var stored storedCA
	if _, err := s.Store.Get(ctx, caKey, &stored); err != nil {
		t.Fatal(err)
	}
	if !store.IsSealed(stored.Key) || strings.Contains(stored.Key, "PRIVATE KEY") {
		t.Fatalf("the agents CA key is stored as %.40q, want it sealed", stored.Key)
	}
	if again, err := s.CA(ctx); err != nil || !bytes.Equal(again.KeyPEM, ca.KeyPEM) {
		t.Fatalf("the sealed CA does not open to the same key: %v", err)
	}
}
