package awsprofile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// files points the AWS files at a temporary directory.
func files(t *testing.T) (config, credentials string) {
	t.Helper()
	dir := t.TempDir()
	config, credentials = filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	t.Setenv("AWS_CONFIG_FILE", config)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credentials)
	return config, credentials
}

func TestProfileWithACredentialSourceNeedsNoKeys(t *testing.T) {
	config, credentials := files(t)
	if err := os.WriteFile(config, []byte("[profile instance]\nregion = eu-west-1\nendpoint_url = https://127.0.0.1:4577\ncredential_source = Ec2InstanceMetadata\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Read("instance")
	if err != nil {
		t.Fatal(err)
	}
	if p.CredentialSource != Ec2InstanceMetadata || p.Region != "eu-west-1" || p.AccessKeyID != "" {
		t.Errorf("profile: %+v", p)
	}
	// Keys, where a credentials file has them, are read too: they come first.
	if err := os.WriteFile(credentials, []byte("[instance]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if p, err = Read("instance"); err != nil || p.AccessKeyID != "AKIAEXAMPLE" || p.CredentialSource != Ec2InstanceMetadata {
		t.Errorf("profile with keys: %+v %v", p, err)
	}
}

func TestProfileWithoutCredentialsIsAnError(t *testing.T) {
	config, _ := files(t)
	if err := os.WriteFile(config, []byte("[profile bare]\nregion = eu-west-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Read("bare"); err == nil || !strings.Contains(err.Error(), "credential_source") {
		t.Errorf("a profile without keys or source: %v", err)
	}
	if _, err := Read("missing"); err == nil {
		t.Error("a missing profile was read")
	}
}

func TestWriteWithACredentialSourceWritesNoKeys(t *testing.T) {
	config, credentials := files(t)
	if err := Write(Profile{Name: "node", Region: "us-east-1", EndpointURL: "https://127.0.0.1:4577", CredentialSource: Ec2InstanceMetadata}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(credentials); !os.IsNotExist(err) {
		t.Errorf("credentials file written: %v", err)
	}
	text, _ := os.ReadFile(config)
	if !strings.Contains(string(text), "credential_source = Ec2InstanceMetadata") {
		t.Errorf("config:\n%s", text)
	}
	p, err := Read("node")
	if err != nil || p.CredentialSource != Ec2InstanceMetadata {
		t.Errorf("read back: %+v %v", p, err)
	}
}
