package harness

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/hostslot"
)

// credentialsFile is the AWS CLI credentials file the environment's server
// writes its profile's keys to.
func (e *Env) credentialsFile() string {
	for _, v := range slices.Backward(e.vars) {
		if f, ok := strings.CutPrefix(v, "AWS_SHARED_CREDENTIALS_FILE="); ok {
			return f
		}
	}
	return filepath.Join(e.Dir, "aws-credentials")
}

// StartEtcd runs an etcd of the test's own on loopback (plain http: the
// server warns of it, which is expected), for servers on an external store;
// it returns its client URL and stops when the test ends. The etcd is the
// newest Kubernetes build's, under _output/k8s.
func StartEtcd(t testing.TB) string {
	t.Helper()
	bins, _ := filepath.Glob(filepath.Join(repoRoot(), "_output", "k8s", "*", "bin", "etcd"))
	if len(bins) == 0 {
		t.Fatal("no etcd under _output/k8s/*/bin: build a Kubernetes version first (keks build-kubernetes)")
	}
	slices.Sort(bins)
	bin := bins[len(bins)-1]
	dir := t.TempDir()
	client, peer := FreeLoopback(t), FreeLoopback(t)
	url := "http://" + client
	logf, err := os.Create(filepath.Join(dir, "etcd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--name", "e2e", "--data-dir", filepath.Join(dir, "data"),
		"--listen-client-urls", url, "--advertise-client-urls", url,
		"--listen-peer-urls", "http://"+peer, "--initial-advertise-peer-urls", "http://"+peer,
		"--initial-cluster", "e2e=http://"+peer, "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logf.Close()
	})
	Eventually(t, 30*time.Second, "external etcd answers", func() error {
		c, err := net.DialTimeout("tcp", client, time.Second)
		if err == nil {
			_ = c.Close()
		}
		return err
	})
	return url
}

// FreeLoopback is a loopback address with a port nothing listens on now.
func FreeLoopback(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Replica starts another keks server beside e's: same data directory, same
// server arguments (e must be on an external store, --etcd-endpoints),
// another listen address, and AWS CLI files and a kubeconfig of its own,
// whose profile names its address. It stops when the test ends, after
// deleting what the test left through it (it may lead by then).
func (e *Env) Replica(name string) *Env {
	e.t.Helper()
	r := *e
	r.listen = FreeLoopback(e.t)
	r.proc = &serverProc{}
	r.logFile = filepath.Join(e.Dir, "keks-"+name+".log")
	r.vars = append(slices.Clone(e.vars),
		"AWS_CONFIG_FILE="+filepath.Join(e.Dir, "aws-config-"+name),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(e.Dir, "aws-credentials-"+name),
		"KUBECONFIG="+filepath.Join(e.Dir, "kubeconfig-"+name))
	e.t.Cleanup(func() {
		if e.t.Failed() {
			if b, err := os.ReadFile(r.logFile); err == nil {
				_ = os.WriteFile(filepath.Join(ArtifactsDir(e.t), filepath.Base(r.logFile)), b, 0o644)
			}
		}
		r.deleteClusters()
		r.StopServer()
	})
	r.StartServer()
	return &r
}

// KillServer kills the keks server outright (SIGKILL to its process
// group, so a server inside a host slot's namespace dies too, not only
// the process that entered it), as a crash or a lost machine would.
func (e *Env) KillServer() {
	e.t.Helper()
	if e.proc.cmd == nil {
		return
	}
	if err := syscall.Kill(-e.proc.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		e.t.Fatal(fmt.Errorf("kill keks server: %w", err))
	}
	_ = e.proc.cmd.Wait()
	e.proc.cmd = nil
}

// LogFile is the server's log.
func (e *Env) LogFile() string { return e.logFile }

// PauseServer stops the keks server's process group (SIGSTOP), as a hung
// machine or a long pause would; ResumeServer lets it go on (SIGCONT).
func (e *Env) PauseServer()  { e.signalGroup(syscall.SIGSTOP) }
func (e *Env) ResumeServer() { e.signalGroup(syscall.SIGCONT) }

func (e *Env) signalGroup(sig syscall.Signal) {
	e.t.Helper()
	if e.proc.cmd == nil {
		e.t.Fatal("keks server not running")
	}
	if err := syscall.Kill(-e.proc.cmd.Process.Pid, sig); err != nil {
		e.t.Fatalf("signal %v to keks server: %v", sig, err)
	}
}

// ServerExit waits up to timeout for the keks server to exit by itself and
// returns its exit code; ok is false if it still runs.
func (e *Env) ServerExit(timeout time.Duration) (code int, ok bool) {
	e.t.Helper()
	if e.proc.cmd == nil {
		e.t.Fatal("keks server not running")
	}
	done := make(chan struct{})
	go func() { _ = e.proc.cmd.Wait(); close(done) }()
	select {
	case <-done:
		code = e.proc.cmd.ProcessState.ExitCode()
		e.proc.cmd = nil
		return code, true
	case <-time.After(timeout):
		// Wait goes on in the background; StopServer's own Wait then
		// returns at once with the same result.
		return 0, false
	}
}

// Registry is the address of the server's image registry: its host slot's.
func (e *Env) Registry() string {
	data, err := os.ReadFile(filepath.Join(e.Dir, "data", "slot"))
	if err != nil {
		e.t.Fatalf("the data directory records no slot: %v", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		e.t.Fatalf("slot file: %v", err)
	}
	return hostslot.Slot(n).RegistryAddress().String()
}
