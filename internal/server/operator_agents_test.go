package server_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/agents/agent"
	"github.com/keksdev/keks/internal/awsprofile"
	"github.com/keksdev/keks/internal/client"
	"github.com/keksdev/keks/internal/server"
)

// operatorAs is keks's CLI client signing as the principal of cfg's keys.
func operatorAs(t *testing.T, p principal) *client.Client {
	t.Helper()
	creds, err := p.cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return &client.Client{Profile: &awsprofile.Profile{Name: p.name, Region: "us-east-1", EndpointURL: testServer.models.Endpoint,
		AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey}, HTTP: testServer.http, Config: p.cfg}
}

func TestOperatorAgentTokensAndHosts(t *testing.T) {
	ctx := context.Background()
	admin := operatorAs(t, principal{name: "admin", cfg: awsConfig()})
	var tok server.AgentToken
	if err := admin.OperatorDo(ctx, http.MethodPost, "/keks/v1/agent-tokens", map[string]int64{"ttlSeconds": 120}, &tok); err != nil {
		t.Fatal(err)
	}
	if !agents.ValidToken(tok.Token) || time.Until(tok.Expires) > 2*time.Minute || time.Until(tok.Expires) < time.Minute {
		t.Fatalf("token %q expiring %s: want a token good for 2 minutes", tok.Token, tok.Expires)
	}
	caPEM, err := os.ReadFile(testServer.models.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(caPEM)
	ca, _ := x509.ParseCertificate(b.Bytes)
	if tok.CACertHash != agents.CertHash(ca) {
		t.Fatalf("caCertHash %s, want keks's CA's %s", tok.CACertHash, agents.CertHash(ca))
	}
	if tok.AgentsURL == "" || tok.AgentsURL != testServer.models.AgentsURL {
		t.Fatalf("agentsURL %q, want the listener's %q", tok.AgentsURL, testServer.models.AgentsURL)
	}
	// The line `keks agent-token create` prints joins a host.
	if _, err := agent.Join(ctx, agent.Config{Server: tok.AgentsURL, Token: tok.Token, CACertHash: tok.CACertHash, Zone: "us-east-1b",
		DataDir: t.TempDir(), Addresses: []string{"192.0.2.20"}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}); err != nil {
		t.Fatal(err)
	}
	var list struct {
		Hosts []agents.HostStatus `json:"hosts"`
	}
	if err := admin.Operator(ctx, "/keks/v1/hosts", &list); err != nil {
		t.Fatal(err)
	}
	var h *agents.HostStatus
	for i := range list.Hosts {
		if list.Hosts[i].Zone == "us-east-1b" && list.Hosts[i].Addresses[0] == "192.0.2.20" {
			h = &list.Hosts[i]
		}
	}
	if h == nil || h.State != agents.StateReady || h.Capacity.CPUs < 1 || h.Capacity.MemoryBytes < 1 {
		t.Fatalf("hosts %+v: want the joined host, Ready, with this machine's capacity", list.Hosts)
	}
	var out map[string]any
	if err := admin.OperatorDo(ctx, http.MethodDelete, "/keks/v1/hosts/"+h.ID, nil, &out); err != nil {
		t.Fatal(err)
	}
	err = admin.OperatorDo(ctx, http.MethodDelete, "/keks/v1/hosts/"+h.ID, nil, &out)
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), agents.CodeHostNotFound) {
		t.Fatalf("delete a deleted host: %v, want 404 HostNotFound", err)
	}
	for _, bad := range []any{map[string]any{"ttlSeconds": -1}, map[string]any{"ttlSeconds": 1}, map[string]any{"ttlSeconds": "1h"}, []int{1}} {
		if err := admin.OperatorDo(ctx, http.MethodPost, "/keks/v1/agent-tokens", bad, &tok); err == nil || !strings.Contains(err.Error(), "400") {
			t.Errorf("agent token with %v: %v, want 400", bad, err)
		}
	}
	if err := admin.OperatorDo(ctx, http.MethodPut, "/keks/v1/hosts", nil, &out); err == nil || !strings.Contains(err.Error(), "UnknownOperation") {
		t.Fatalf("PUT /keks/v1/hosts: %v, want UnknownOperation", err)
	}
}

// TestOperatorCallsAreEachTheirOwnAction: the operator API's IAM actions,
// each checked on its own.
func TestOperatorCallsAreEachTheirOwnAction(t *testing.T) {
	ctx := context.Background()
	calls := []struct {
		action, method, path string
		body                 any
	}{
		{"keks:DescribeControlPlaneInstances", http.MethodGet, "/keks/v1/control-plane-instances", nil},
		{"keks:CreateAgentToken", http.MethodPost, "/keks/v1/agent-tokens", map[string]int{}},
		{"keks:ListHosts", http.MethodGet, "/keks/v1/hosts", nil},
		{"keks:DeleteHost", http.MethodDelete, "/keks/v1/hosts/host-00000000", nil},
	}
	for _, allowed := range calls {
		name := "operator-" + strings.ToLower(strings.TrimPrefix(allowed.action, "keks:"))
		c := operatorAs(t, newUser(t, name, nil, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"`+allowed.action+`","Resource":"*"}]}`))
		for _, call := range calls {
			var out map[string]any
			err := c.OperatorDo(ctx, call.method, call.path, call.body, &out)
			denied := err != nil && strings.Contains(err.Error(), "AccessDenied") && strings.Contains(err.Error(), "not authorized to perform: "+call.action+" on resource: *")
			switch {
			case call.action == allowed.action && denied:
				t.Errorf("%s may not %s: %v", name, call.action, err)
			case call.action != allowed.action && !denied:
				t.Errorf("%s called %s: %v; want AccessDenied naming %s", name, call.path, err, call.action)
			}
		}
	}
}
