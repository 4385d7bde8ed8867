package k8sbuild

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/keksdev/keks/internal/kubeversions"
)

// TestImagesDir, under a version's ConformanceDir (bin/<program>,
// files/<path under test/images>), holds what the suite's
// test images are made of that only Kubernetes's sources give: the
// programs upstream's Dockerfiles ADD, built from the same module as the
// suite, and the files they COPY. internal/images lays the images out.
const TestImagesDir = "images"

// testImagePrograms are built static (CGO_ENABLED=0), as upstream builds
// them for its Alpine images.
var testImagePrograms = []struct{ name, pkg string }{
	{"agnhost", "k8s.io/kubernetes/test/images/agnhost"},
	{"nnp", "k8s.io/kubernetes/test/images/nonewprivs"},
	{"sample-apiserver", "k8s.io/sample-apiserver"},
	{"etcd", "keks.local/conformance/etcd"},
}

// etcdMain is the etcd of registry.k8s.io/etcd, which the sample API
// server's pod runs beside it: the etcd release Kubernetes requires.
const etcdMain = `package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
`

// testImageFiles are copied from k8s.io/kubernetes/test/images.
var testImageFiles = []string{
	"agnhost/porter/localhost.crt",
	"agnhost/porter/localhost.key",
	"nautilus/html/nautilus.jpg",
	"nautilus/html/data.json",
	"kitten/html/kitten.jpg",
	"kitten/html/data.json",
}

// testImageSources are the module's own packages among testImagePrograms.
func testImageSources() map[string][]byte {
	return map[string][]byte{"etcd/main.go": []byte(etcdMain)}
}

// testImageList is the file, under TestImagesDir, listing the images the
// suite runs, as e2e.test --list-images prints them.
const testImageList = "list.txt"

// TestImageList is the images the suite of version v runs.
func (d Dir) TestImageList(v kubeversions.Version) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(d.ConformanceDir(v), TestImagesDir, testImageList))
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(data)), nil
}

func buildTestImagePrograms(ctx context.Context, src, kubernetesSrc, out string, progress io.Writer) error {
	list, err := exec.CommandContext(ctx, filepath.Join(out, "..", "e2e.test"), "--list-images").Output()
	if err != nil {
		return fmt.Errorf("list the suite's images: %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, testImageList), list, 0o644); err != nil {
		return err
	}
	for _, p := range testImagePrograms {
		if err := compile(ctx, src, filepath.Join(out, "bin", p.name), []string{p.pkg}, "the test image program "+p.name, nil, []string{"CGO_ENABLED=0"}, progress); err != nil {
			return err
		}
	}
	for _, f := range testImageFiles {
		data, err := os.ReadFile(filepath.Join(kubernetesSrc, "test", "images", f))
		if err != nil {
			return fmt.Errorf("copy a test image's file: %w", err)
		}
		dst := filepath.Join(out, "files", f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// TestImageProgram is where a test image's program is built.
func (d Dir) TestImageProgram(v kubeversions.Version, name string) string {
	return filepath.Join(d.ConformanceDir(v), TestImagesDir, "bin", name)
}

// TestImageFile is where a file of k8s.io/kubernetes/test/images is
// copied, by its path there.
func (d Dir) TestImageFile(v kubeversions.Version, name string) string {
	return filepath.Join(d.ConformanceDir(v), TestImagesDir, "files", name)
}
