package instance

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestUserDatabaseKeepsSystemAccountsAndAddsEC2User(t *testing.T) {
	etc := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(etc, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("passwd", "root:x:0:0:root:/root:/bin/bash\nsshd:x:102:65534::/run/sshd:/usr/sbin/nologin\nalice:x:1000:1000::/home/alice:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nec2-user:x:1500:1500::/x:/bin/sh\n")
	write("group", "root:x:0:\nalice:x:1000:\nnogroup:x:65534:\n")
	write("shadow", "root:*:1::::::\nsshd:!:1::::::\nalice:$6$secret:1::::::\nnobody:*:1::::::\n")
	db, err := userDatabase(etc)
	if err != nil {
		t.Fatal(err)
	}
	wantPasswd := "root:x:0:0:root:/root:/bin/bash\nsshd:x:102:65534::/run/sshd:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" +
		"ec2-user:x:1000:1000:EC2 Default User:/home/ec2-user:/bin/bash\n"
	if db["passwd"] != wantPasswd {
		t.Errorf("passwd:\n%s", db["passwd"])
	}
	if db["group"] != "root:x:0:\nnogroup:x:65534:\nec2-user:x:1000:\n" {
		t.Errorf("group:\n%s", db["group"])
	}
	if strings.Contains(db["shadow"], "alice") || !strings.HasSuffix(db["shadow"], "ec2-user:*:19000:0:99999:7:::\n") {
		t.Errorf("shadow:\n%s", db["shadow"])
	}
}

// TestSSHDOnThisHost runs an instance's sshd for real in a network
// namespace of its own (no containerd, no kubelet, no machine view) and
// logs in with OpenSSH's client from inside that namespace. It changes the
// host (a network namespace, /run/sshd), so it runs only when asked:
// KEKS_PRIVILEGED_TESTS=1 as root, with openssh-server installed.
func TestSSHDOnThisHost(t *testing.T) {
	if os.Getenv("KEKS_PRIVILEGED_TESTS") == "" || os.Geteuid() != 0 {
		t.Skip("set KEKS_PRIVILEGED_TESTS=1 and run as root")
	}
	if _, err := os.Stat(sshdPath); err != nil {
		t.Skip("openssh-server is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	pub, _ := os.ReadFile(key + ".pub")
	s := &Spec{ID: fmt.Sprintf("i-sshdtest%07d", os.Getpid()%10000000), Dir: filepath.Join(dir, "instance"), Region: "us-east-1",
		Address: netip.MustParsePrefix("10.254.0.7/32"), SSHPublicKey: strings.TrimSpace(string(pub))}
	if err := ensureNetns(s.netns()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = deleteNetns(s.netns()) }()
	if out, err := exec.Command("ip", "-n", s.netns(), "addr", "add", "10.254.0.7/32", "dev", "lo").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if out, err := exec.Command("ip", "-n", s.netns(), "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if err := ensureSSHD(ctx, s, false); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := stopSSHD(context.Background(), s); err != nil {
			t.Error(err)
		}
		if out, err := exec.Command("ip", "netns", "pids", s.netns()).Output(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("processes left in the namespace: %v %s", err, out)
		}
	}()
	sshTo := func(identity string) (string, error) {
		out, err := exec.CommandContext(ctx, "ip", "netns", "exec", s.netns(), "ssh", "-i", identity, "-o", "StrictHostKeyChecking=no",
			"-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "ec2-user@10.254.0.7", "hostname; id -un; pwd").CombinedOutput()
		return string(out), err
	}
	var out string
	var err error
	for range 50 {
		if out, err = sshTo(key); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		log, _ := os.ReadFile(s.path("logs", "sshd.log"))
		t.Fatalf("ssh: %v: %s\nsshd log:\n%s", err, out, log)
	}
	if want := s.DNSName() + "\nec2-user\n/home/ec2-user\n"; !strings.HasSuffix(out, want) {
		t.Errorf("ssh said %q, want %q", out, want)
	}
	if !sshdRunning(s) {
		t.Error("sshd is not found running")
	}
	// Another key is refused.
	other := filepath.Join(dir, "other")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if out, err := sshTo(other); err == nil || !strings.Contains(out, "Permission denied") {
		t.Errorf("another key: %v: %s", err, out)
	}
	// The host's users are unchanged.
	if passwd, _ := os.ReadFile("/etc/passwd"); strings.Contains(string(passwd), "ec2-user") {
		t.Error("the host has an ec2-user")
	}
	// Started again, the running sshd is kept.
	pid := sshdPID(s)
	if err := ensureSSHD(ctx, s, false); err != nil || sshdPID(s) != pid {
		t.Errorf("ensureSSHD again: %v, pid %d -> %d", err, pid, sshdPID(s))
	}
}
