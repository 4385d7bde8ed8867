package images

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// inBusybox runs a command of the busybox image, unpacked under root, as a
// container would (chroot, the image's PATH, as uid:gid), sharing the
// host's network: stdout, stderr and the exit status.
func inBusybox(t *testing.T, root string, uid, gid uint32, env []string, args ...string) (string, string, int) {
	t.Helper()
	// Looked up in the image, not on the host: every command is in /bin there.
	path := args[0]
	if !strings.HasPrefix(path, "/") {
		path = "/bin/" + path
	}
	cmd := &exec.Cmd{Path: path, Args: args, Dir: "/"}
	cmd.Env = append([]string{upstreamPath}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	status := 0
	if ee, ok := err.(*exec.ExitError); ok {
		status = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			status = 128 + int(ws.Signal())
		}
	} else if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return stdout.String(), stderr.String(), status
}

// TestBusyboxRunsWhatTheDocsRun runs, in the unpacked image, what the
// Kubernetes docs and tutorials run in busybox, and expects what upstream's
// image gives.
func TestBusyboxRunsWhatTheDocsRun(t *testing.T) {
	needRoot(t)
	root := t.TempDir()
	unpack(t, build(t, withBusybox(t, Busybox)), root)

	for _, tc := range []struct {
		name     string
		uid      uint32
		env      []string
		args     []string
		stdout   string // a prefix of what is printed
		status   int
		contains bool // stdout need only contain it
	}{
		{name: "sh -c loop", args: []string{"sh", "-c", "for i in 1 2 3; do echo $i; done"}, stdout: "1\n2\n3\n"},
		// runAsUser: 65534 pods: nobody, named from /etc/passwd and /etc/group.
		{name: "id as nobody", uid: 65534, args: []string{"id"}, stdout: "uid=65534(nobody) gid=65534(nobody)"},
		{name: "whoami", args: []string{"whoami"}, stdout: "root\n"},
		{name: "date is UTC", args: []string{"date", "+%Z"}, stdout: "UTC\n"},
		{name: "env", env: []string{"MY_POD_NAME=web-0"}, args: []string{"env"}, stdout: "MY_POD_NAME=web-0", contains: true},
		// The downward API page: printenv MY_NODE_NAME MY_POD_NAME ...
		{name: "printenv names", env: []string{"MY_NODE_NAME=node-1", "MY_POD_NAME=web-0"}, args: []string{"printenv", "MY_NODE_NAME", "MY_POD_NAME"}, stdout: "node-1\nweb-0\n"},
		{name: "printenv unset", args: []string{"printenv", "NOT_SET"}, status: 1},
		{name: "printenv all", env: []string{"A=1"}, args: []string{"printenv"}, stdout: "A=1", contains: true},
		{name: "/usr/bin/env", args: []string{"/usr/bin/env", "sh", "-c", "echo ok"}, stdout: "ok\n"},
		// getconf is Debian's, dynamic, on the libraries in /lib.
		{name: "getconf", args: []string{"getconf", "PAGESIZE"}, stdout: "4096\n"},
		{name: "sleep", args: []string{"sleep", "0.1"}},
		{name: "ping", args: []string{"ping", "-c", "1", "-W", "2", "127.0.0.1"}, stdout: "PING 127.0.0.1"},
		{name: "home of root is private", args: []string{"stat", "-c", "%a %U", "/root"}, stdout: "700 root\n"},
		{name: "tmp is sticky", args: []string{"stat", "-c", "%a", "/tmp"}, stdout: "1777\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, status := inBusybox(t, root, tc.uid, tc.uid, tc.env, tc.args...)
			if status != tc.status {
				t.Errorf("status %d, want %d (stderr %q)", status, tc.status, errOut)
			}
			if tc.contains && !strings.Contains(out, tc.stdout) || !tc.contains && !strings.HasPrefix(out, tc.stdout) {
				t.Errorf("stdout %q, want %q", out, tc.stdout)
			}
		})
	}
}

// TestBusyboxWgetTimeout: the network policy walkthrough's
// `wget --spider --timeout=1 nginx`, and -T, which crashes Debian's applet,
// work as upstream's: through when the server answers, "download timed
// out" and status 1 when it does not.
func TestBusyboxWgetTimeout(t *testing.T) {
	needRoot(t)
	root := t.TempDir()
	unpack(t, build(t, withBusybox(t, Busybox)), root)

	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "Hello from web-0\n")
	}))
	defer web.Close()
	// A server that takes connections and never answers, as a dropped one looks.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		var held []net.Conn // open and unanswered until the test ends
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	silentURL := "http://" + silent.Addr().String() + "/"

	for _, args := range [][]string{
		{"wget", "-qO-", web.URL},
		{"wget", "-q", "-O", "-", web.URL},
		{"wget", "--spider", "--timeout=1", web.URL},
		{"wget", "-T", "2", "-qO-", web.URL},
		{"wget", "-T2", "-qO-", web.URL},
		{"wget", "-qT", "2", "-O-", web.URL},
		{"wget", "--timeout", "2", "-qO-", web.URL},
	} {
		out, errOut, status := inBusybox(t, root, 0, 0, nil, args...)
		if status != 0 {
			t.Errorf("%q: status %d, stderr %q", args, status, errOut)
		}
		if !strings.Contains(strings.Join(args, " "), "--spider") && out != "Hello from web-0\n" {
			t.Errorf("%q: %q", args, out)
		}
	}
	for _, args := range [][]string{
		{"wget", "--spider", "--timeout=1", silentURL},
		{"wget", "-q", "-T", "1", "-O", "-", silentURL},
		// As typed at the shell of `kubectl run -it --image=busybox -- sh`.
		{"sh", "-c", "wget --spider --timeout=1 " + silentURL},
	} {
		start := time.Now()
		_, errOut, status := inBusybox(t, root, 0, 0, nil, args...)
		if status != 1 || !strings.Contains(errOut, "wget: download timed out") {
			t.Errorf("%q: status %d, stderr %q; want 1 and download timed out", args, status, errOut)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%q took %s", args, d)
		}
	}
}
