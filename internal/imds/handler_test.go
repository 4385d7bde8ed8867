package imds

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/ec2"
)

func TestTokenFlow(t *testing.T) {
	f := newFixture(t)
	ts := f.server(t)
	status, tok, hdr := do(t, ts, http.MethodPut, "/latest/api/token", tokenTTLHeader+": 60")
	if status != http.StatusOK || tok == "" || hdr.Get(tokenTTLHeader) != "60" {
		t.Fatalf("PUT token: %d %q, TTL header %q", status, tok, hdr.Get(tokenTTLHeader))
	}
	if status, body, _ := do(t, ts, http.MethodGet, "/latest/meta-data/instance-id", tokenHeader+": "+tok); status != http.StatusOK || body != node.ID {
		t.Errorf("GET instance-id with the token: %d %q", status, body)
	}
	for name, bad := range map[string]string{
		"garbage":          "not-a-token",
		"another instance": f.h.issueToken("i-0fedcba9876543210", f.now.Add(time.Hour)),
		"forged":           tok[:len(tok)-2] + "AA",
	} {
		if status, _, _ := do(t, ts, http.MethodGet, "/latest/meta-data/instance-id", tokenHeader+": "+bad); status != http.StatusUnauthorized {
			t.Errorf("GET with a %s token: %d, want 401", name, status)
		}
	}
	f.advance(61 * time.Second)
	if status, _, _ := do(t, ts, http.MethodGet, "/latest/meta-data/instance-id", tokenHeader+": "+tok); status != http.StatusUnauthorized {
		t.Errorf("GET with an expired token: %d, want 401", status)
	}
}

func TestTokenTTLBounds(t *testing.T) {
	ts := newFixture(t).server(t)
	for _, ttl := range []string{"1", "21600"} {
		token(t, ts, ttl)
	}
	for _, ttl := range []string{"0", "-1", "21601", "sixty", ""} {
		if status, _, _ := do(t, ts, http.MethodPut, "/latest/api/token", tokenTTLHeader+": "+ttl); status != http.StatusBadRequest {
			t.Errorf("PUT token with TTL %q: %d, want 400", ttl, status)
		}
	}
	if status, _, _ := do(t, ts, http.MethodPut, "/latest/api/token"); status != http.StatusBadRequest {
		t.Errorf("PUT token without a TTL: %d, want 400", status)
	}
}

func TestIMDSv1OnlyWhereTokensAreOptional(t *testing.T) {
	f := newFixture(t)
	ts := f.server(t)
	if status, body, _ := do(t, ts, http.MethodGet, "/latest/meta-data/local-ipv4"); status != http.StatusOK || body != node.PrivateIP {
		t.Errorf("IMDSv1 with tokens optional: %d %q", status, body)
	}
	f.set(func() { f.tokensRequired = true })
	if status, _, _ := do(t, ts, http.MethodGet, "/latest/meta-data/local-ipv4"); status != http.StatusUnauthorized {
		t.Errorf("IMDSv1 with tokens required: %d, want 401", status)
	}
	tok := token(t, ts, "60")
	if status, _, _ := do(t, ts, http.MethodGet, "/latest/meta-data/local-ipv4", tokenHeader+": "+tok); status != http.StatusOK {
		t.Errorf("IMDSv2 with tokens required: %d", status)
	}
}

func TestForwardedTokenRequestIsRefused(t *testing.T) {
	ts := newFixture(t).server(t)
	if status, _, _ := do(t, ts, http.MethodPut, "/latest/api/token", tokenTTLHeader+": 60", "X-Forwarded-For: 10.0.0.8"); status != http.StatusForbidden {
		t.Errorf("PUT token through a proxy: %d, want 403", status)
	}
}

func TestMethods(t *testing.T) {
	ts := newFixture(t).server(t)
	if status, _, _ := do(t, ts, http.MethodGet, "/latest/api/token"); status != http.StatusMethodNotAllowed {
		t.Errorf("GET token: %d, want 405", status)
	}
	if status, _, _ := do(t, ts, http.MethodPost, "/latest/meta-data/instance-id"); status != http.StatusMethodNotAllowed {
		t.Errorf("POST metadata: %d, want 405", status)
	}
}

func TestUnknownCallersGetNothing(t *testing.T) {
	f := newFixture(t)
	ts := f.server(t)
	gone := node
	gone.State = ec2.StateTerminated
	f.set(func() { f.instances = []ec2.Instance{gone} })
	if status, _, _ := do(t, ts, http.MethodPut, "/latest/api/token", tokenTTLHeader+": 60"); status != http.StatusForbidden {
		t.Errorf("PUT token from a terminated instance's address: %d, want 403", status)
	}
	f.set(func() { f.instances = nil })
	if status, _, _ := do(t, ts, http.MethodGet, "/latest/meta-data/iam/security-credentials/NodeRole"); status != http.StatusForbidden {
		t.Errorf("GET credentials from an unknown address: %d, want 403", status)
	}
	if len(f.issues()) != 0 {
		t.Errorf("sessions issued for nobody: %v", f.issues())
	}
}

func TestTokenResponseNeedsItsConnection(t *testing.T) {
	// Without the connection the hop limit cannot be set: no token then.
	ts := httptest.NewServer(newFixture(t).h)
	defer ts.Close()
	if status, _, _ := do(t, ts, http.MethodPut, "/latest/api/token", tokenTTLHeader+": 60"); status != http.StatusInternalServerError {
		t.Errorf("PUT token on a server without ConnContext: %d, want 500", status)
	}
}

func TestTree(t *testing.T) {
	f := newFixture(t)
	ts := f.server(t)
	for path, want := range map[string]string{
		"/latest":               "dynamic/\nmeta-data/",
		"/latest/meta-data/":    "ami-id\nhostname\niam/\ninstance-id\ninstance-type\nlocal-hostname\nlocal-ipv4\nmac\nplacement/\nservices/",
		"/latest/meta-data/iam": "info\nsecurity-credentials/",
		"/latest/meta-data/iam/security-credentials/":      "NodeRole",
		"/latest/meta-data/placement/":                     "availability-zone\navailability-zone-id\nregion",
		"/latest/meta-data/placement/availability-zone":    "us-west-2b",
		"/latest/meta-data/placement/availability-zone-id": "usw2-az2",
		"/latest/meta-data/placement/region":               "us-west-2",
		"/latest/meta-data/local-hostname":                 "ip-127-0-0-1.us-west-2.compute.internal",
		"/latest/meta-data/instance-type":                  "t3.medium",
		"/latest/meta-data/ami-id":                         "ami-0abcdef1234567890",
		"/latest/dynamic/instance-identity/":               "document",
	} {
		if status, body, _ := do(t, ts, http.MethodGet, path); status != http.StatusOK || body != want {
			t.Errorf("GET %s: %d %q, want %q", path, status, body, want)
		}
	}
	for _, path := range []string{"/latest/user-data", "/latest/meta-data/iam/security-credentials/OtherRole", "/latest/meta-data/nothing", "/latestmeta-data", "/2009-04-04/meta-data/"} {
		if status, _, _ := do(t, ts, http.MethodGet, path); status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, status)
		}
	}
	if status, body, _ := do(t, ts, http.MethodGet, "/latest/meta-data/mac"); status != http.StatusOK || !strings.HasPrefix(body, "02:") || len(body) != 17 {
		t.Errorf("GET mac: %d %q", status, body)
	}

	withData := node
	withData.UserData, withData.RoleARN = "#!/bin/bash\n/etc/eks/bootstrap.sh demo\n", ""
	withData.KeyName, withData.KeyPublicKey = "mine", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbRBaM/w7ak2IzIhQNo3jJp6kLZBT6w+KD0/M+nVb6a"
	f.set(func() { f.instances = []ec2.Instance{withData} })
	if status, body, _ := do(t, ts, http.MethodGet, "/latest/user-data"); status != http.StatusOK || body != withData.UserData {
		t.Errorf("GET user-data: %d %q", status, body)
	}
	if status, body, _ := do(t, ts, http.MethodGet, "/latest/meta-data/public-keys/0/openssh-key"); status != http.StatusOK || body != withData.KeyPublicKey+" mine" {
		t.Errorf("GET public-keys/0/openssh-key: %d %q", status, body)
	}
	if status, body, _ := do(t, ts, http.MethodGet, "/latest/meta-data/public-keys/"); status != http.StatusOK || body != "0=mine" {
		t.Errorf("GET public-keys/: %d %q", status, body)
	}
	if status, _, _ := do(t, ts, http.MethodGet, "/latest/meta-data/iam/"); status != http.StatusNotFound {
		t.Errorf("GET iam/ of an instance without a profile: %d, want 404", status)
	}
	if len(f.issues()) != 0 {
		t.Errorf("listings issued sessions: %v", f.issues())
	}
}

func TestCallerAt(t *testing.T) {
	a := ec2.Instance{ID: "i-a", PrivateIP: "172.31.16.10", State: ec2.StateRunning}
	b := ec2.Instance{ID: "i-b", PrivateIP: "10.0.1.20", State: ec2.StatePending}
	c := ec2.Instance{ID: "i-c", PrivateIP: "172.31.16.10", State: ec2.StateTerminated} // a's address, once
	aPods, bPods := netip.MustParsePrefix(a.PodCIDR()), netip.MustParsePrefix(b.PodCIDR())
	lastOfB := bPods.Addr()
	for range 63 {
		lastOfB = lastOfB.Next()
	}
	for addr, want := range map[netip.Addr]string{
		netip.MustParseAddr("172.31.16.10"): "i-a", // the terminated one does not count
		netip.MustParseAddr("10.0.1.20"):    "i-b",
		aPods.Addr().Next().Next():          "i-a", // one of a's pods
		lastOfB:                             "i-b",
		lastOfB.Next():                      "",
		netip.MustParseAddr("172.31.16.11"): "",
	} {
		in, err := CallerAt([]ec2.Instance{a, b, c}, addr)
		switch {
		case want == "" && err == nil:
			t.Errorf("%s is %s's, want nobody's", addr, in.ID)
		case want != "" && (err != nil || in.ID != want):
			t.Errorf("%s: %v %v, want %s", addr, in, err, want)
		}
	}
	twin := a
	twin.ID = "i-twin" // the same address in another VPC
	if in, err := CallerAt([]ec2.Instance{a, twin}, netip.MustParseAddr("172.31.16.10")); err == nil {
		t.Errorf("an address two instances have is %s's", in.ID)
	}
}

func TestReportedHopLimit(t *testing.T) {
	// A forwarded request's hop limit is reported, not set on a socket:
	// the token comes without the server passing its connections.
	f := newFixture(t)
	f.set(func() { f.hopLimit = 2 })
	var reported []int
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.h.ServeHTTP(w, r.WithContext(ReportHops(r.Context(), func(hops int) { reported = append(reported, hops) })))
	}))
	defer ts.Close()
	if status, tok, _ := do(t, ts, http.MethodPut, "/latest/api/token", tokenTTLHeader+": 60"); status != http.StatusOK || tok == "" {
		t.Fatalf("PUT token with a hop report: %d %q", status, tok)
	}
	if len(reported) != 1 || reported[0] != 2 {
		t.Errorf("reported hop limits %v, want [2]", reported)
	}
}
