package harness

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/hostslot"
)

// Agent is a `keks agent` that StartAgent started: its data directory and
// its process (which runs as the slot's child, hostslot.Enter).
type Agent struct {
	Dir string
	PID int
}

// NewWithAgents starts keks, with serverArgs, listening for agents; server
// is its agents listener's URL at an address of keks's host that agents'
// slot namespaces route to.
func NewWithAgents(t testing.TB, serverArgs ...string) (e *Env, server string) {
	t.Helper()
	_, port, _ := net.SplitHostPort(FreeLoopback(t))
	e = New(t, append([]string{"--agents-listen", "0.0.0.0:" + port}, serverArgs...)...)
	return e, "https://" + net.JoinHostPort(e.Registry(), port)
}

// StartAgent joins a new agent host in zone with a token of its own and
// leaves it running until the test ends; then the agent is stopped and
// cleans its host up (its slot's namespace goes with it).
func (e *Env) StartAgent(server, zone string) *Agent {
	t := e.t
	t.Helper()
	line := strings.Fields(e.Run(e.Keks, "agent-token", "create"))
	flag := func(name string) string {
		for i := range line[:len(line)-1] {
			if line[i] == name {
				return line[i+1]
			}
		}
		t.Fatalf("no %s in %q", name, line)
		return ""
	}
	dir := filepath.Join(e.Dir, "agent-"+zone)
	log, err := os.Create(dir + ".log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(e.Keks, "agent", "--server", server, "--token", flag("--token"), "--ca-cert-hash", flag("--ca-cert-hash"),
		"--zone", zone, "--data-dir", dir)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Registered after harness.New's cleanup, so it runs first: the
	// clusters go while the agents still run their instances, then the
	// agents stop and clean their hosts up while keks still answers.
	t.Cleanup(func() {
		e.DeleteClusters()
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if out, err := exec.Command(e.Keks, "agent", "--cleanup", "--data-dir", dir).CombinedOutput(); err != nil {
			t.Errorf("keks agent --cleanup of %s: %v\n%s", zone, err, out)
		}
		_ = log.Close()
		if t.Failed() {
			if data, err := os.ReadFile(dir + ".log"); err == nil {
				_ = os.WriteFile(filepath.Join(ArtifactsDir(t), "agent-"+zone+".log"), data, 0o644)
			}
		}
	})
	return &Agent{Dir: dir, PID: cmd.Process.Pid}
}

// KeepTheMachineARouter holds host slot 0 (the machine's own network
// namespace) for the test, so that every keks server and agent it starts
// runs in a slot of its own and the machine only routes between them, as
// a network between hosts does. Without it the first server runs in the
// machine's namespace, and its NAT of its own subnets (172.31.0.0/16, the
// default VPC's, as every keks's) takes the packets another keks's
// instances send across it.
func KeepTheMachineARouter(t testing.TB) {
	t.Helper()
	dir := t.TempDir()
	slot, err := hostslot.Claim(hostslot.DefaultRegistry, dir)
	if err != nil {
		t.Fatal(err)
	}
	if slot != 0 {
		// Another server holds it: the machine's namespace is taken anyway.
		_ = slot.Free(hostslot.DefaultRegistry)
		return
	}
	t.Cleanup(func() { _ = slot.Free(hostslot.DefaultRegistry) })
}
