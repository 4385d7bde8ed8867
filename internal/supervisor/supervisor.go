// Package supervisor starts the processes keks runs (etcd members, API
// servers, load balancers...) so that they outlive keks, and finds them again
// after a restart by a marker in their environment.
package supervisor

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// markerVar names the environment variable that tags a process with the
// instance it belongs to; /proc/<pid>/environ tells keks which process is whose.
const markerVar = "KEKS_INSTANCE"

// Spec is a process to run.
type Spec struct {
	ID      string // unique across the machine: cluster uid + instance name
	Path    string
	Args    []string
	Env     []string
	Dir     string
	LogFile string
	// Hostname, if set, runs the process in a UTS namespace of its own with
	// that name, as a machine of its own would have: Kubernetes components
	// derive their identities (API server leases, leader election holders)
	// from it, and two that share the host's name would take each other's.
	Hostname string
}

// Start runs the process in its own session, so that signals to keks and
// keks's exit leave it running, with its output appended to its log file.
func Start(s Spec) (int, error) {
	if err := os.MkdirAll(filepath.Dir(s.LogFile), 0o755); err != nil {
		return 0, err
	}
	logf, err := os.OpenFile(s.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("open log of %s: %w", s.ID, err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "---- %s keks starts %s %s\n", time.Now().UTC().Format(time.RFC3339), s.Path, strings.Join(s.Args, " "))
	cmd := exec.Command(s.Path, s.Args...)
	if s.Hostname != "" {
		// unshare and sh exec in turn, so the pid keks records is the process's own.
		cmd = exec.Command("unshare", append([]string{"--uts", "--", "/bin/sh", "-c", setHostname, s.Hostname, s.Path}, s.Args...)...)
	}
	cmd.Dir = s.Dir
	cmd.Env = append(append(ownEnvironment(), s.Env...), markerVar+"="+s.ID)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", s.ID, err)
	}
	pid := cmd.Process.Pid
	// Reap the child when it exits; if keks exits first, init adopts it.
	go func() { _ = cmd.Wait() }()
	return pid, nil
}

// setHostname names the new UTS namespace ($0) and becomes the command ($@).
const setHostname = `printf %s "$0" > /proc/sys/kernel/hostname && exec "$@"`

// Running reports whether pid is alive and is the process of instance id.
func Running(pid int, id string) bool {
	if pid <= 0 {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X') {
		return false
	}
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return false
	}
	return bytes.Contains(env, []byte("\x00"+markerVar+"="+id+"\x00")) || bytes.HasPrefix(env, []byte(markerVar+"="+id+"\x00")) || bytes.HasSuffix(env, []byte("\x00"+markerVar+"="+id))
}

// Find returns the pids of processes whose marker starts with prefix, so
// keks can find every process of a cluster, even ones it lost track of.
func Find(prefix string) map[int]string {
	out := map[int]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if v, ok := bytes.CutPrefix(kv, []byte(markerVar+"=")); ok && strings.HasPrefix(string(v), prefix) {
				if Running(pid, string(v)) {
					out[pid] = string(v)
				}
			}
		}
	}
	return out
}

// Stop sends SIGTERM, waits up to grace, then SIGKILLs, and waits until the
// process is gone.
func Stop(ctx context.Context, pid int, id string, grace time.Duration) error {
	if !Running(pid, id) {
		return nil
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for Running(pid, id) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline.Add(10 * time.Second)) {
			return fmt.Errorf("process %d (%s) did not exit after SIGKILL", pid, id)
		}
	}
	return nil
}

// Signal sends sig to the process if it is still instance id's.
func Signal(pid int, id string, sig syscall.Signal) error {
	if !Running(pid, id) {
		return fmt.Errorf("process %d of %s is not running", pid, id)
	}
	return syscall.Kill(pid, sig)
}

// RSS returns a process's resident memory in bytes.
func RSS(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// PSS returns a process's proportional set size in bytes: its private memory
// plus its share of pages it shares with others (such as the multi-call
// Kubernetes binary every control-plane process maps), so that summing PSS
// over processes counts shared memory once.
func PSS(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "Pss:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// ownEnvironment is keks's environment without its markers: a keks that
// itself runs under a marker (started by a test, or by another keks) must
// not pass that marker on beside the one it gives.
func ownEnvironment() []string {
	env := os.Environ()
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, markerVar+"=") {
			out = append(out, kv)
		}
	}
	return out
}
