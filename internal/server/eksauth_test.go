package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// eksAuth calls EKS Auth's AssumeRoleForPodIdentity as the agent does: a
// SigV4-signed POST for service eks-auth.
func eksAuth(t *testing.T, cfg aws.Config, path string, body []byte) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, testServer.models.Endpoint+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "eks-auth", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := testServer.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	if out == nil {
		out = map[string]any{}
	}
	// REST-JSON errors name their code in a header.
	code, _, _ := strings.Cut(resp.Header.Get("X-Amzn-ErrorType"), ":")
	out["code"] = code
	return resp.StatusCode, out
}

// TestEKSAuthRefusesBadRequests: every malformed call is an AWS-shaped
// client error, never a server error. (The exchange itself is tested in
// internal/eksauth and end to end in TestLab1.)
func TestEKSAuthRefusesBadRequests(t *testing.T) {
	const jwtLike = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
	for _, c := range []struct {
		name, path, body string
		status           int
		code             string
	}{
		{"no body", "/clusters/demo/assume-role-for-pod-identity", ``, 400, "InvalidParameterException"},
		{"not JSON", "/clusters/demo/assume-role-for-pod-identity", `{`, 400, "InvalidParameterException"},
		{"not a JWT", "/clusters/demo/assume-role-for-pod-identity", `{"token":"x"}`, 400, "InvalidParameterException"},
		{"a bad cluster name", "/clusters/-x/assume-role-for-pod-identity", `{"token":"` + jwtLike + `"}`, 400, "InvalidParameterException"},
		{"an unknown cluster", "/clusters/nope/assume-role-for-pod-identity", `{"token":"` + jwtLike + `"}`, 404, "ResourceNotFoundException"},
		{"an unknown operation", "/clusters/demo/other", `{}`, 404, "UnknownOperationException"},
	} {
		status, out := eksAuth(t, awsConfig(), c.path, []byte(c.body))
		if status != c.status || out["code"] != c.code || out["message"] == "" {
			t.Errorf("%s: %d %v, want %d %s", c.name, status, out, c.status, c.code)
		}
	}
}

// TestEKSAuthRefusesACallerWithoutRights: the front door asks for
// eks-auth:AssumeRoleForPodIdentity on the cluster before the handler runs.
func TestEKSAuthRefusesACallerWithoutRights(t *testing.T) {
	nobody := newUser(t, "eksauth-nobody", nil)
	status, out := eksAuth(t, nobody.cfg, "/clusters/demo/assume-role-for-pod-identity", []byte(`{"token":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}`))
	msg, _ := out["message"].(string)
	if status != http.StatusForbidden || out["code"] != "AccessDeniedException" ||
		!strings.Contains(msg, "eks-auth:AssumeRoleForPodIdentity on resource: arn:aws:eks:us-east-1:") || !strings.Contains(msg, ":cluster/demo") {
		t.Errorf("%d %v, want 403 AccessDeniedException for eks-auth:AssumeRoleForPodIdentity on the cluster", status, out)
	}
}
