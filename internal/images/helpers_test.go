package images

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/keksdev/keks/internal/k8sbuild"
)

// testBusybox is the busybox `make build` built into _output, which the
// images are made of.
func testBusybox(t *testing.T) BusyboxBinary {
	t.Helper()
	path, err := filepath.Abs(k8sbuild.Dir("../../_output/k8s").BusyboxPath())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no busybox build (run make build): %v", err)
	}
	return BusyboxBinary(path)
}

// withBusybox is an image builder of keks's on testBusybox.
func withBusybox(t *testing.T, f func(BusyboxBinary) (v1.Image, error)) func() (v1.Image, error) {
	bb := testBusybox(t)
	return func() (v1.Image, error) { return f(bb) }
}

// tarEntry is one entry of an image's layer, as its tarball has it.
type tarEntry struct {
	hdr  *tar.Header
	data []byte
}

// build builds an image, failing the test if it cannot be.
func build(t *testing.T, f func() (v1.Image, error)) v1.Image {
	t.Helper()
	img, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// layerEntries reads the image's one layer: path (no trailing slash) ->
// entry, in the order written.
func layerEntries(t *testing.T, img v1.Image) (map[string]tarEntry, []string) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("%d layers, want 1", len(layers))
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	entries := map[string]tarEntry{}
	var order []string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(h.Name, "/")
		entries[name] = tarEntry{h, data}
		order = append(order, name)
	}
	return entries, order
}

// unpack lays the image's filesystem out under dir as a container runtime
// does (owners, modes, links), for running its programs with chroot.
func unpack(t *testing.T, img v1.Image, dir string) {
	t.Helper()
	entries, order := layerEntries(t, img)
	for _, name := range order {
		e := entries[name]
		p := filepath.Join(dir, name)
		var err error
		switch e.hdr.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			err = os.WriteFile(p, e.data, 0o644)
		case tar.TypeSymlink:
			err = os.Symlink(e.hdr.Linkname, p)
		case tar.TypeLink:
			err = os.Link(filepath.Join(dir, e.hdr.Linkname), p)
		}
		if err != nil {
			t.Fatalf("unpack %s: %v", name, err)
		}
		if e.hdr.Typeflag == tar.TypeDir || e.hdr.Typeflag == tar.TypeReg {
			if err := os.Lchown(p, e.hdr.Uid, e.hdr.Gid); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, os.FileMode(e.hdr.Mode&0o777)|modeBits(e.hdr.Mode)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// modeBits turns a tar mode's sticky, setuid and setgid bits into Go's.
func modeBits(m int64) os.FileMode {
	var fm os.FileMode
	if m&0o1000 != 0 {
		fm |= os.ModeSticky
	}
	if m&0o2000 != 0 {
		fm |= os.ModeSetgid
	}
	if m&0o4000 != 0 {
		fm |= os.ModeSetuid
	}
	return fm
}

// needRoot skips a test that must chroot, chown or make namespaces.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (chroot, chown, namespaces)")
	}
}
