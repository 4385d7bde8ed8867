package k8sbuild

import (
	"bytes"
	"context"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/kubeversions"
)

// The conformance suite of a version: e2e.test (k8s.io/kubernetes/test/e2e
// is a test package, built with go test -c) and the ginkgo CLI at the
// version Kubernetes pins, in a module of their own beside the components'
// so that building them changes nothing the components were built from.

// ConformanceDir is where a version's e2e.test and ginkgo are.
func (d Dir) ConformanceDir(v kubeversions.Version) string {
	return filepath.Join(string(d), v.Patch, "conformance")
}

// ConformanceBuilt reports whether the suite of version v has been built,
// with the programs of its test images.
func (d Dir) ConformanceBuilt(v kubeversions.Version) bool {
	dir := d.ConformanceDir(v)
	files := []string{filepath.Join(dir, "e2e.test"), filepath.Join(dir, "ginkgo"), filepath.Join(dir, TestImagesDir, testImageList)}
	for _, p := range testImagePrograms {
		files = append(files, d.TestImageProgram(v, p.name))
	}
	for _, f := range testImageFiles {
		files = append(files, d.TestImageFile(v, f))
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return false
		}
	}
	return true
}

const ginkgoCLI = "github.com/onsi/ginkgo/v2/ginkgo"

// BuildConformance compiles the conformance suite of version v unless it
// is built already, under the same machine-wide lock as Build.
func (d Dir) BuildConformance(ctx context.Context, v kubeversions.Version, progress io.Writer) error {
	return d.buildOnce(func() bool { return d.ConformanceBuilt(v) }, progress, func() error { return d.buildConformance(ctx, v, progress) })
}

func (d Dir) buildConformance(ctx context.Context, v kubeversions.Version, progress io.Writer) error {
	start := time.Now()
	src := filepath.Join(string(d), v.Patch, "conformance-src")
	var imports []string
	var kubernetesSrc string
	err := d.writeModule(ctx, v, src, "keks.local/conformance", func(kubernetesDir string) (map[string][]byte, error) {
		var err error
		imports, err = suiteImports(filepath.Join(kubernetesDir, "test", "e2e", "e2e_test.go"))
		if err != nil {
			return nil, err
		}
		kubernetesSrc = kubernetesDir
		tools := append([]string{ginkgoCLI, "k8s.io/kubernetes/test/e2e"}, imports...)
		for _, p := range testImagePrograms {
			if !strings.HasPrefix(p.pkg, "keks.local/") {
				tools = append(tools, p.pkg)
			}
		}
		files := testImageSources()
		files["tools.go"] = toolsFile(tools)
		return files, nil
	}, progress)
	if err != nil {
		return err
	}
	tmp := d.ConformanceDir(v) + ".tmp"
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	ld := versionFlags(v)
	// Every package of the suite goes through go build first, for its
	// progress lines; go test -c then finds them cached and only links.
	if err := compile(ctx, src, "", append([]string{"k8s.io/kubernetes/test/e2e"}, imports...), "the conformance suite of "+v.Patch, ld, nil, progress); err != nil {
		return err
	}
	fmt.Fprintf(progress, "      linking e2e.test\n")
	test := exec.CommandContext(ctx, "go", "test", "-c", "-trimpath", "-ldflags", "-s -w "+strings.Join(ld, " "), "-o", filepath.Join(tmp, "e2e.test"), "k8s.io/kubernetes/test/e2e")
	test.Dir = src
	test.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := test.CombinedOutput(); err != nil {
		return fmt.Errorf("go test -c k8s.io/kubernetes/test/e2e: %w\n%s", err, out)
	}
	if err := compile(ctx, src, filepath.Join(tmp, "ginkgo"), []string{ginkgoCLI}, "ginkgo", nil, nil, progress); err != nil {
		return err
	}
	if err := buildTestImagePrograms(ctx, src, kubernetesSrc, filepath.Join(tmp, TestImagesDir), progress); err != nil {
		return err
	}
	_ = os.RemoveAll(d.ConformanceDir(v))
	if err := os.Rename(tmp, d.ConformanceDir(v)); err != nil {
		return fmt.Errorf("install the conformance suite of %s: %w", v.Patch, err)
	}
	fmt.Fprintf(progress, "conformance suite of Kubernetes %s built in %s: %s\n", v.Patch, time.Since(start).Round(time.Second), d.ConformanceDir(v))
	return nil
}

// suiteImports lists what the suite's main test file imports: the packages
// whose init functions register the tests, which go mod tidy would not keep
// (they are imported by a test file of a dependency, not by this module).
func suiteImports(path string) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
	if err != nil {
		return nil, fmt.Errorf("read the suite's imports: %w", err)
	}
	var out []string
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil || !strings.Contains(p, ".") { // the standard library
			continue
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// toolsFile is a Go file that only records imports, so that go mod tidy keeps
// what they need; it is never built.
func toolsFile(imports []string) []byte {
	var b bytes.Buffer
	b.WriteString("//go:build tools\n\npackage main\n\nimport (\n")
	for _, p := range imports {
		fmt.Fprintf(&b, "\t_ %q\n", p)
	}
	b.WriteString(")\n")
	return b.Bytes()
}
