package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Limits size an instance's cgroup by its instance type; zero is no limit.
type Limits struct {
	MemoryBytes int64
	MilliCPUs   int64 // a Fargate node may have a quarter of a CPU
}

// quota is the CFS quota, per cpuPeriod, of MilliCPUs.
func (l Limits) quota() int64 { return l.MilliCPUs * cpuPeriod / 1000 }

// cpuPeriod is the CFS period every quota here is a multiple of: 100 ms,
// the kernel's default, so a quota of N periods is N CPUs.
const cpuPeriod = 100000

// Bind is a bind mount: Source shown at Target.
type Bind struct{ Source, Target string }

// Driver makes, sizes and removes a cgroup such as /keks/i-0123 in one
// cgroup mode.
type Driver interface {
	Mode() Mode
	// Ensure makes the group with its parents, lets it use the controllers
	// the kubelet needs, and sizes it; it is idempotent.
	Ensure(group string, l Limits) error
	// Remove kills what is left in the group and removes it, children
	// first; a missing group is fine.
	Remove(group string) error
	// RootBinds are the mounts that make group the root of every cgroup
	// hierarchy in a mount namespace, so a kubelet there sees its instance
	// as the whole machine.
	RootBinds(group string) ([]Bind, error)
}

// subtree lists dir and every cgroup below it, deepest first: the order
// rmdir needs.
func subtree(dir string) []string {
	var dirs []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	slices.Reverse(dirs)
	return dirs
}

// removeTree removes dir's cgroups children first. A cgroup whose last
// process has just been killed can stay busy for a moment, so rmdir is
// retried for a few seconds.
func removeTree(dir string, rmdir func(string) error) error {
	if rmdir == nil {
		rmdir = os.Remove
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, d := range subtree(dir) {
		for {
			err := rmdir(d)
			if err == nil || errors.Is(err, os.ErrNotExist) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("remove cgroup %s: %w", d, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

// groupDirs are the directories from the first component of group down to
// group itself, under root: /keks and /keks/i-0123 for /keks/i-0123.
func groupDirs(root, group string) []string {
	var dirs []string
	dir := root
	for _, part := range strings.Split(strings.Trim(group, "/"), "/") {
		if part == "" {
			continue
		}
		dir = filepath.Join(dir, part)
		dirs = append(dirs, dir)
	}
	return dirs
}

func writeFile(path, value string) error {
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		return fmt.Errorf("write %q to %s: %w", value, path, err)
	}
	return nil
}

// killProcs kills every process listed in dir's subtree. The daemons that
// drive an instance run outside its cgroup, and so does keks: what is left
// here belongs to containers whose shims are already gone.
func killProcs(dir string, kill func(pid int) error) {
	if kill == nil {
		kill = func(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }
	}
	for _, d := range subtree(dir) {
		data, _ := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		for _, f := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 && pid != os.Getpid() {
				_ = kill(pid)
			}
		}
	}
}
