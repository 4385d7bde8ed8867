package k8sbuild

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/keksdev/keks/internal/kubeversions"
)

//go:embed multicall.go.tmpl
var multicallMain []byte

// Components are the names the multi-call binary answers to.
var Components = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kubectl"}

// Dir is where builds live: Dir/<patch>/bin/<component>.
type Dir string

// BinDir is where the components of a version are.
func (d Dir) BinDir(v kubeversions.Version) string {
	return filepath.Join(string(d), v.Patch, "bin")
}

// Path is a component's executable for version v.
func (d Dir) Path(v kubeversions.Version, component string) string {
	return filepath.Join(d.BinDir(v), component)
}

// Built reports whether version v has been built.
func (d Dir) Built(v kubeversions.Version) bool {
	_, err := os.Stat(filepath.Join(d.BinDir(v), "kube"))
	return err == nil
}

var stagingReplace = regexp.MustCompile(`(?m)^\s*(k8s\.io/[\w.-]+)\s+=>\s+\./staging/src/`)

// Build compiles version v unless it is already built. Progress lines go to
// progress. Only one build runs at a time on a machine (a file lock), since
// two would each take both cores for ten minutes.
func (d Dir) Build(ctx context.Context, v kubeversions.Version, progress io.Writer) error {
	return d.buildOnce(func() bool { return d.Built(v) }, progress, func() error { return d.build(ctx, v, progress) })
}

func (d Dir) build(ctx context.Context, v kubeversions.Version, progress io.Writer) error {
	start := time.Now()
	src := filepath.Join(string(d), v.Patch, "src")
	if err := d.writeModule(ctx, v, src, "keks.local/kubernetes", func(string) (map[string][]byte, error) {
		return map[string][]byte{"main.go": multicallMain}, nil
	}, progress); err != nil {
		return err
	}
	tmp := d.BinDir(v) + ".tmp"
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	if err := compile(ctx, src, filepath.Join(tmp, "kube"), []string{"."}, "Kubernetes "+v.Patch, versionFlags(v), nil, progress); err != nil {
		return err
	}
	for _, c := range Components {
		if err := os.Symlink("kube", filepath.Join(tmp, c)); err != nil {
			return fmt.Errorf("link %s: %w", c, err)
		}
	}
	out, err := exec.CommandContext(ctx, filepath.Join(tmp, "kube-apiserver"), "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "v"+v.Patch) {
		return fmt.Errorf("built kube-apiserver reports %q, want v%s: %v", strings.TrimSpace(string(out)), v.Patch, err)
	}
	_ = os.RemoveAll(d.BinDir(v))
	if err := os.Rename(tmp, d.BinDir(v)); err != nil {
		return fmt.Errorf("install build of %s: %w", v.Patch, err)
	}
	fmt.Fprintf(progress, "Kubernetes %s built in %s: %s\n", v.Patch, time.Since(start).Round(time.Second), d.BinDir(v))
	return nil
}

// writeModule writes a module that requires k8s.io/kubernetes at v.Patch and
// points each staging module at its matching published release, since
// k8s.io/kubernetes's own go.mod replaces them with local paths; files gives
// its source files, from the directory of k8s.io/kubernetes's source.
func (d Dir) writeModule(ctx context.Context, v kubeversions.Version, src, module string, files func(kubernetesDir string) (map[string][]byte, error), progress io.Writer) error {
	if err := os.MkdirAll(src, 0o755); err != nil {
		return err
	}
	fmt.Fprintf(progress, "[1/3] fetching k8s.io/kubernetes v%s from the Go module proxy\n", v.Patch)
	modPath, err := goOutput(ctx, src, "mod", "download", "-json", "k8s.io/kubernetes@v"+v.Patch)
	if err != nil {
		return fmt.Errorf("download k8s.io/kubernetes v%s: %w", v.Patch, err)
	}
	gomodFile := jsonField(modPath, "GoMod")
	upstream, err := os.ReadFile(gomodFile)
	if err != nil {
		return fmt.Errorf("read k8s.io/kubernetes go.mod: %w", err)
	}
	staging := "v0." + strings.TrimPrefix(v.Patch, "1.")
	var b bytes.Buffer
	fmt.Fprintf(&b, "module %s\n\ngo 1.26.0\n\nrequire k8s.io/kubernetes v%s\n\nreplace (\n", module, v.Patch)
	for _, m := range stagingReplace.FindAllStringSubmatch(string(upstream), -1) {
		fmt.Fprintf(&b, "\t%s => %s %s\n", m[1], m[1], staging)
	}
	b.WriteString(")\n")
	if err := os.WriteFile(filepath.Join(src, "go.mod"), b.Bytes(), 0o644); err != nil {
		return err
	}
	sources, err := files(jsonField(modPath, "Dir"))
	if err != nil {
		return err
	}
	for name, data := range sources {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(src, name)), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(src, name), data, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(progress, "[2/3] resolving modules (go mod tidy)\n")
	if _, err := goOutput(ctx, src, "mod", "tidy"); err != nil {
		return fmt.Errorf("go mod tidy for Kubernetes %s: %w", v.Patch, err)
	}
	return nil
}

// buildOnce runs build unless built says it is done, under the build lock,
// asking again once it holds the lock: another keks may have built it
// meanwhile.
func (d Dir) buildOnce(built func() bool, progress io.Writer, build func() error) error {
	if built() {
		return nil
	}
	unlock, err := d.lock(progress)
	if err != nil {
		return err
	}
	defer unlock()
	if built() {
		return nil
	}
	return build()
}

// writeProxyModule writes a module of its own in src (go.mod and files),
// whose requirements come from the Go module proxy, and resolves it; env
// is added to go's (a GOTOOLCHAIN the module needs).
func writeProxyModule(ctx context.Context, src, gomod string, files map[string][]byte, env ...string) error {
	if err := os.MkdirAll(src, 0o755); err != nil {
		return err
	}
	files["go.mod"] = []byte(gomod)
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(src, name), data, 0o644); err != nil {
			return err
		}
	}
	if _, err := goOutputEnv(ctx, src, env, "mod", "tidy"); err != nil {
		return fmt.Errorf("go mod tidy in %s: %w", src, err)
	}
	return nil
}

// lock takes the machine-wide build lock: two builds would each take both
// cores for minutes.
func (d Dir) lock(progress io.Writer) (unlock func(), err error) {
	if err := os.MkdirAll(string(d), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(string(d), ".build.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open build lock: %w", err)
	}
	fmt.Fprintf(progress, "waiting for other builds to finish\n")
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("take build lock: %w", err)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// versionFlags stamp the Kubernetes version into the binary, or nodes report v0.0.0-master.
func versionFlags(v kubeversions.Version) []string {
	major, minor, _ := kubeversions.ParseMinor(v.Minor)
	var ld []string
	for _, pkg := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		ld = append(ld,
			"-X", pkg+".gitVersion=v"+v.Patch,
			"-X", fmt.Sprintf("%s.gitMajor=%d", pkg, major),
			"-X", fmt.Sprintf("%s.gitMinor=%d", pkg, minor),
			"-X", pkg+".gitCommit=0000000000000000000000000000000000000000",
			"-X", pkg+".gitTreeState=clean",
			"-X", pkg+".buildDate="+v.Release.Format("2006-01-02T15:04:05Z"),
		)
	}
	return ld
}

// compile builds packages of the module in src into out (or, with out
// empty, only into the build cache), with progress lines.
func compile(ctx context.Context, src, out string, pkgs []string, what string, ldflags, env []string, progress io.Writer) error {
	total := 0
	if deps, err := goOutputEnv(ctx, src, env, append([]string{"list", "-deps"}, pkgs...)...); err == nil {
		total = strings.Count(deps, "\n")
	}
	args := []string{"build", "-v", "-trimpath", "-ldflags", "-s -w " + strings.Join(ldflags, " ")}
	if out != "" {
		args = append(args, "-o", out)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pkgs...)...)
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "[3/3] compiling %s: %d packages (minutes on 2 cores when nothing is cached)\n", what, total)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start go build: %w", err)
	}
	sc := bufio.NewScanner(stderr)
	var tail []string
	done, lastPct := 0, -1
	for sc.Scan() {
		line := sc.Text()
		done++
		tail = append(tail, line)
		if len(tail) > 20 {
			tail = tail[1:]
		}
		if total > 0 {
			if pct := min(99, done*100/total); pct/5 != lastPct/5 {
				lastPct = pct
				fmt.Fprintf(progress, "      %3d%%  %s\n", pct, line)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("go build of %s: %w\n%s", what, err, strings.Join(tail, "\n"))
	}
	return nil
}

func goOutput(ctx context.Context, dir string, args ...string) (string, error) {
	return goOutputEnv(ctx, dir, nil, args...)
}

// goOutputEnv runs go with env added to the process's.
func goOutputEnv(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

func jsonField(doc, field string) string {
	re := regexp.MustCompile(`"` + field + `":\s*"([^"]*)"`)
	if m := re.FindStringSubmatch(doc); m != nil {
		return m[1]
	}
	return ""
}
