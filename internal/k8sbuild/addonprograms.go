package k8sbuild

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
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
	// Files are files of the build's modules the add-on applies (CRDs),
	// copied beside the binary: module -> paths within it.
	Files map[string][]string
	// Requires are requirements added to the build's module ("module
	// version"): versions of its dependencies the proxy serves where the
	// ones its go.mod pins are not.
	Requires []string
	// Toolchain is the Go toolchain the build needs (GOTOOLCHAIN, e.g.
	// "go1.27.3") when its go.mod asks for a newer Go than the local one;
	// empty builds with the local one.
	Toolchain string
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

// EBSCSIDriverVersion is the aws-ebs-csi-driver release keks builds.
const EBSCSIDriverVersion = "1.44.0"

// The aws-ebs-csi-driver add-on's programs: AWS's driver, and the CSI
// sidecars the module proxy serves (keks writes the others: cmd/csi-sidecars).
var (
	EBSCSIDriver = AddonProgram{
		Name: "aws-ebs-csi-driver", Module: "github.com/kubernetes-sigs/aws-ebs-csi-driver", Version: EBSCSIDriverVersion,
		Package: "github.com/kubernetes-sigs/aws-ebs-csi-driver/cmd",
		Stamp: func(v string) []string {
			const pkg = "github.com/kubernetes-sigs/aws-ebs-csi-driver/pkg/"
			return []string{"-X", pkg + "driver.driverVersion=v" + v, "-X", pkg + "cloud.driverVersion=v" + v, "-X", pkg + "driver.gitCommit=keks"}
		},
	}
	CSIAttacher = AddonProgram{
		Name: "csi-attacher", Module: "github.com/kubernetes-csi/external-attacher/v4", Version: "4.13.0",
		Package: "github.com/kubernetes-csi/external-attacher/v4/cmd/csi-attacher", Stamp: mainVersion,
	}
	CSISnapshotter = AddonProgram{
		Name: "csi-snapshotter", Module: "github.com/kubernetes-csi/external-snapshotter/v8", Version: SnapshotterVersion,
		Package: "github.com/kubernetes-csi/external-snapshotter/v8/cmd/csi-snapshotter", Stamp: mainVersion,
	}
	SnapshotController = AddonProgram{
		Name: "snapshot-controller", Module: "github.com/kubernetes-csi/external-snapshotter/v8", Version: SnapshotterVersion,
		Package: "github.com/kubernetes-csi/external-snapshotter/v8/cmd/snapshot-controller", Stamp: mainVersion,
		// The snapshot API's CRDs, from the client module the controller is built with.
		Files: map[string][]string{"github.com/kubernetes-csi/external-snapshotter/client/v8": SnapshotCRDs},
	}
)

// SnapshotterVersion is the external-snapshotter release keks builds: the
// csi-snapshotter sidecar and the snapshot-controller add-on.
const SnapshotterVersion = "8.7.0"

// SnapshotCRDs are the snapshot API's CustomResourceDefinitions, as the
// client module keeps them.
var SnapshotCRDs = []string{
	"config/crd/snapshot.storage.k8s.io_volumesnapshotclasses.yaml",
	"config/crd/snapshot.storage.k8s.io_volumesnapshotcontents.yaml",
	"config/crd/snapshot.storage.k8s.io_volumesnapshots.yaml",
}

// AddonProgramFile is where a file of p's Files is after its build.
func (d Dir) AddonProgramFile(p AddonProgram, path string) string {
	return filepath.Join(d.addonProgramDir(p), "files", filepath.Base(path))
}

// mainVersion stamps the version the kubernetes-csi programs keep in main.
func mainVersion(v string) []string { return []string{"-X", "main.version=v" + v} }

// Image is the repository:tag keks seeds the program's image as: EKS
// Distro's repository of it for the CSI sidecars, the add-on's own for
// the others.
func (p AddonProgram) Image() string {
	switch p.Name {
	case "aws-ebs-csi-driver":
		return "ebs-csi-driver/aws-ebs-csi-driver:v" + p.Version
	case "csi-attacher":
		return "eks-distro/kubernetes-csi/external-attacher:v" + p.Version
	case "csi-snapshotter", "snapshot-controller":
		return "eks-distro/kubernetes-csi/external-snapshotter/" + p.Name + ":v" + p.Version
	case "karpenter":
		// As public.ecr.aws/karpenter/controller tags it: no "v".
		return "karpenter/controller:" + p.Version
	}
	return "eks/" + p.Name + ":v" + p.Version + "-eksbuild.1"
}

// AddonPrograms are every add-on program keks builds.
var AddonPrograms = []AddonProgram{MetricsServer, EBSCSIDriver, CSIAttacher, CSISnapshotter, SnapshotController, Karpenter}

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
			for _, paths := range p.Files {
				for _, f := range paths {
					if _, ferr := os.Stat(d.AddonProgramFile(p, f)); ferr != nil {
						err = ferr
					}
				}
			}
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
	if err := writeProxyModule(ctx, src, p.goMod(), map[string][]byte{"tools.go": toolsFile([]string{p.Package})}, p.goEnv()...); err != nil {
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
	if err := compile(ctx, src, tmp, []string{p.Package}, p.Name+" "+p.Version, stamp, append([]string{"CGO_ENABLED=0"}, p.goEnv()...), progress); err != nil {
		return err
	}
	if err := d.copyModuleFiles(ctx, p, src); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	fmt.Fprintf(progress, "%s %s built in %s: %s\n", p.Name, p.Version, time.Since(start).Round(time.Second), out)
	return nil
}

// goMod is the go.mod of p's build module: p's module and its Requires.
func (p AddonProgram) goMod() string {
	var b strings.Builder
	fmt.Fprintf(&b, "module keks.local/%s\n\ngo 1.26.0\n\nrequire %s v%s\n", p.Name, p.Module, p.Version)
	for _, r := range p.Requires {
		fmt.Fprintf(&b, "\nrequire %s\n", r)
	}
	return b.String()
}

// goEnv is what p's go commands add to the environment.
func (p AddonProgram) goEnv() []string {
	if p.Toolchain == "" {
		return nil
	}
	return []string{"GOTOOLCHAIN=" + p.Toolchain}
}

// copyModuleFiles copies p's Files out of the module cache, from the
// versions of their modules the build resolved.
func (d Dir) copyModuleFiles(ctx context.Context, p AddonProgram, src string) error {
	for module, paths := range p.Files {
		dir, err := goOutputEnv(ctx, src, p.goEnv(), "list", "-m", "-f", "{{.Dir}}", module)
		if err != nil {
			return fmt.Errorf("find module %s: %w", module, err)
		}
		for _, f := range paths {
			data, err := os.ReadFile(filepath.Join(strings.TrimSpace(dir), f))
			if err != nil {
				return fmt.Errorf("read %s of %s: %w", f, module, err)
			}
			out := d.AddonProgramFile(p, f)
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(out, data, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
