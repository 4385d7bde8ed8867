package images

import (
	"fmt"
	"os"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestImageSource is what k8sbuild leaves for a version's test images:
// Program gives the path of a program built from Kubernetes's sources
// (agnhost, nnp, sample-apiserver, etcd), File the path of a file of
// k8s.io/kubernetes/test/images (e.g. "nautilus/html/data.json").
// CACert (PEM) is added to the images' trusted roots: the certificate of
// the clusters' OIDC issuers, which the suite fetches from pods as it would
// EKS's publicly trusted one.
type TestImageSource struct {
	Program func(name string) string
	File    func(name string) string
	CACert  []byte
	Busybox BusyboxBinary
}

// testImageBuilders makes the images of the Kubernetes e2e suite keks
// can build, by their repository under registry.k8s.io. Each is laid out
// as upstream's Dockerfile in k8s.io/kubernetes/test/images makes it, on
// keks's busybox root where upstream starts from Alpine (which is busybox
// too) or Debian, with Debian's builds of the tools upstream installs.
func testImageBuilders(src TestImageSource) map[string]func() (v1.Image, error) {
	agnhost := sync.OnceValues(func() (*layer, error) { return agnhostRoot(src) })
	return map[string]func() (v1.Image, error){
		"e2e-test-images/agnhost": func() (v1.Image, error) {
			l, err := agnhost()
			if err != nil {
				return nil, err
			}
			return image(l, epoch, "agnhost (keks build) with BusyBox and Debian's network tools, as test/images/agnhost", agnhostConfig("pause"))
		},
		"e2e-test-images/nautilus": func() (v1.Image, error) { return agnhostWebsite(src, agnhost, "nautilus") },
		"e2e-test-images/kitten":   func() (v1.Image, error) { return agnhostWebsite(src, agnhost, "kitten") },
		// test/images/busybox is docker-library's busybox with nothing added.
		"e2e-test-images/busybox": func() (v1.Image, error) { return Busybox(src.Busybox) },
		"e2e-test-images/glibc-dns-testing": func() (v1.Image, error) {
			l, _, version, err := src.Busybox.root()
			if err != nil {
				return nil, err
			}
			if err := l.addHostPrograms(map[string]string{dig: "usr/bin/dig", getent: "usr/bin/getent", bash: "bin/bash"}); err != nil {
				return nil, err
			}
			bashAsSh(l)
			return image(l, epoch, "glibc-dns-testing: BusyBox "+version+" with Debian's dig and glibc's getent", func(c *v1.Config) {
				c.Cmd = []string{"bash"}
			})
		},
		"e2e-test-images/nonewprivs": func() (v1.Image, error) {
			return onBusybox(src, "nnp", "usr/local/bin/nnp", 0o4755, "nonewprivs: a setuid program printing its effective uid", func(c *v1.Config) {
				c.Cmd = []string{"nnp"}
			})
		},
		"e2e-test-images/nonroot": func() (v1.Image, error) {
			l, _, version, err := src.Busybox.root()
			if err != nil {
				return nil, err
			}
			return image(l, epoch, "nonroot: BusyBox "+version+" run as uid 1234", func(c *v1.Config) { c.User = "1234" })
		},
		"e2e-test-images/sample-apiserver": func() (v1.Image, error) {
			return onBusybox(src, "sample-apiserver", "sample-apiserver", 0o755, "k8s.io/sample-apiserver (keks build)", func(c *v1.Config) {
				c.Entrypoint = []string{"/sample-apiserver"}
			})
		},
		"e2e-test-images/nginx": func() (v1.Image, error) { return Nginx(src.Busybox) },
		"pause":                 Pause,
		"etcd": func() (v1.Image, error) {
			data, err := readProgram(src, "etcd")
			if err != nil {
				return nil, err
			}
			l, err := eksDistroBase()
			if err != nil {
				return nil, err
			}
			l.file("usr/local/bin/etcd", data, 0o755)
			return image(l, epoch, "etcd (keks build of the release Kubernetes requires) at /usr/local/bin/etcd", func(c *v1.Config) {
				c.Cmd = []string{"/usr/local/bin/etcd"}
				c.ExposedPorts = map[string]struct{}{"2379/tcp": {}, "2380/tcp": {}}
			})
		},
	}
}

// TestImageRepositories are the repositories testImageBuilders serves,
// for the registry to treat as public.
func TestImageRepositories() []string {
	var out []string
	for repo := range testImageBuilders(TestImageSource{}) {
		out = append(out, repo)
	}
	return out
}

// TestImages are the images of listed (references as e2e.test
// --list-images prints them) that keks builds, as "repository:tag" in
// keks's registry, which nodes reach as the mirror of registry.k8s.io.
// Every tag of a repository is the one build: the suite names two of
// agnhost, busybox and nginx, for tests that change a pod's image.
func TestImages(src TestImageSource, listed []string) map[string]func() (v1.Image, error) {
	builders := testImageBuilders(src)
	out := map[string]func() (v1.Image, error){}
	for _, ref := range listed {
		rest, ok := strings.CutPrefix(strings.TrimSpace(ref), "registry.k8s.io/")
		if !ok {
			continue
		}
		repo, _, _ := strings.Cut(rest, ":")
		if b, ok := builders[repo]; ok {
			out[rest] = b
		}
	}
	return out
}

func readProgram(src TestImageSource, name string) ([]byte, error) {
	data, err := os.ReadFile(src.Program(name))
	if err != nil {
		return nil, fmt.Errorf("read the test image program %s (run keks build-kubernetes --conformance): %w", name, err)
	}
	return data, nil
}

// onBusybox is busybox's root with one program of the suite's added at name.
func onBusybox(src TestImageSource, program, name string, mode int64, createdBy string, configure func(*v1.Config)) (v1.Image, error) {
	data, err := readProgram(src, program)
	if err != nil {
		return nil, err
	}
	l, _, _, err := src.Busybox.root()
	if err != nil {
		return nil, err
	}
	l.file(name, data, mode)
	return image(l, epoch, createdBy, configure)
}
