package k8sbuild

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// AddonProgram is an upstream program an add-on runs, built from the Go
// module proxy in a module of its own (its Kubernetes libraries are not
// keks's or a cluster version's), static, as its release images carry it.
type AddonProgram struct {
	Name    string // the binary's name
	Module  string // the module the proxy serves
	Version string // its release, without "v"
	Package string // the main package
	// Stamp returns the -X flags that set the version the program reports.
	Stamp func(version string) []string
}

// MetricsServerVersion is the metrics-server release keks builds.
const MetricsServerVersion = "0.8.0"

// MetricsServer is the metrics-server add-on's program.
var MetricsServer = AddonProgram{
	Name: "metrics-server", Module: "sigs.k8s.io/metrics-server", Version: MetricsServerVersion,
	Package: "sigs.k8s.io/metrics-server/cmd/metrics-server",
	// As metrics-server's Makefile stamps it (PKG is client-go's pkg).
	Stamp: func(v string) []string {
		return []string{"-X", "k8s.io/client-go/pkg/version.gitVersion=v" + v, "-X", "k8s.io/client-go/pkg/version.gitCommit=keks"}
	},
}

// AddonPrograms are every add-on program keks builds.
var AddonPrograms = []AddonProgram{MetricsServer}

// AddonProgramPath is where a program's build is.
func (d Dir) AddonProgramPath(p AddonProgram) string {
	return filepath.Join(d.addonProgramDir(p), "bin", p.Name)
}

func (d Dir) addonProgramDir(p AddonProgram) string {
	return filepath.Join(string(d), "addons", p.Name+"-"+p.Version)
}

// BuildAddonPrograms compiles each add-on program that is not built, under
// the machine-wide build lock.
func (d Dir) BuildAddonPrograms(ctx context.Context, progress io.Writer) error {
	for _, p := range AddonPrograms {
		built := func() bool {
			_, err := os.Stat(d.AddonProgramPath(p))
			return err == nil
		}
		if err := d.buildOnce(built, progress, func() error { return d.buildAddonProgram(ctx, p, progress) }); err != nil {
			return fmt.Errorf("build %s %s: %w", p.Name, p.Version, err)
		}
	}
	return nil
}

func (d Dir) buildAddonProgram(ctx context.Context, p AddonProgram, progress io.Writer) error {
	start := time.Now()
	src := filepath.Join(d.addonProgramDir(p), "src")
	fmt.Fprintf(progress, "[1/3] fetching %s v%s from the Go module proxy\n[2/3] resolving modules (go mod tidy)\n", p.Module, p.Version)
	gomod := fmt.Sprintf("module keks.local/%s\n\ngo 1.26.0\n\nrequire %s v%s\n", p.Name, p.Module, p.Version)
	if err := writeProxyModule(ctx, src, gomod, map[string][]byte{"tools.go": toolsFile([]string{p.Package})}); err != nil {
		return err
	}
	out := d.AddonProgramPath(p)
	tmp := out + ".tmp"
	if err := os.MkdirAll(filepath.Dir(tmp), 0o755); err != nil {
		return err
	}
	var stamp []string
	if p.Stamp != nil {
		stamp = p.Stamp(p.Version)
	}
	if err := compile(ctx, src, tmp, []string{p.Package}, p.Name+" "+p.Version, stamp, []string{"CGO_ENABLED=0"}, progress); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	fmt.Fprintf(progress, "%s %s built in %s: %s\n", p.Name, p.Version, time.Since(start).Round(time.Second), out)
	return nil
}
