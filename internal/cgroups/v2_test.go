package cgroups

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kernelShows rewrites each cgroup.subtree_control as the kernel shows it
// after a write: the enabled controllers, without the "+".
func kernelShows(t *testing.T, root string) {
	t.Helper()
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "cgroup.subtree_control" {
			data, _ := os.ReadFile(p)
			put(t, filepath.Dir(p), map[string]string{d.Name(): strings.ReplaceAll(string(data), "+", "")})
		}
		return nil
	})
}

func TestV2EnsureDelegatesControllersAndSizesTheGroup(t *testing.T) {
	root := t.TempDir()
	// A systemd host: it already enables memory and pids at the root; rdma
	// and misc are nothing the kubelet uses.
	put(t, root, map[string]string{
		"cgroup.controllers":     "cpuset cpu io memory hugetlb pids rdma misc\n",
		"cgroup.subtree_control": "memory pids\n",
	})
	d := &V2Driver{Root: root}
	if err := d.Ensure("/keks/i-1", Limits{MemoryBytes: 4 << 30, MilliCPUs: 2000}); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"cgroup.subtree_control":          "+cpu +cpuset +io +hugetlb",
		"keks/cgroup.subtree_control":     "+cpu +cpuset +io +memory +pids +hugetlb",
		"keks/i-1/cgroup.subtree_control": "+cpu +cpuset +io +memory +pids +hugetlb",
		"keks/i-1/memory.max":             "4294967296",
		"keks/i-1/cpu.max":                "200000 100000",
	} {
		if got := read(t, root, file); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}

	// Once the kernel has applied it, a second pass writes nothing.
	kernelShows(t, root)
	before := read(t, root, "keks/cgroup.subtree_control")
	if err := d.Ensure("/keks/i-1", Limits{MemoryBytes: 4 << 30, MilliCPUs: 2000}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, root, "keks/cgroup.subtree_control"); got != before {
		t.Errorf("second Ensure rewrote keks/cgroup.subtree_control: %q", got)
	}
}

func TestV2EnsureAsksOnlyForControllersTheKernelHas(t *testing.T) {
	root := t.TempDir()
	put(t, root, map[string]string{"cgroup.controllers": "cpu memory pids"})
	if err := (&V2Driver{Root: root}).Ensure("/keks/i-1", Limits{}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, root, "keks/cgroup.subtree_control"); got != "+cpu +memory +pids" {
		t.Errorf("keks/cgroup.subtree_control = %q", got)
	}
	// No instance type, no limits.
	if got := read(t, root, "keks/i-1/memory.max"); got != "<missing>" {
		t.Errorf("memory.max written without a size: %q", got)
	}
}

func TestV2EnsureNeedsTheHostsControllerList(t *testing.T) {
	if err := (&V2Driver{Root: t.TempDir()}).Ensure("/keks/i-1", Limits{}); err == nil {
		t.Error("Ensure without cgroup.controllers succeeded")
	}
}

func TestV2RemoveRemovesLeafToRoot(t *testing.T) {
	root := t.TempDir()
	put(t, root, map[string]string{
		"keks/i-2/cgroup.procs":                               "",
		"keks/i-1/cgroup.kill":                                "",
		"keks/i-1/kubepods/burstable/pod1/cgroup.procs":       "4242\n",
		"keks/i-1/kubepods/besteffort/cgroup.subtree_control": "",
	})
	r := &recorder{}
	d := &V2Driver{Root: root, rmdir: r.rmdir, kill: r.kill}
	if err := d.Remove("/keks/i-1"); err != nil {
		t.Fatal(err)
	}
	if got := read(t, root, "keks/i-1/cgroup.kill"); got != "<missing>" {
		t.Errorf("the group is still there")
	}
	want := "keks/i-1/kubepods/burstable/pod1 keks/i-1/kubepods/burstable keks/i-1/kubepods/besteffort keks/i-1/kubepods keks/i-1"
	if got := r.removedUnder(root); got != want {
		t.Errorf("removed %s\nwant    %s", got, want)
	}
	if len(r.killed) != 0 {
		t.Errorf("killed %v one by one although cgroup.kill is there", r.killed)
	}
	if _, err := os.Stat(filepath.Join(root, "keks/i-2")); err != nil {
		t.Errorf("another instance's cgroup went too: %v", err)
	}
	if err := d.Remove("/keks/i-1"); err != nil {
		t.Errorf("removing a missing group: %v", err)
	}
}

func TestV2RemoveWritesCgroupKill(t *testing.T) {
	root := t.TempDir()
	put(t, root, map[string]string{"keks/i-1/cgroup.kill": ""})
	var killed string
	d := &V2Driver{Root: root, rmdir: func(dir string) error {
		if dir == filepath.Join(root, "keks/i-1") {
			killed = read(t, root, "keks/i-1/cgroup.kill")
		}
		return os.RemoveAll(dir)
	}}
	if err := d.Remove("/keks/i-1"); err != nil {
		t.Fatal(err)
	}
	if killed != "1" {
		t.Errorf("cgroup.kill held %q before rmdir, want 1", killed)
	}
}

func TestV2RemoveKillsEachProcessWithoutCgroupKill(t *testing.T) {
	root := t.TempDir()
	put(t, root, map[string]string{"keks/i-1/kubepods/pod1/cgroup.procs": "4242\n4343\n"})
	r := &recorder{}
	if err := (&V2Driver{Root: root, rmdir: r.rmdir, kill: r.kill}).Remove("/keks/i-1"); err != nil {
		t.Fatal(err)
	}
	if len(r.killed) != 2 || r.killed[0] != 4242 || r.killed[1] != 4343 {
		t.Errorf("killed %v, want [4242 4343]", r.killed)
	}
}

func TestV2RootBinds(t *testing.T) {
	binds, _ := (&V2Driver{Root: "/sys/fs/cgroup"}).RootBinds("/keks/i-1")
	if len(binds) != 1 || binds[0] != (Bind{Source: "/sys/fs/cgroup/keks/i-1", Target: "/sys/fs/cgroup"}) {
		t.Errorf("RootBinds = %v", binds)
	}
}
