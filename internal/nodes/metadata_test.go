package nodes

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/keksdev/keks/internal/awsprofile"
	"github.com/keksdev/keks/internal/ec2"
)

func TestInstanceProfileHasNoKeys(t *testing.T) {
	dir := t.TempDir()
	c := &Controller{cfg: Config{Endpoint: "https://127.0.0.1:4577", CABundle: "/var/lib/keks/ca.crt"}}
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte(c.awsConfig(&ec2.Instance{Region: "us-west-2"})), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials")) // none, as on an instance
	p, err := awsprofile.Read("instance")
	if err != nil {
		t.Fatal(err)
	}
	if p.CredentialSource != awsprofile.Ec2InstanceMetadata || p.Region != "us-west-2" || p.EndpointURL != "https://127.0.0.1:4577" ||
		p.CABundle != "/var/lib/keks/ca.crt" || p.AccessKeyID != "" || p.SecretAccessKey != "" {
		t.Errorf("instance profile: %+v", p)
	}
}
