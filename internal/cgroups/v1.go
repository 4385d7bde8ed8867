package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// V1Driver drives cgroup v1: a group exists once per hierarchy, including
// the controller-less unified one of a hybrid host, where runc makes its
// cgroups too.
type V1Driver struct {
	Root   string
	Hybrid bool
	// Stand-ins for rmdir(2) and kill(2) in tests; nil is the real call.
	rmdir func(string) error
	kill  func(pid int) error
}

func (d *V1Driver) Mode() Mode {
	if d.Hybrid {
		return Hybrid
	}
	return V1
}

// hierarchies are the hierarchies mounted under Root, each once:
// co-mounted controllers (cpu,cpuacct) are one directory that symlinks
// (cpu, cpuacct) point to.
func (d *V1Driver) hierarchies() ([]string, error) {
	entries, err := os.ReadDir(d.Root)
	if err != nil {
		return nil, fmt.Errorf("list cgroup hierarchies: %w", err)
	}
	seen := map[string]bool{}
	var out []string
	for _, e := range entries {
		dir, err := filepath.EvalSymlinks(filepath.Join(d.Root, e.Name()))
		if err != nil || seen[dir] {
			continue
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		seen[dir] = true
		out = append(out, dir)
	}
	return out, nil
}

func (d *V1Driver) Ensure(group string, l Limits) error {
	hierarchies, err := d.hierarchies()
	if err != nil {
		return err
	}
	for _, h := range hierarchies {
		for _, dir := range groupDirs(h, group) {
			if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
				return fmt.Errorf("make cgroup %s: %w", dir, err)
			}
			if err := inheritCpuset(dir); err != nil {
				return err
			}
		}
	}
	if l.MemoryBytes > 0 {
		if err := writeFile(filepath.Join(d.Root, "memory", group, "memory.limit_in_bytes"), strconv.FormatInt(l.MemoryBytes, 10)); err != nil {
			return err
		}
	}
	if l.MilliCPUs > 0 {
		cpu := filepath.Join(d.Root, "cpu", group)
		if err := writeFile(filepath.Join(cpu, "cpu.cfs_period_us"), strconv.Itoa(cpuPeriod)); err != nil {
			return err
		}
		if err := writeFile(filepath.Join(cpu, "cpu.cfs_quota_us"), strconv.FormatInt(l.quota(), 10)); err != nil {
			return err
		}
	}
	return nil
}

// inheritCpuset gives a new cpuset cgroup its parent's CPUs and memory
// nodes: v1 leaves them empty, and an empty cpuset takes no process.
// Other hierarchies have no cpuset files and are left alone.
func inheritCpuset(dir string) error {
	for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
		parent, err := os.ReadFile(filepath.Join(filepath.Dir(dir), f))
		if errors.Is(err, os.ErrNotExist) {
			return nil
		} else if err != nil {
			return fmt.Errorf("read %s of %s: %w", f, filepath.Dir(dir), err)
		}
		if cur, _ := os.ReadFile(filepath.Join(dir, f)); strings.TrimSpace(string(cur)) != "" {
			continue
		}
		if err := writeFile(filepath.Join(dir, f), strings.TrimSpace(string(parent))); err != nil {
			return err
		}
	}
	return nil
}

func (d *V1Driver) Remove(group string) error {
	hierarchies, err := d.hierarchies()
	if err != nil {
		return err
	}
	var errs []error
	for _, h := range hierarchies {
		dir := filepath.Join(h, group)
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			continue
		}
		// v1 has no cgroup.kill: a container whose shim is gone would keep
		// its cgroup busy for ever.
		killProcs(dir, d.kill)
		if err := removeTree(dir, d.rmdir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (d *V1Driver) RootBinds(group string) ([]Bind, error) {
	hierarchies, err := d.hierarchies()
	if err != nil {
		return nil, err
	}
	var binds []Bind
	for _, h := range hierarchies {
		binds = append(binds, Bind{Source: filepath.Join(h, group), Target: h})
	}
	return binds, nil
}
