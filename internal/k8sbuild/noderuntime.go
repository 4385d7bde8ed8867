package k8sbuild

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The container runtime of every node: containerd with its runc shim and
// ctr, and runc, built from the Go module proxy at the releases EKS's
// current AMIs ship (containerd 2.x), where Debian's are containerd 1.6 and
// runc 1.1: the kubelet of 1.35+ mounts image volumes (ImageVolume) and
// drops cgroup v1 defaults only with a containerd of 2.1 or later.
const (
	ContainerdVersion = "2.4.2"
	RuncVersion       = "1.5.3"
)

// NodeRuntimeBinaries are what NodeRuntimeDir holds.
var NodeRuntimeBinaries = []string{"containerd", "containerd-shim-runc-v2", "ctr", "runc"}

// NodeRuntimeDir is the directory of the node runtime's binaries. Nodes put
// it first on containerd's PATH, which is where containerd finds its shim.
func (d Dir) NodeRuntimeDir() string {
	return filepath.Join(string(d), "node-runtime", "containerd-"+ContainerdVersion+"-runc-"+RuncVersion, "bin")
}

// NodeRuntimeBuilt reports whether every node runtime binary is there.
func (d Dir) NodeRuntimeBuilt() bool {
	for _, b := range NodeRuntimeBinaries {
		if _, err := os.Stat(filepath.Join(d.NodeRuntimeDir(), b)); err != nil {
			return false
		}
	}
	return true
}

// nodeRuntimePrograms are the main packages BuildNodeRuntime builds.
var nodeRuntimePrograms = []string{
	"github.com/containerd/containerd/v2/cmd/containerd",
	"github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2",
	"github.com/containerd/containerd/v2/cmd/ctr",
	"github.com/opencontainers/runc",
}

// BuildNodeRuntime compiles containerd, its shim, ctr and runc unless they
// are built, under the machine-wide build lock. containerd is static, as
// its release builds are; runc links libseccomp with cgo (its nsenter is C)
// and carries the seccomp build tag, as runc's own Makefile builds it.
func (d Dir) BuildNodeRuntime(ctx context.Context, progress io.Writer) error {
	return d.buildOnce(d.NodeRuntimeBuilt, progress, func() error { return d.buildNodeRuntime(ctx, progress) })
}

func (d Dir) buildNodeRuntime(ctx context.Context, progress io.Writer) error {
	start := time.Now()
	src := filepath.Join(filepath.Dir(d.NodeRuntimeDir()), "src")
	fmt.Fprintf(progress, "[1/3] fetching containerd v%s and runc v%s from the Go module proxy\n[2/3] resolving modules (go mod tidy)\n", ContainerdVersion, RuncVersion)
	gomod := fmt.Sprintf("module keks.local/node-runtime\n\ngo 1.26.0\n\nrequire (\n\tgithub.com/containerd/containerd/v2 v%s\n\tgithub.com/opencontainers/runc v%s\n)\n", ContainerdVersion, RuncVersion)
	if err := writeProxyModule(ctx, src, gomod, map[string][]byte{"tools.go": toolsFile(nodeRuntimePrograms)}); err != nil {
		return err
	}
	tmp := d.NodeRuntimeDir() + ".tmp"
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	containerd := "github.com/containerd/containerd/v2"
	stamp := []string{"-X", containerd + "/version.Version=v" + ContainerdVersion, "-X", containerd + "/version.Revision=keks"}
	for _, cmd := range []string{"containerd", "containerd-shim-runc-v2", "ctr"} {
		if err := compile(ctx, src, filepath.Join(tmp, cmd), []string{containerd + "/cmd/" + cmd}, "containerd's "+cmd+" "+ContainerdVersion, stamp, []string{"CGO_ENABLED=0"}, progress); err != nil {
			return err
		}
	}
	// The last GOFLAGS in the environment wins over compile's own.
	if err := compile(ctx, src, filepath.Join(tmp, "runc"), []string{"github.com/opencontainers/runc"}, "runc "+RuncVersion,
		[]string{"-X", "main.version=" + RuncVersion}, []string{"CGO_ENABLED=1", "GOFLAGS=-mod=mod -tags=seccomp,urfave_cli_no_docs"}, progress); err != nil {
		return fmt.Errorf("%w (runc needs gcc, pkg-config and libseccomp-dev)", err)
	}
	for _, check := range [][]string{{"containerd", "--version", "v" + ContainerdVersion}, {"runc", "--version", "runc version " + RuncVersion}} {
		out, err := exec.CommandContext(ctx, filepath.Join(tmp, check[0]), check[1]).CombinedOutput()
		if err != nil || !strings.Contains(string(out), check[2]) {
			return fmt.Errorf("built %s reports %q, want %s: %v", check[0], strings.TrimSpace(string(out)), check[2], err)
		}
	}
	_ = os.RemoveAll(d.NodeRuntimeDir())
	if err := os.Rename(tmp, d.NodeRuntimeDir()); err != nil {
		return fmt.Errorf("install the node runtime: %w", err)
	}
	fmt.Fprintf(progress, "containerd %s and runc %s built in %s: %s\n", ContainerdVersion, RuncVersion, time.Since(start).Round(time.Second), d.NodeRuntimeDir())
	return nil
}
