package images

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pauseOnHost writes the pause binary the images hold to a file of the host.
func pauseOnHost(t *testing.T) string {
	t.Helper()
	bin, err := pauseBinary()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "pause")
	if err := os.WriteFile(p, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPauseIsReproducible(t *testing.T) {
	first, err := pauseBinary()
	if err != nil {
		t.Fatal(err)
	}
	second, err := compilePause()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Error("two compilations of pause differ")
	}
}

// TestPauseImageHoldsOnlyPause: upstream's is FROM scratch with /pause alone.
func TestPauseImageHoldsOnlyPause(t *testing.T) {
	entries, order := layerEntries(t, build(t, Pause))
	if len(order) != 1 || entries["pause"].hdr.Mode != 0o755 {
		t.Errorf("layer holds %q, want /pause (0755) alone", order)
	}
}

func TestPauseVersion(t *testing.T) {
	out, err := exec.Command(pauseOnHost(t), "-v").Output()
	if err != nil || !strings.Contains(string(out), PauseTag) {
		t.Errorf("pause -v: %q, %v", out, err)
	}
}

// TestPauseStopsOnSignal: upstream's pause.c exits 0 on SIGINT and SIGTERM,
// saying so, which lets a pod stop at once; out of PID 1 it warns.
func TestPauseStopsOnSignal(t *testing.T) {
	bin := pauseOnHost(t)
	for sig, name := range map[syscall.Signal]string{syscall.SIGTERM: "Terminated", syscall.SIGINT: "Interrupt"} {
		cmd := exec.Command(bin)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v, want exit 0", name, err)
			}
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("pause still running 5s after %s", name)
		}
		want := "Warning: pause should be the first process\nShutting down, got signal: " + name + "\n"
		if stderr.String() != want {
			t.Errorf("stderr %q, want %q", stderr.String(), want)
		}
	}
}

// TestPauseReapsZombies: as PID 1 of a pod's process namespace, pause
// reaps the children that end there, its own and orphans handed to it.
func TestPauseReapsZombies(t *testing.T) {
	needRoot(t)
	bin := pauseOnHost(t)
	// The shell leaves an orphan (the subshell's sleep) and a child of its
	// own, then becomes pause, which inherits both.
	bb := string(testBusybox(t)) // by path: the host need not have a busybox of its own
	cmd := exec.Command(bb, "sh", "-c", "("+bb+" sleep 1 &); "+bb+" sleep 1 & exec "+bin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitFor := func(what string, within time.Duration, ok func(map[int]string) bool) {
		t.Helper()
		deadline := time.Now().Add(within)
		for children := childrenOf(t, cmd.Process.Pid); !ok(children); children = childrenOf(t, cmd.Process.Pid) {
			if time.Now().After(deadline) {
				t.Fatalf("no %s within %s: children %v", what, within, children)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("two sleeping children", time.Second, func(c map[int]string) bool { return len(c) == 2 })
	// Unreaped, they would stay as zombies (state Z) for as long as pause runs.
	waitFor("children reaped", 5*time.Second, func(c map[int]string) bool { return len(c) == 0 })
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("pause as PID 1 on SIGTERM: %v", err)
	}
}

// childrenOf lists the processes, zombies too, whose parent is pid:
// pid -> state.
func childrenOf(t *testing.T, pid int) map[int]string {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	children := map[int]string{}
	for _, p := range stats {
		data, err := os.ReadFile(p)
		if err != nil {
			continue // ended meanwhile
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		s := string(data)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == pid {
			child, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			children[child] = fields[0]
		}
	}
	return children
}
