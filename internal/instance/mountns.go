package instance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/keksdev/keks/internal/cgroups"
)

// mountNSDir holds the files that keep instances' mount namespaces alive
// between their daemons' lives. util-linux pins a mount namespace only on a
// mount that does not propagate into that namespace, so the directory is a
// private bind mount of its own: on systemd hosts / is shared.
const mountNSDir = "/run/keks/mountns"

func (s *Spec) mountNS() string { return filepath.Join(mountNSDir, s.ID) }

// cgroupNS pins the instance's cgroup namespace, rooted at its cgroup.
func (s *Spec) cgroupNS() string { return filepath.Join(mountNSDir, s.ID+".cgroup") }

const nsfsMagic = 0x6e736673 // NSFS_MAGIC in linux/magic.h

// hasMountNS tells whether path pins a namespace.
func hasMountNS(path string) bool {
	var st syscall.Statfs_t
	return syscall.Statfs(path, &st) == nil && st.Type == nsfsMagic
}

// ensureMountNS makes the instance's mount namespace with binds in it, once.
// Propagation is slave: mounts the host makes later (network namespaces)
// still reach the instance, and the instance's own (the machine view,
// volumes, container root filesystems, pod network namespaces) stay inside.
// Binds are made with mount(8) through nsenter because a Go program, being
// multi-threaded, cannot enter a mount namespace itself.
func ensureMountNS(ctx context.Context, s *Spec, binds []cgroups.Bind) error {
	path := s.mountNS()
	if made, err := pinFile(path); made || err != nil {
		return err
	}
	if out, err := exec.CommandContext(ctx, "unshare", "--mount="+path, "--propagation", "slave", "true").CombinedOutput(); err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("make mount namespace of %s: %w: %s", s.ID, err, out)
	}
	for _, b := range binds {
		out, err := exec.CommandContext(ctx, "nsenter", "--mount="+path, "--", "mount", "--bind", b.Source, b.Target).CombinedOutput()
		if err != nil {
			// A half-made view must not pass for a whole one next time.
			_ = removeMountNS(path)
			return fmt.Errorf("machine view of %s: bind %s on %s: %w: %s", s.ID, b.Source, b.Target, err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

// ensureCgroupNS makes the instance's cgroup namespace, rooted at the
// instance's cgroup, once. Inside the machine view the cgroup hierarchies are
// the instance's cgroup; without a namespace to match, /proc/self/cgroup and
// mountinfo still name host paths, and runc, joining the two, looks for
// container cgroups that do not exist in the view. A shell moves itself into
// the instance's cgroup (sources of the view's cgroup binds) and unshares
// from there, so the namespace's root is that cgroup.
func ensureCgroupNS(ctx context.Context, s *Spec, binds []cgroups.Bind) error {
	path := s.cgroupNS()
	if made, err := pinFile(path); made || err != nil {
		return err
	}
	var script strings.Builder
	for _, b := range binds {
		fmt.Fprintf(&script, "echo $$ > '%s/cgroup.procs' || exit 1\n", b.Source)
	}
	script.WriteString(`exec unshare --cgroup="$0" true`)
	if out, err := exec.CommandContext(ctx, "sh", "-c", script.String(), path).CombinedOutput(); err != nil {
		_ = removeMountNS(path)
		return fmt.Errorf("make cgroup namespace of %s: %w: %s", s.ID, err, out)
	}
	return nil
}

// pinFile readies path to pin a namespace: made reports one is pinned there
// already; otherwise an empty file waits in the private pinning directory.
func pinFile(path string) (made bool, err error) {
	if hasMountNS(path) {
		return true, nil
	}
	if err := privateDir(mountNSDir); err != nil {
		return false, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDONLY, 0o600)
	if err != nil {
		return false, fmt.Errorf("namespace file %s: %w", path, err)
	}
	return false, f.Close()
}

// releaseNamespaceDir removes the pinning directory once no instance pins a
// namespace there, so that a host without instances keeps no keks mount.
func releaseNamespaceDir() {
	entries, err := os.ReadDir(mountNSDir)
	if err != nil || len(entries) > 0 {
		return
	}
	_ = syscall.Unmount(mountNSDir, syscall.MNT_DETACH)
	_ = os.Remove(mountNSDir)
	_ = os.Remove(filepath.Dir(mountNSDir)) // /run/keks, when nothing else is there
}

// removeMountNS lets the namespace go: with its last process gone, the
// kernel drops it and every mount in it.
func removeMountNS(path string) error {
	if err := syscall.Unmount(path, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("release mount namespace %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}

// privateDir makes dir a private mount of its own.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if !isMountPoint(dir) {
		if err := syscall.Mount(dir, dir, "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind %s on itself: %w", dir, err)
		}
	}
	if err := syscall.Mount("", dir, "", syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make %s private: %w", dir, err)
	}
	return nil
}

func isMountPoint(dir string) bool {
	for _, m := range mountPoints() {
		if m == dir {
			return true
		}
	}
	return false
}

// mountPoints are this process's mount points, in mount order.
func mountPoints() []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 4 {
			out = append(out, f[4])
		}
	}
	return out
}
