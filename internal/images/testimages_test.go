package images

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// fakeTestImageSource stands in for k8sbuild's outputs: every program a
// script that names itself, every file its own name.
func fakeTestImageSource(t *testing.T) TestImageSource {
	dir := t.TempDir()
	return TestImageSource{
		Busybox: testBusybox(t),
		Program: func(name string) string {
			p := filepath.Join(dir, "bin", name)
			_ = os.MkdirAll(filepath.Dir(p), 0o755)
			_ = os.WriteFile(p, []byte("#!/bin/sh\necho "+name+" \"$@\"\n"), 0o755)
			return p
		},
		File: func(name string) string {
			p := filepath.Join(dir, "files", name)
			_ = os.MkdirAll(filepath.Dir(p), 0o755)
			_ = os.WriteFile(p, []byte(name), 0o644)
			return p
		},
	}
}

func TestTestImagesTakeTheSuitesNames(t *testing.T) {
	listed := []string{
		"registry.k8s.io/e2e-test-images/agnhost:2.66.1",
		"registry.k8s.io/e2e-test-images/agnhost:2.55",
		"registry.k8s.io/e2e-test-images/nginx:1.27.0-2",
		"registry.k8s.io/pause:3.10.2",
		"registry.k8s.io/etcd:3.7.0-0",
		"registry.k8s.io/sig-storage/csi-provisioner:v6.3.0", // not built
		"invalid.registry.k8s.io/invalid/alpine:3.1",         // must stay unpullable
		"gcr.io/k8s-authenticated-test/agnhost:2.6",          // a private registry's
	}
	got := TestImages(fakeTestImageSource(t), listed)
	for _, want := range []string{"e2e-test-images/agnhost:2.66.1", "e2e-test-images/agnhost:2.55", "e2e-test-images/nginx:1.27.0-2", "pause:3.10.2", "etcd:3.7.0-0"} {
		if got[want] == nil {
			t.Errorf("%s is not built", want)
		}
	}
	if len(got) != 5 {
		t.Errorf("built %d images, want 5: %v", len(got), got)
	}
	public := map[string]bool{}
	for _, r := range TestImageRepositories() {
		public[r] = true
	}
	for ref := range got {
		repo, _, _ := strings.Cut(ref, ":")
		if !public[repo] {
			t.Errorf("%s is not among the public repositories", repo)
		}
	}
}

// TestAgnhostHasTheSuitesTools runs, in the unpacked agnhost image, the
// tools the e2e tests call in it, and checks its user, group and links.
func TestAgnhostHasTheSuitesTools(t *testing.T) {
	needRoot(t)
	src := fakeTestImageSource(t)
	img := build(t, func() (v1.Image, error) { return testImageBuilders(src)["e2e-test-images/agnhost"]() })
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Config.Entrypoint, " ") + " | " + strings.Join(cfg.Config.Cmd, " "); got != "/agnhost | pause" {
		t.Errorf("entrypoint | cmd = %q", got)
	}
	root := t.TempDir()
	unpack(t, img, root)
	for _, tc := range []struct{ cmd, want string }{
		{"dig -v 2>&1", "DiG 9"},
		{"nc -h 2>&1", "OpenBSD netcat"},
		{"curl --version", "curl "},
		{"/sbin/ip -V", "ip utility"},
		{"ss -V", "ss utility"},
		{"socat -V", "socat version"},
		{"bash -c 'echo $BASH_VERSION'", "5."},
		{"ipcs -V", "ipcs from util-linux"},
		{"iperf -v 2>&1; true", "iperf version"},
		{"getent group group-defined-in-image", "group-defined-in-image:x:50000:user-defined-in-image"},
		{"id user-defined-in-image", "uid=1000(user-defined-in-image) gid=1000(user-defined-in-image) groups=1000(user-defined-in-image),50000(group-defined-in-image)"},
		{"/agnhost-2 netexec", "agnhost netexec"},
		{"cat /localhost.crt", "agnhost/porter/localhost.crt"},
		{"test -d /uploads && echo uploads", "uploads"},
		// The ImageVolume test reads it from kitten, which is agnhost.
		{"cat /etc/os-release", "Alpine Linux"},
	} {
		out, errOut, status := inBusybox(t, root, 0, 0, nil, "sh", "-c", tc.cmd)
		if status != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("%s: status %d, stdout %q, stderr %q; want %q", tc.cmd, status, out, errOut, tc.want)
		}
	}
}

func TestNginxConfigurationIsValid(t *testing.T) {
	needRoot(t)
	root := t.TempDir()
	unpack(t, build(t, withBusybox(t, Nginx)), root)
	if err := os.MkdirAll(filepath.Join(root, "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, errOut, status := inBusybox(t, root, 0, 0, nil, "/usr/sbin/nginx", "-t")
	if status != 0 || !strings.Contains(errOut, "test is successful") {
		t.Errorf("nginx -t: status %d, stdout %q, stderr %q", status, out, errOut)
	}
}

// TestTestBusyboxPassesEveryVariableOn: `sh -c env` shows a variable whose
// name is no shell's, as the suite's envFrom tests expect of busybox:1.37.
func TestTestBusyboxPassesEveryVariableOn(t *testing.T) {
	needRoot(t)
	src := fakeTestImageSource(t)
	root := t.TempDir()
	unpack(t, build(t, testImageBuilders(src)["e2e-test-images/busybox"]), root)
	out, errOut, status := inBusybox(t, root, 0, 0, []string{"data-1=value-1"}, "/bin/sh", "-c", "env")
	if status != 0 || !strings.Contains(out, "data-1=value-1") {
		t.Errorf("sh -c env: status %d, stdout %q, stderr %q", status, out, errOut)
	}
}
