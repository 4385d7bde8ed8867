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
	// The host has iptables and the CNI bridge plugin.
	write := func(path string, data []byte) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(bin, "iptables"), []byte("#!/bin/sh\n"))
	write(filepath.Join(root, "usr/lib/cni/bridge"), []byte("x"))

	missing := Host{Path: bin, Root: root}.Missing(Nodes)
	var names []string
	for _, r := range missing {
		names = append(names, r.Command+r.File)
	}
	got := strings.Join(names, " ")
	for _, want := range []string{"/usr/lib/cni/host-local", "nsenter", "pkg-config", "/usr/include/seccomp.h", "make"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q not reported: %s", want, got)
		}
	}
	for _, r := range missing {
		if r.Command == "iptables" || r.File == "/usr/lib/cni/bridge" {
			t.Errorf("present %s reported missing", r)
		}
	}
	msg := Describe(missing)
	if !strings.Contains(msg, "apt-get install -y containernetworking-plugins util-linux mount openssh-server pkg-config libseccomp-dev make") {
		t.Errorf("install command: %s", msg)
	}
}
