package instance

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/keksdev/keks/internal/pki"
	"github.com/keksdev/keks/internal/supervisor"
)

// An instance launched with a key pair runs OpenSSH's sshd, as an EC2
// instance does, letting the key's holder in as ec2-user. It runs in the
// instance's network namespace, listening on its address only (whether a
// connection gets there is the security groups' business), in a UTS
// namespace named as the node, and in the instance's machine view with a
// mount namespace of its own on top in which the instance's user database
// (ec2-user, uid 1000) replaces the host's and ec2-user's home, kept in the
// instance's directory, is /home/ec2-user. The host's users and files stay
// as they are: every mount is made in that namespace and goes with it.

// The instance's login user, as on Amazon Linux.
const (
	sshUser  = "ec2-user"
	sshUID   = 1000
	sshHome  = "/home/" + sshUser
	sshdPath = "/usr/sbin/sshd"
	// sshdPrivsepDir is the empty directory Debian's sshd confines its
	// unprivileged children to (its compiled-in privilege separation path),
	// which the package's init script would make at boot.
	sshdPrivsepDir = "/run/sshd"
)

func (s *Spec) sshdMarker() string { return "instance/" + s.ID + "/sshd" }
func (s *Spec) sshDir() string     { return s.path("ssh") }
func (s *Spec) sshdConfigFile() string {
	return filepath.Join(s.sshDir(), "sshd_config")
}
func (s *Spec) sshdPIDFile() string {
	return filepath.Join(s.sshDir(), "sshd.pid")
}

// homeDir is ec2-user's home, bound at /home/ec2-user for sshd.
func (s *Spec) homeDir() string { return s.path("home", sshUser) }

// sshdPID is the pid of the instance's listening sshd, or 0. sshd
// rewrites its command line and environment (setproctitle), so the
// supervisor's marker is gone from it; its pid file and the configuration
// its title still names tell it from other processes and from its
// per-connection children.
func sshdPID(s *Spec) int {
	data, err := os.ReadFile(s.sshdPIDFile())
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 || zombie(pid) {
		return 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !bytes.Contains(cmdline, []byte(s.sshdConfigFile())) {
		return 0
	}
	return pid
}

// zombie tells whether pid is gone or a zombie (one init has yet to reap).
func zombie(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' || stat[i+2] == 'X'
}

// sshdRunning reports whether the instance runs the sshd it should: one
// when it has a key, none otherwise.
func sshdRunning(s *Spec) bool {
	return (sshdPID(s) != 0) == (s.SSHPublicKey != "")
}

// ensureSSHD starts the instance's sshd when it has a key and none runs
// (one that runs, even from before a keks restart, is kept), and stops
// every sshd of an instance without a key. view says whether the
// instance's daemons run in its machine view, whose mount namespace sshd
// then joins.
func ensureSSHD(ctx context.Context, s *Spec, view bool) error {
	if s.SSHPublicKey == "" {
		// An instance that never ran sshd has no pid file: no need to look.
		if _, err := os.Stat(s.sshdPIDFile()); errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return stopSSHD(ctx, s)
	}
	if err := writeSSHFiles(s); err != nil {
		return err
	}
	if sshdPID(s) != 0 {
		return nil
	}
	// Connections of an sshd that is gone are left alone; a new listener
	// takes over the port.
	if err := os.MkdirAll(sshdPrivsepDir, 0o755); err != nil {
		return fmt.Errorf("sshd privilege separation directory: %w", err)
	}
	args := []string{"--net=" + nsPath(s.netns())}
	if view {
		args = append(args, "--mount="+s.mountNS())
	}
	// unshare and sh exec in turn, so the pid supervisor records is sshd's.
	args = append(args, "--", "unshare", "--mount", "--propagation", "slave", "--",
		"/bin/sh", "-c", sshdSetup, "sshd-setup", s.sshDir(), s.homeDir())
	_, err := supervisor.Start(supervisor.Spec{ID: s.sshdMarker(), Path: "nsenter", Args: args, Dir: s.Dir,
		LogFile: s.path("logs", "sshd.log"), Hostname: s.DNSName()})
	return err
}

// sshdSetup makes sshd's own mounts, in its new mount namespace, and
// becomes sshd: $1 is the instance's ssh directory, $2 ec2-user's home.
// /home becomes a small tmpfs so that /home/ec2-user exists there and
// nowhere else.
const sshdSetup = `set -e
for f in passwd group shadow; do mount --bind "$1/etc/$f" "/etc/$f"; done
mount -t tmpfs -o mode=0755,size=1m keks-home /home
mkdir /home/ec2-user
mount --bind "$2" /home/ec2-user
exec ` + sshdPath + ` -D -e -f "$1/sshd_config"`

// stopSSHD stops the instance's sshd and its connections: every sshd in
// the instance's network namespace, connections first, so that the
// listener, their parent, reaps them.
func stopSSHD(ctx context.Context, s *Spec) error {
	listener := sshdPID(s)
	isSSHD := func(pid int) bool {
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		return exe == sshdPath
	}
	if err := killInNetns(ctx, s, func(pid int) bool { return pid != listener && isSSHD(pid) }); err != nil {
		return err
	}
	return killInNetns(ctx, s, isSSHD)
}

// killInNetns ends the processes of the instance's network namespace that
// match: SIGTERM, then SIGKILL after a grace period.
func killInNetns(ctx context.Context, s *Spec, match func(pid int) bool) error {
	var st syscall.Stat_t
	if err := syscall.Stat(nsPath(s.netns()), &st); err != nil {
		return nil // no namespace, nothing in it
	}
	want := fmt.Sprintf("net:[%d]", st.Ino)
	find := func() []int {
		var pids []int
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || zombie(pid) {
				continue
			}
			if ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid)); err == nil && ns == want && match(pid) {
				pids = append(pids, pid)
			}
		}
		return pids
	}
	sig, deadline := syscall.SIGTERM, time.Now().Add(5*time.Second)
	for {
		pids := find()
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			sig = syscall.SIGKILL
		}
		if time.Now().After(deadline.Add(10 * time.Second)) {
			return fmt.Errorf("processes %v of %s did not exit", pids, s.ID)
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, sig)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// sshdConfig is the instance's sshd_config: keys only, ec2-user only.
func (s *Spec) sshdConfig() string {
	dir := s.sshDir()
	return strings.Join([]string{
		"# Written by keks for instance " + s.ID + ".",
		"ListenAddress " + s.Address.Addr().String() + ":22",
		"HostKey " + filepath.Join(dir, "ssh_host_ed25519_key"),
		"PidFile " + s.sshdPIDFile(),
		"AuthorizedKeysFile " + sshHome + "/.ssh/authorized_keys",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PermitRootLogin no",
		"AllowUsers " + sshUser,
		// No PAM: the instance's user database is files sshd reads itself.
		"UsePAM no",
		"PrintMotd no",
		"X11Forwarding no",
		"AcceptEnv LANG LC_*",
		"Subsystem sftp /usr/lib/openssh/sftp-server",
		"",
	}, "\n")
}

// writeSSHFiles writes what the instance's sshd reads: its configuration,
// a host key made once (so clients that saw the instance know it after a
// restart), the user database and ec2-user's home with the instance's key.
func writeSSHFiles(s *Spec) error {
	dir := s.sshDir()
	if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o700); err != nil {
		return fmt.Errorf("ssh directory of %s: %w", s.ID, err)
	}
	if err := ensureHostKey(filepath.Join(dir, "ssh_host_ed25519_key")); err != nil {
		return fmt.Errorf("host key of %s: %w", s.ID, err)
	}
	db, err := userDatabase("/etc")
	if err != nil {
		return fmt.Errorf("user database of %s: %w", s.ID, err)
	}
	files := map[string]string{filepath.Join(dir, "sshd_config"): s.sshdConfig()}
	for name, content := range db {
		files[filepath.Join(dir, "etc", name)] = content
	}
	for path, content := range files {
		if err := pki.WriteFileIfChanged(path, []byte(content), 0o600); err != nil {
			return err
		}
	}
	// Passwd and group are readable by all, as on any machine.
	for _, name := range []string{"passwd", "group"} {
		if err := os.Chmod(filepath.Join(dir, "etc", name), 0o644); err != nil {
			return err
		}
	}
	// The home is ec2-user's; .ssh and the key in it are root's, so the
	// key stays the instance's key pair's.
	home := s.homeDir()
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o755); err != nil {
		return fmt.Errorf("home of %s: %w", s.ID, err)
	}
	if err := os.Chown(home, sshUID, sshUID); err != nil {
		return err
	}
	if err := os.Chmod(home, 0o700); err != nil {
		return err
	}
	return pki.WriteFileIfChanged(filepath.Join(home, ".ssh", "authorized_keys"), []byte(s.SSHPublicKey+"\n"), 0o644)
}

// ensureHostKey makes an ED25519 host key at path unless one is there.
func ensureHostKey(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(sshPub), 0o644); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, pem.EncodeToMemory(block), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// userDatabase is the instance's passwd, group and shadow: the host's
// system accounts (sshd's privilege separation user among them) and
// ec2-user, as on a fresh Amazon Linux. The host's own users, whose ids
// may be ec2-user's, are not the instance's.
func userDatabase(etc string) (map[string]string, error) {
	out := map[string]string{}
	kept := map[string]bool{}
	for _, f := range []struct {
		name  string
		idCol int
		entry string
	}{
		{"passwd", 2, fmt.Sprintf("%s:x:%d:%d:EC2 Default User:%s:/bin/bash", sshUser, sshUID, sshUID, sshHome)},
		{"group", 2, fmt.Sprintf("%s:x:%d:", sshUser, sshUID)},
		{"shadow", -1, sshUser + ":*:19000:0:99999:7:::"}, // "*": no password, yet not locked
	} {
		data, err := os.ReadFile(filepath.Join(etc, f.name))
		if err != nil && !(f.name == "shadow" && errors.Is(err, os.ErrNotExist)) {
			return nil, err
		}
		var b strings.Builder
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			line := sc.Text()
			cols := strings.Split(line, ":")
			if len(cols) < 3 || cols[0] == sshUser {
				continue
			}
			if f.idCol >= 0 {
				id, err := strconv.Atoi(cols[f.idCol])
				if err != nil || (id >= sshUID && id != 65534) {
					continue
				}
				if f.name == "passwd" {
					kept[cols[0]] = true
				}
			} else if !kept[cols[0]] {
				continue
			}
			b.WriteString(line + "\n")
		}
		b.WriteString(f.entry + "\n")
		out[f.name] = b.String()
	}
	return out, nil
}
