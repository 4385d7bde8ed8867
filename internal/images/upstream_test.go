package images

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// upstreamPath is the PATH of every image below: docker-library's image
// configs set it, and BuildKit gives it to an image that sets none
// (moby/buildkit frontend/dockerfile/dockerfile2llb: "make sure that PATH
// is always set").
const upstreamPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// fakeCoreDNS builds eks/coredns around a stand-in binary: the image's
// make-up, not CoreDNS, is under test.
func fakeCoreDNS(t *testing.T) func() (v1.Image, error) {
	bin := filepath.Join(t.TempDir(), "coredns")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return func() (v1.Image, error) { return CoreDNS(bin) }
}

// TestConfigsAreUpstreams checks each image's config against what the
// image of that name upstream says, fact by fact, with where it says it.
func TestConfigsAreUpstreams(t *testing.T) {
	for _, tc := range []struct {
		name       string
		build      func() (v1.Image, error)
		entrypoint []string
		cmd        []string
		user       string
		workingDir string
		ports      []string
	}{
		// docker-library/busybox latest/glibc/amd64/image-config.json and
		// Dockerfile: CMD ["sh"], PATH; no entrypoint, user or working dir.
		{name: "docker.io/library/busybox", build: withBusybox(t, Busybox), cmd: []string{"sh"}},
		// kubernetes build/pause/Dockerfile: FROM scratch, ADD
		// bin/pause-linux-${ARCH} /pause, USER 65535:65535, ENTRYPOINT ["/pause"].
		{name: "registry.k8s.io/pause", build: Pause, entrypoint: []string{"/pause"}, user: "65535:65535"},
		// eks-distro projects/kubernetes/kubernetes/docker/pause/Dockerfile
		// (ENTRYPOINT ["/pause"]) on eks-distro-minimal-base-nonroot
		// (eks-distro-build-tooling Dockerfile.minimal-base-nonroot: USER 65532).
		{name: "eks/pause", build: EKSPause, entrypoint: []string{"/pause"}, user: "65532"},
		// eks-distro projects/coredns/coredns/docker/linux/Dockerfile: EXPOSE
		// 53 53/udp, ENTRYPOINT ["/coredns"], on eks-distro-minimal-base
		// (Dockerfile.minimal-base: USER 0).
		{name: "eks/coredns", build: fakeCoreDNS(t), entrypoint: []string{"/coredns"}, user: "0", ports: []string{"53/tcp", "53/udp"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := build(t, tc.build)
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			c := cf.Config
			if !reflect.DeepEqual(c.Entrypoint, tc.entrypoint) {
				t.Errorf("Entrypoint %q, want %q", c.Entrypoint, tc.entrypoint)
			}
			if !reflect.DeepEqual(c.Cmd, tc.cmd) {
				t.Errorf("Cmd %q, want %q", c.Cmd, tc.cmd)
			}
			if c.User != tc.user {
				t.Errorf("User %q, want %q", c.User, tc.user)
			}
			if c.WorkingDir != tc.workingDir {
				t.Errorf("WorkingDir %q, want %q", c.WorkingDir, tc.workingDir)
			}
			if !reflect.DeepEqual(c.Env, []string{upstreamPath}) {
				t.Errorf("Env %q, want [%s]", c.Env, upstreamPath)
			}
			var ports []string
			for p := range c.ExposedPorts {
				ports = append(ports, p)
			}
			sort.Strings(ports)
			if !reflect.DeepEqual(ports, tc.ports) {
				t.Errorf("ExposedPorts %q, want %q", ports, tc.ports)
			}
			// Every image's config names its platform; these are the host's binaries.
			if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
				t.Errorf("platform %s/%s, want linux/%s", cf.OS, cf.Architecture, runtime.GOARCH)
			}
			// One history entry per layer, dated as the image, is what
			// `docker history` lists.
			if len(cf.History) != 1 || cf.History[0].CreatedBy == "" || !cf.History[0].Created.Equal(cf.Created.Time) {
				t.Errorf("history %+v, want one entry dated %s", cf.History, cf.Created)
			}
			if cf.Created.IsZero() {
				t.Error("no created time")
			}
			again := build(t, tc.build)
			d1, _ := img.Digest()
			d2, _ := again.Digest()
			if d1 != d2 {
				t.Errorf("two builds differ: %s, %s", d1, d2)
			}
		})
	}
}
