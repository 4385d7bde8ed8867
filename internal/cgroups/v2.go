package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// V2Driver drives the unified hierarchy, where a cgroup can use a
// controller only if its parent lists it in cgroup.subtree_control.
type V2Driver struct {
	Root string
	// Stand-ins for rmdir(2) and kill(2) in tests; nil is the real call.
	rmdir func(string) error
	kill  func(pid int) error
}

// v2Controllers are delegated down to an instance's cgroup when the kernel
// has them: the kubelet refuses a cgroupRoot that lacks cpu, cpuset,
// memory, pids or (where the kernel has it) hugetlb, and io carries block
// I/O limits and statistics.
var v2Controllers = []string{"cpu", "cpuset", "io", "memory", "pids", "hugetlb"}

func (d *V2Driver) Mode() Mode { return Unified }

func (d *V2Driver) Ensure(group string, l Limits) error {
	available, err := readFields(filepath.Join(d.Root, "cgroup.controllers"))
	if err != nil {
		return fmt.Errorf("read the host's cgroup controllers: %w", err)
	}
	var want []string
	for _, c := range v2Controllers {
		if slices.Contains(available, c) {
			want = append(want, c)
		}
	}
	parent := d.Root
	for _, dir := range groupDirs(d.Root, group) {
		if err := delegate(parent, want); err != nil {
			return err
		}
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("make cgroup %s: %w", dir, err)
		}
		parent = dir
	}
	// The group delegates too: the kubelet makes its pod cgroups below it.
	// No process may then live in the group itself, and none does.
	if err := delegate(parent, want); err != nil {
		return err
	}
	dir := filepath.Join(d.Root, group)
	if l.MemoryBytes > 0 {
		if err := writeFile(filepath.Join(dir, "memory.max"), strconv.FormatInt(l.MemoryBytes, 10)); err != nil {
			return err
		}
	}
	if l.MilliCPUs > 0 {
		if err := writeFile(filepath.Join(dir, "cpu.max"), fmt.Sprintf("%d %d", l.quota(), cpuPeriod)); err != nil {
			return err
		}
	}
	return nil
}

// delegate enables controllers for dir's children, writing only those not
// yet enabled.
func delegate(dir string, controllers []string) error {
	file := filepath.Join(dir, "cgroup.subtree_control")
	enabled, err := readFields(file)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read %s: %w", file, err)
	}
	var add []string
	for _, c := range controllers {
		if !slices.Contains(enabled, c) {
			add = append(add, "+"+c)
		}
	}
	if len(add) == 0 {
		return nil
	}
	return writeFile(file, strings.Join(add, " "))
}

func (d *V2Driver) Remove(group string) error {
	dir := filepath.Join(d.Root, group)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	// cgroup.kill (Linux 5.14) kills the whole subtree at once; before it,
	// each process listed is killed.
	if _, err := os.Stat(filepath.Join(dir, "cgroup.kill")); err == nil {
		if err := writeFile(filepath.Join(dir, "cgroup.kill"), "1"); err != nil {
			return err
		}
	} else {
		killProcs(dir, d.kill)
	}
	return removeTree(dir, d.rmdir)
}

func (d *V2Driver) RootBinds(group string) ([]Bind, error) {
	return []Bind{{Source: filepath.Join(d.Root, group), Target: d.Root}}, nil
}

func readFields(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(data)), nil
}
