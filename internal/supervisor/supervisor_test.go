package supervisor

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A process given a hostname sees that name, the host keeps its own, and the
// pid keks records is the process's itself (so Running and Stop find it).
func TestHostnameIsTheProcesssOwn(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a UTS namespace needs root")
	}
	host, _ := os.Hostname()
	dir := t.TempDir()
	out := filepath.Join(dir, "name")
	id := "test/" + filepath.Base(dir)
	pid, err := Start(Spec{ID: id, Path: "/bin/sh", Args: []string{"-c", `hostname > "$0"; exec sleep 60`, out},
		LogFile: filepath.Join(dir, "log"), Hostname: "ip-198-18-0-11"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = Stop(context.Background(), pid, id, time.Second) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		if strings.TrimSpace(string(comm)) == "sleep" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d never became the command (comm %q)", pid, comm)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got, _ := os.ReadFile(out); strings.TrimSpace(string(got)) != "ip-198-18-0-11" {
		t.Fatalf("the process's hostname is %q", got)
	}
	if now, _ := os.Hostname(); now != host {
		t.Fatalf("the host's name changed from %q to %q", host, now)
	}
	if !Running(pid, id) {
		t.Fatal("the recorded pid does not carry the process's marker")
	}
}
