// Package images builds the images keks provides, locally and with no
// download: the pod sandbox (pause), CoreDNS, busybox, a shell image with a
// working HTTP client and a sample web application, from Debian's and
// keks's own binaries; and pushes them into keks's registry.
package images

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// busybox is Debian's busybox-static.
const busybox = "/bin/busybox"

// layer is the files of one image layer: path in the image -> content,
// plus symlinks.
type layer struct {
	files    map[string]file
	symlinks map[string]string
}

type file struct {
	data []byte
	mode int64
}

func newLayer() *layer {
	return &layer{files: map[string]file{}, symlinks: map[string]string{}}
}

// addHostFile copies a file of the host into the layer at the same path.
func (l *layer) addHostFile(path string, mode int64) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	l.files[strings.TrimPrefix(path, "/")] = file{data, mode}
	return nil
}

// addBusybox adds busybox and a link for each of its applets under /bin.
func (l *layer) addBusybox() error {
	if err := l.addHostFile(busybox, 0o755); err != nil {
		return fmt.Errorf("%w (install busybox-static)", err)
	}
	out, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return fmt.Errorf("list busybox applets: %w", err)
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet != "busybox" && !strings.Contains(applet, "/") {
			l.symlinks["bin/"+applet] = "busybox"
		}
	}
	return nil
}

// addDynamic adds a dynamically linked host binary with the shared
// libraries ldd finds for it.
func (l *layer) addDynamic(bin string) error {
	if err := l.addHostFile(bin, 0o755); err != nil {
		return err
	}
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		return fmt.Errorf("ldd %s: %w", bin, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		for _, f := range strings.Fields(line) {
			if !strings.HasPrefix(f, "/") {
				continue
			}
			real, err := filepath.EvalSymlinks(f)
			if err != nil {
				return err
			}
			if err := l.addHostFile(real, 0o755); err != nil {
				return err
			}
			if real != f {
				l.symlinks[strings.TrimPrefix(f, "/")] = real
			}
		}
	}
	return nil
}

func (l *layer) build() (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	var names []string
	for n := range l.files {
		names = append(names, n)
	}
	for n := range l.symlinks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for d := filepath.Dir(n); d != "." && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	var dirList []string
	for d := range dirs {
		dirList = append(dirList, d)
	}
	sort.Strings(dirList)
	for _, d := range dirList {
		if err := tw.WriteHeader(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
			return nil, err
		}
	}
	for _, n := range names {
		if target, ok := l.symlinks[n]; ok {
			if err := tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777}); err != nil {
				return nil, err
			}
			continue
		}
		f := l.files[n]
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: f.mode, Size: int64(len(f.data))}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
}

// image makes a one-layer linux/amd64 image.
func image(l *layer, configure func(*v1.Config)) (v1.Image, error) {
	ly, err := l.build()
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, ly)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	configure(&cfg.Config)
	return mutate.ConfigFile(img, cfg)
}

// Pause is the pod sandbox image: busybox sleeping forever.
func Pause() (v1.Image, error) {
	l := newLayer()
	if err := l.addHostFile(busybox, 0o755); err != nil {
		return nil, fmt.Errorf("%w (install busybox-static)", err)
	}
	return image(l, func(c *v1.Config) {
		c.Entrypoint = []string{"/bin/busybox", "sleep", "2147483647"}
		c.StopSignal = "SIGKILL"
	})
}

// Busybox is what `busybox` resolves to: Debian's busybox-static.
func Busybox() (v1.Image, error) {
	l := newLayer()
	if err := l.addBusybox(); err != nil {
		return nil, err
	}
	return image(l, func(c *v1.Config) { c.Cmd = []string{"sh"} })
}

// Shell is busybox with curl (Debian's, with its libraries and CA
// certificates): busybox's own wget fails against some servers.
func Shell() (v1.Image, error) {
	l := newLayer()
	if err := l.addBusybox(); err != nil {
		return nil, err
	}
	if err := l.addDynamic("/usr/bin/curl"); err != nil {
		return nil, fmt.Errorf("%w (install curl)", err)
	}
	if err := l.addHostFile("/etc/ssl/certs/ca-certificates.crt", 0o644); err != nil {
		return nil, err
	}
	return image(l, func(c *v1.Config) { c.Cmd = []string{"sh"} })
}

// helloScript serves a page naming the pod, with busybox httpd, and stops at
// once on SIGTERM.
const helloScript = `#!/bin/sh
mkdir -p /tmp/www
echo "Hello from $(hostname)" > /tmp/www/index.html
echo "hello: listening on :${PORT:-8080}"
# As PID 1, httpd would ignore SIGTERM and every stop would wait out the grace period.
httpd -f -v -p "${PORT:-8080}" -h /tmp/www &
trap 'kill $!; exit 0' TERM INT
wait $!
`

// Hello is the sample web application: it answers with the name of the pod
// that served it.
func Hello() (v1.Image, error) {
	l := newLayer()
	if err := l.addBusybox(); err != nil {
		return nil, err
	}
	l.files["usr/local/bin/hello"] = file{[]byte(helloScript), 0o755}
	return image(l, func(c *v1.Config) {
		c.Entrypoint = []string{"/usr/local/bin/hello"}
		c.ExposedPorts = map[string]struct{}{"8080/tcp": {}}
	})
}

// CoreDNS wraps keks's CoreDNS build.
func CoreDNS(binary string) (v1.Image, error) {
	data, err := os.ReadFile(binary)
	if err != nil {
		return nil, fmt.Errorf("read %s (run keks build-kubernetes): %w", binary, err)
	}
	l := newLayer()
	l.files["coredns"] = file{data, 0o755}
	return image(l, func(c *v1.Config) {
		c.Entrypoint = []string{"/coredns"}
		c.ExposedPorts = map[string]struct{}{"53/tcp": {}, "53/udp": {}}
	})
}
