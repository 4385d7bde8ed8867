package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// TestSSHToNodes is SSH to a managed node group's nodes as on EKS: key
// pairs with the AWS CLI (one made by keks, one imported from ssh-keygen),
// a node group whose remoteAccess names the imported key, and OpenSSH's
// client logging in to its node as ec2-user with that key (and not with
// another), through a keks restart; the node group gone, its sshd and
// mounts are gone too.
func TestSSHToNodes(t *testing.T) {
	harness.Long(t, "TestEksctlFlow covers SSH to nodes; this adds sshd kept across a keks restart")
	e := harness.New(t)
	dir := t.TempDir()

	// A key pair keks makes: the private key once, the public one kept.
	var made struct{ KeyName, KeyPairId, KeyFingerprint, KeyMaterial string }
	e.JSON(&made, "aws", "ec2", "create-key-pair", "--key-name", "made", "--key-type", "ed25519",
		"--tag-specifications", "ResourceType=key-pair,Tags=[{Key=team,Value=ssh}]")
	if !strings.HasPrefix(made.KeyMaterial, "-----BEGIN OPENSSH PRIVATE KEY-----") || !strings.HasPrefix(made.KeyPairId, "key-") {
		t.Fatalf("create-key-pair: %+v", made)
	}
	madeKey := filepath.Join(dir, "made")
	if err := os.WriteFile(madeKey, []byte(made.KeyMaterial+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// ssh-keygen reads it and finds the fingerprint EC2 gave.
	fp := strings.Fields(e.Run("ssh-keygen", "-l", "-E", "sha256", "-f", madeKey))[1]
	if strings.TrimPrefix(fp, "SHA256:")+"=" != made.KeyFingerprint {
		t.Errorf("fingerprint %s, ssh-keygen says %s", made.KeyFingerprint, fp)
	}
	var described struct {
		KeyPairs []struct{ KeyName, KeyPairId, KeyType, PublicKey string }
	}
	e.JSON(&described, "aws", "ec2", "describe-key-pairs", "--filters", "Name=tag:team,Values=ssh", "--include-public-key")
	if len(described.KeyPairs) != 1 || described.KeyPairs[0].KeyType != "ed25519" || !strings.HasPrefix(described.KeyPairs[0].PublicKey, "ssh-ed25519 ") {
		t.Fatalf("describe-key-pairs: %+v", described)
	}
	if _, err := e.Try("aws", "ec2", "create-key-pair", "--key-name", "made"); err == nil || !strings.Contains(err.Error(), "InvalidKeyPair.Duplicate") {
		t.Fatalf("a second key pair named made: %v", err)
	}
	e.Run("aws", "ec2", "delete-key-pair", "--key-pair-id", made.KeyPairId)
	if _, err := e.Try("aws", "ec2", "describe-key-pairs", "--key-names", "made"); err == nil || !strings.Contains(err.Error(), "InvalidKeyPair.NotFound") {
		t.Fatalf("describing a deleted key pair: %v", err)
	}
	e.Run("aws", "ec2", "delete-key-pair", "--key-name", "made") // gone already: no error, as on EC2

	// The node's key, imported from ssh-keygen; and another one.
	key, wrong := filepath.Join(dir, "node"), filepath.Join(dir, "wrong")
	for _, k := range []string{key, wrong} {
		e.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", k)
	}
	e.Run("aws", "ec2", "import-key-pair", "--key-name", "node", "--public-key-material", "fileb://"+key+".pub")

	const name = "ssh"
	e.Run("aws", "eks", "create-cluster", "--name", name, "--role-arn", e.ClusterRole("sshClusterRole"),
		"--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	nodeRole := e.NodeRole("sshNodeRole")
	if _, err := e.Try("aws", append([]string{"eks", "create-nodegroup", "--cluster-name", name, "--nodegroup-name", "nokey", "--node-role", nodeRole,
		"--remote-access", "ec2SshKey=nope", "--subnets"}, e.PrivateSubnets()...)...); err == nil || !strings.Contains(err.Error(), "KeyPair nope not found") {
		t.Fatalf("a node group with a missing key: %v", err)
	}
	e.Run("aws", append([]string{"eks", "create-nodegroup", "--cluster-name", name, "--nodegroup-name", "ssh", "--node-role", nodeRole,
		"--instance-types", "t3.small", "--scaling-config", "minSize=1,maxSize=1,desiredSize=1",
		"--remote-access", "ec2SshKey=node", "--subnets"}, e.PrivateSubnets()...)...)
	e.Run("aws", "eks", "wait", "nodegroup-active", "--cluster-name", name, "--nodegroup-name", "ssh")

	var reservations struct {
		Reservations []struct {
			Instances []struct{ InstanceId, KeyName, PrivateIpAddress, PrivateDnsName string }
		}
	}
	e.JSON(&reservations, "aws", "ec2", "describe-instances", "--filters", "Name=tag:eks:nodegroup-name,Values=ssh", "Name=instance-state-name,Values=running")
	if len(reservations.Reservations) != 1 || len(reservations.Reservations[0].Instances) != 1 {
		t.Fatalf("the node group's instances: %+v", reservations)
	}
	node := reservations.Reservations[0].Instances[0]
	if node.KeyName != "node" {
		t.Errorf("the node's keyName is %q", node.KeyName)
	}
	// A key pair deleted now leaves the running instance its key, as on EC2.
	e.Run("aws", "ec2", "delete-key-pair", "--key-name", "node")

	sshTo := func(identity string) (string, error) {
		out, err := exec.Command("ssh", "-i", identity, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
			"-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "ec2-user@"+node.PrivateIpAddress, "hostname").CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	harness.Eventually(t, 2*time.Minute, "ssh to the node prints its hostname", func() error {
		out, err := sshTo(key)
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		if lines := strings.Split(out, "\n"); lines[len(lines)-1] != node.PrivateDnsName {
			return fmt.Errorf("hostname %q, want %q", out, node.PrivateDnsName)
		}
		return nil
	})
	if out, err := sshTo(wrong); err == nil || !strings.Contains(out, "Permission denied (publickey)") {
		t.Errorf("ssh with another key: %v: %s", err, out)
	}

	// keks restarts: the node's sshd, in a session of its own, runs on and
	// is adopted rather than started again, with the same host key.
	listener := func() string {
		out, _ := exec.Command("pgrep", "-f", filepath.Join(node.InstanceId, "ssh", "sshd_config")).Output()
		return strings.TrimSpace(string(out))
	}
	hostKey := func() string {
		return strings.TrimSpace(e.Run("ssh-keyscan", "-t", "ed25519", node.PrivateIpAddress))
	}
	pidBefore, keyBefore := listener(), hostKey()
	if pidBefore == "" || strings.Contains(pidBefore, "\n") {
		t.Fatalf("the node's sshd listener: %q", pidBefore)
	}
	e.StopServer()
	e.StartServer()
	time.Sleep(10 * time.Second) // the node controller's first passes
	if out, err := sshTo(key); err != nil || !strings.HasSuffix(out, node.PrivateDnsName) {
		t.Errorf("ssh after a keks restart: %v: %s", err, out)
	}
	if pid, k := listener(), hostKey(); pid != pidBefore || k != keyBefore {
		t.Errorf("after a keks restart: sshd %q (was %q), host key %q (was %q)", pid, pidBefore, k, keyBefore)
	}

	e.Run("aws", "eks", "delete-nodegroup", "--cluster-name", name, "--nodegroup-name", "ssh")
	e.Run("aws", "eks", "wait", "nodegroup-deleted", "--cluster-name", name, "--nodegroup-name", "ssh")
	harness.Eventually(t, time.Minute, "the node's sshd and mounts are gone", func() error {
		// Zombies are gone processes their parent has yet to reap.
		ps, _ := exec.Command("ps", "-eo", "pid,stat,args").Output()
		for _, line := range strings.Split(string(ps), "\n") {
			if f := strings.Fields(line); len(f) > 2 && !strings.HasPrefix(f[1], "Z") && strings.Contains(line, node.InstanceId) {
				return fmt.Errorf("still running: %s", line)
			}
		}
		if out, err := exec.Command("pgrep", "-f", filepath.Join(node.InstanceId, "ssh", "sshd_config")).Output(); err == nil {
			return fmt.Errorf("sshd still runs: %s", out)
		}
		mounts, _ := os.ReadFile("/proc/self/mountinfo")
		if strings.Contains(string(mounts), node.InstanceId) {
			return fmt.Errorf("mounts of %s left", node.InstanceId)
		}
		return nil
	})
}
