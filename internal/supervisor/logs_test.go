package supervisor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRotateLogKeepsTheWriterWriting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kubelet.log")
	w, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.WriteString(strings.Repeat("old line\n", 200))
	if rotated, err := RotateLog(path, 1000); err != nil || !rotated {
		t.Fatalf("rotate: %v %v", rotated, err)
	}
	w.WriteString("new line\n") // the process goes on writing through its open file
	now, _ := os.ReadFile(path)
	old, _ := os.ReadFile(path + ".1")
	if string(now) != "new line\n" {
		t.Fatalf("log after rotation: %q", now)
	}
	if len(old) != 200*len("old line\n") {
		t.Fatalf("rotated copy holds %d bytes", len(old))
	}
	if rotated, _ := RotateLog(path, 1000); rotated {
		t.Fatal("a small log was rotated")
	}
}

func TestMarkersAreNotPassedOn(t *testing.T) {
	t.Setenv(markerVar, "someone/else")
	for _, kv := range ownEnvironment() {
		if strings.HasPrefix(kv, markerVar+"=") {
			t.Fatalf("keks's own marker reaches its processes: %s", kv)
		}
	}
}
