package k8sbuild

import (
	"archive/tar"
	"bytes"
	"compress/bzip2"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// BusyBox, built from its release tarball with upstream's defconfig as
// docker-library builds the glibc variant of the busybox image, is what
// keks's busybox images and every image on their root are made of.
// Debian's busybox-static leaves out applets and options upstream's has
// (printenv, wget's timeout), prefers applets over PATH, and its ash drops
// variables whose names are no shell's (Kubernetes's envFrom "data-1").
const (
	BusyboxVersion = "1.37.0"
	// The Debian archive serves upstream's tarball unchanged as the
	// package's .orig.tar.bz2; its digest is upstream's.
	busyboxTarball = "http://deb.debian.org/debian/pool/main/b/busybox/busybox_" + BusyboxVersion + ".orig.tar.bz2"
	busyboxSHA256  = "3311dff32e746499f4df0d5df04d7eb396382d7e108bb9250e7b519b837043a4"
)

// BusyboxReleased is BusyBox 1.37.0's release date, which dates the images
// made of it.
var BusyboxReleased = time.Date(2024, 9, 26, 0, 0, 0, 0, time.UTC)

// busyboxConfig are the settings docker-library's glibc builder changes from
// defconfig; tc is left out as Alpine does, since Linux 6.8's headers no
// longer have the CBQ scheduler it compiles in.
var busyboxConfig = map[string]string{
	"CONFIG_AR":                        "y",
	"CONFIG_FEATURE_AR_CREATE":         "y",
	"CONFIG_FEATURE_AR_LONG_FILENAMES": "y",
	"CONFIG_LAST_SUPPORTED_WCHAR":      "0",
	"CONFIG_STATIC":                    "y",
	"CONFIG_TC":                        "",
	"CONFIG_FEATURE_TC_INGRESS":        "",
}

// BusyboxPath is the built busybox.
func (d Dir) BusyboxPath() string {
	return filepath.Join(string(d), "busybox", BusyboxVersion, "bin", "busybox")
}

// BusyboxBuilt reports whether busybox is built.
func (d Dir) BusyboxBuilt() bool {
	_, err := os.Stat(d.BusyboxPath())
	return err == nil
}

// BuildBusybox builds busybox unless it is built: the release tarball from
// the Debian archive (checked against upstream's digest), defconfig with
// busyboxConfig, static with the host's glibc, its banner dated by the
// release (SOURCE_DATE_EPOCH) so that the same sources make the same binary.
func (d Dir) BuildBusybox(ctx context.Context, progress io.Writer) error {
	return d.buildOnce(d.BusyboxBuilt, progress, func() error { return d.buildBusybox(ctx, progress) })
}

func (d Dir) buildBusybox(ctx context.Context, progress io.Writer) error {
	start := time.Now()
	root := filepath.Join(string(d), "busybox", BusyboxVersion)
	src := filepath.Join(root, "src")
	_ = os.RemoveAll(src)
	fmt.Fprintf(progress, "[1/3] fetching BusyBox %s from %s\n", BusyboxVersion, busyboxTarball)
	if err := fetchBusybox(ctx, src); err != nil {
		return err
	}
	src = filepath.Join(src, "busybox-"+BusyboxVersion)
	env := append(os.Environ(), "SOURCE_DATE_EPOCH="+fmt.Sprint(BusyboxReleased.Unix()))
	fmt.Fprintf(progress, "[2/3] configuring BusyBox (defconfig, static)\n")
	if err := run(ctx, src, env, "make", "defconfig"); err != nil {
		return err
	}
	if err := setKconfig(filepath.Join(src, ".config"), busyboxConfig); err != nil {
		return err
	}
	if err := run(ctx, src, env, "make", "oldconfig"); err != nil {
		return err
	}
	fmt.Fprintf(progress, "[3/3] compiling BusyBox %s (half a minute on 2 cores)\n", BusyboxVersion)
	if err := run(ctx, src, env, "make", fmt.Sprintf("-j%d", runtime.NumCPU()), "busybox"); err != nil {
		return fmt.Errorf("%w (busybox needs make, gcc and libc6-dev)", err)
	}
	if err := os.MkdirAll(filepath.Dir(d.BusyboxPath()), 0o755); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(src, "busybox"), d.BusyboxPath()); err != nil {
		return fmt.Errorf("install busybox: %w", err)
	}
	_ = os.RemoveAll(filepath.Join(root, "src"))
	fmt.Fprintf(progress, "BusyBox %s built in %s: %s\n", BusyboxVersion, time.Since(start).Round(time.Second), d.BusyboxPath())
	return nil
}

// fetchBusybox downloads and unpacks the release tarball into dir.
func fetchBusybox(ctx context.Context, dir string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, busyboxTarball, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("download busybox: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("download busybox from %s: %s", busyboxTarball, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("download busybox: %w", err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != busyboxSHA256 {
		return fmt.Errorf("busybox tarball from %s has sha256 %s, want %s", busyboxTarball, got, busyboxSHA256)
	}
	return untar(tar.NewReader(bzip2.NewReader(bytes.NewReader(data))), dir)
}

// untar writes a source tarball's directories, files and symbolic links
// under dir, refusing names that leave it.
func untar(tr *tar.Reader, dir string) error {
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("unpack busybox: %w", err)
		}
		name := filepath.Clean(h.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("unpack busybox: %q leaves the source directory", h.Name)
		}
		path := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(path, 0o755)
		case tar.TypeSymlink:
			if err = os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
				err = os.Symlink(h.Linkname, path)
			}
		case tar.TypeReg:
			err = writeFrom(path, tr, os.FileMode(h.Mode)&0o777)
		}
		if err != nil {
			return fmt.Errorf("unpack busybox: %w", err)
		}
	}
}

func writeFrom(path string, r io.Reader, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// setKconfig sets each option of a Kconfig .config: "" unsets it.
func setKconfig(path string, set map[string]string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var out []string
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		name := strings.TrimSuffix(strings.TrimPrefix(line, "# "), " is not set")
		name, _, _ = strings.Cut(name, "=")
		if _, ok := set[name]; !ok {
			out = append(out, line)
		}
	}
	for name, value := range set {
		if value == "" {
			out = append(out, "# "+name+" is not set")
		} else {
			out = append(out, name+"="+value)
		}
	}
	return os.WriteFile(path, []byte(strings.Join(out, "\n")+"\n"), 0o644)
}

func run(ctx context.Context, dir string, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	// make oldconfig asks about each option a change made possible:
	// empty answers take the defaults.
	cmd.Dir, cmd.Env, cmd.Stdin = dir, env, strings.NewReader(strings.Repeat("\n", 4096))
	out, err := cmd.CombinedOutput()
	if err != nil {
		tail := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(tail) > 20 {
			tail = tail[len(tail)-20:]
		}
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, strings.Join(tail, "\n"))
	}
	return nil
}
