package cgroups

import (
	"fmt"
	"path/filepath"
	"syscall"
)

// Mode is how a host mounts its cgroups.
type Mode int

const (
	// V1 is a cgroup v1 hierarchy per controller under a tmpfs.
	V1 Mode = iota + 1
	// Hybrid is V1 plus a cgroup2 hierarchy at unified/, which systemd
	// mounts for its own tracking; the controllers stay on v1.
	Hybrid
	// Unified is one cgroup2 hierarchy holding every controller (cgroup v2).
	Unified
)

func (m Mode) String() string {
	switch m {
	case V1:
		return "v1"
	case Hybrid:
		return "hybrid"
	case Unified:
		return "unified (v2)"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Filesystem magic numbers from linux/magic.h.
const (
	cgroupMagic  = 0x27e0eb
	cgroup2Magic = 0x63677270
)

// FS is a host's cgroup filesystem.
type FS struct {
	Root string // /sys/fs/cgroup on a real host
	// fsType reports the filesystem type of a path; statfs(2) unless a test
	// stands in for the kernel.
	fsType func(path string) (int64, error)
}

// Host is this machine's cgroup filesystem.
func Host() FS { return FS{Root: "/sys/fs/cgroup"} }

// Mode tells the host's cgroup mode from the filesystem types at Root:
// cgroup2 at Root itself is v2; cgroup2 at Root/unified beside v1
// hierarchies is hybrid.
func (f FS) Mode() (Mode, error) {
	t, err := f.typeOf(f.Root)
	if err != nil {
		return 0, fmt.Errorf("cgroup filesystem at %s: %w", f.Root, err)
	}
	if t == cgroup2Magic {
		return Unified, nil
	}
	if t, err := f.typeOf(filepath.Join(f.Root, "memory")); err != nil || t != cgroupMagic {
		return 0, fmt.Errorf("no cgroup2 filesystem at %s and no cgroup v1 memory hierarchy under it", f.Root)
	}
	if t, err := f.typeOf(filepath.Join(f.Root, "unified")); err == nil && t == cgroup2Magic {
		return Hybrid, nil
	}
	return V1, nil
}

// Driver is the driver for the host's mode.
func (f FS) Driver() (Driver, error) {
	m, err := f.Mode()
	if err != nil {
		return nil, err
	}
	if m == Unified {
		return &V2Driver{Root: f.Root}, nil
	}
	return &V1Driver{Root: f.Root, Hybrid: m == Hybrid}, nil
}

func (f FS) typeOf(path string) (int64, error) {
	if f.fsType != nil {
		return f.fsType(path)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, err
	}
	return int64(st.Type), nil
}
