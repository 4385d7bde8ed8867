package client

import (
	"context"
	"encoding/base64"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/imds"
)

// An instance's `keks get-token --profile instance`: the profile names no
// keys, the SDK gets the role's session from the metadata service.
func TestInstanceProfileTakesCredentialsFromTheMetadataService(t *testing.T) {
	h := &imds.Handler{
		Instances: func(context.Context) ([]ec2.Instance, error) {
			return []ec2.Instance{{ID: "i-0123456789abcdef0", PrivateIP: "127.0.0.1", State: ec2.StateRunning, Region: "us-east-1",
				RoleARN: "arn:aws:iam::111122223333:role/NodeRole"}}, nil
		},
		IssueSession: func(_ context.Context, roleARN, name string, d time.Duration) (*iam.Credentials, error) {
			return &iam.Credentials{AccessKeyID: "ASIANODEROLE", SecretAccessKey: "secret", SessionToken: "session-token", Expiration: time.Now().Add(d)}, nil
		},
	}
	ts := httptest.NewUnstartedServer(h)
	ts.Config.ConnContext = imds.ConnContext
	ts.Start()
	defer ts.Close()
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", ts.URL) // instead of 169.254.169.254

	dir := t.TempDir()
	config := filepath.Join(dir, "config")
	if err := os.WriteFile(config, []byte("[profile instance]\nregion = us-east-1\nendpoint_url = https://127.0.0.1:4577\ncredential_source = Ec2InstanceMetadata\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", config)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))

	c, err := New("instance")
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := c.Token(context.Background(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, "k8s-aws-v1."))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if !strings.HasPrefix(q.Get("X-Amz-Credential"), "ASIANODEROLE/") || q.Get("X-Amz-Security-Token") != "session-token" {
		t.Errorf("token signed with %q, session token %q", q.Get("X-Amz-Credential"), q.Get("X-Amz-Security-Token"))
	}
}

func TestUnknownCredentialSourceIsAnError(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "config")
	if err := os.WriteFile(config, []byte("[profile p]\nregion = us-east-1\ncredential_source = EcsContainer\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", config)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	if _, err := New("p"); err == nil || !strings.Contains(err.Error(), "EcsContainer") {
		t.Errorf("credential_source EcsContainer: %v", err)
	}
}
