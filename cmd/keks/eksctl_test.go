package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCapturingStdout runs a command and returns what it printed.
func runCapturingStdout(t *testing.T, args ...string) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = stdout }()
	cmd := newRootCommand()
	cmd.SetArgs(args)
	runErr := cmd.Execute()
	w.Close()
	var out bytes.Buffer
	_, _ = io.Copy(&out, r)
	return out.String(), runErr
}

// withoutProfile points the AWS profile files at an empty directory: a dry
// run that makes its own VPC needs no keks server.
func withoutProfile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
}

func TestCreateClusterDryRunPrintsTheClusterConfig(t *testing.T) {
	withoutProfile(t)
	out, err := runCapturingStdout(t, "create", "cluster", "--dry-run", "--region", "us-east-1", "--name", "myeks",
		"--nodegroup-name", "myeks-nodegroup", "--node-type", "t3.medium", "--node-volume-size", "30", "--ssh-access", "--external-dns-access", "--verbose", "4")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"apiVersion: eksctl.io/v1alpha5\n", "kind: ClusterConfig\n", "  name: myeks\n", "  region: us-east-1\n", `  version: "1.37"`,
		"  cidr: 192.168.0.0/16\n", "  name: myeks-nodegroup\n", "  instanceType: t3.medium\n", "  volumeSize: 30\n", "      externalDNS: true\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	// us-east-1: eksctl's two zones, and no progress lines in a dry run.
	if strings.Count(out, "\n- us-east-1") != 2 || strings.Contains(out, "[ℹ]") {
		t.Errorf("dry run output:\n%s", out)
	}
}

func TestCreateClusterRefusals(t *testing.T) {
	withoutProfile(t)
	cfgFile := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(cfgFile, []byte("apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: a, region: us-west-2}\nnodeGroups: [{name: x}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"unmanaged":        {"create", "cluster", "--dry-run", "--region", "us-west-2", "--managed=false"},
		"old version":      {"create", "cluster", "--dry-run", "--region", "us-west-2", "--version", "1.28"},
		"unmanaged file":   {"create", "cluster", "--dry-run", "-f", cfgFile},
		"flags beside -f":  {"create", "cluster", "--dry-run", "-f", cfgFile, "--nodes", "3"},
		"region conflicts": {"create", "cluster", "--dry-run", "-f", cfgFile, "--region", "eu-west-1"},
		"no cluster":       {"scale", "nodegroup", "--name", "ng", "--nodes", "2"},
	} {
		if _, err := runCapturingStdout(t, args...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
