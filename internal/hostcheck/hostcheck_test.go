package hostcheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMissingNamesEachPieceAndItsPackage(t *testing.T) {
	bin := t.TempDir()
	root := t.TempDir()
	// The host has runc and the CNI bridge plugin, and a dynamically linked busybox.
	write := func(path string, data []byte) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(bin, "runc"), []byte("#!/bin/sh\n"))
	write(filepath.Join(root, "usr/lib/cni/bridge"), []byte("x"))
	dynamic, err := os.ReadFile("/bin/ls") // any dynamically linked executable
	if err != nil {
		t.Skip("no /bin/ls to stand for a dynamic busybox")
	}
	write(filepath.Join(root, "bin/busybox"), dynamic)

	missing := Host{Path: bin, Root: root}.Missing(Nodes)
	var names []string
	for _, r := range missing {
		names = append(names, r.Command+r.File)
	}
	got := strings.Join(names, " ")
	for _, want := range []string{"containerd", "containerd-shim-runc-v2", "/usr/lib/cni/host-local", "iptables", "/bin/busybox"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q not reported: %s", want, got)
		}
	}
	for _, r := range missing {
		if r.Command == "runc" || r.File == "/usr/lib/cni/bridge" {
			t.Errorf("present %s reported missing", r)
		}
	}
	msg := Describe(missing)
	if !strings.Contains(msg, "apt-get install -y containerd containernetworking-plugins iptables util-linux mount busybox-static") {
		t.Errorf("install command: %s", msg)
	}
}

func TestStaticBusyboxIsAccepted(t *testing.T) {
	if !static("/bin/busybox") {
		t.Skip("this host has no static busybox")
	}
	if m := (Host{}).Missing([]Requirement{{What: "x", Package: "busybox-static", File: "/bin/busybox", Static: true}}); len(m) != 0 {
		t.Fatalf("static busybox reported missing: %v", m)
	}
}
