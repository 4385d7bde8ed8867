package cgroups

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// fakeV1 is a hybrid host's tree: a hierarchy per controller, cpu and
// cpuacct co-mounted behind symlinks, and the unified hierarchy.
func fakeV1(t *testing.T) string {
	root := t.TempDir()
	for _, d := range []string{"memory", "cpu,cpuacct", "pids", "devices", "systemd", "unified"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []string{"cpu", "cpuacct"} {
		if err := os.Symlink("cpu,cpuacct", filepath.Join(root, l)); err != nil {
			t.Fatal(err)
		}
	}
	put(t, root, map[string]string{"cpuset/cpuset.cpus": "0-1\n", "cpuset/cpuset.mems": "0\n"})
	return root
}

func TestV1EnsureMakesTheGroupInEveryHierarchyAndSizesIt(t *testing.T) {
	root := fakeV1(t)
	d := &V1Driver{Root: root, Hybrid: true}
	if err := d.Ensure("/keks/i-1", Limits{MemoryBytes: 4 << 30, MilliCPUs: 2000}); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"memory", "cpu,cpuacct", "cpuset", "pids", "devices", "systemd", "unified"} {
		if fi, err := os.Stat(filepath.Join(root, h, "keks/i-1")); err != nil || !fi.IsDir() {
			t.Errorf("no keks/i-1 in %s: %v", h, err)
		}
	}
	for file, want := range map[string]string{
		"memory/keks/i-1/memory.limit_in_bytes": "4294967296",
		"cpu/keks/i-1/cpu.cfs_period_us":        "100000",
		"cpu/keks/i-1/cpu.cfs_quota_us":         "200000",
		// A new cpuset cgroup gets its parent's CPUs and memory nodes.
		"cpuset/keks/cpuset.cpus":     "0-1",
		"cpuset/keks/i-1/cpuset.cpus": "0-1",
		"cpuset/keks/i-1/cpuset.mems": "0",
		// Other hierarchies have no cpuset files.
		"memory/keks/i-1/cpuset.cpus": "<missing>",
	} {
		if got := read(t, root, file); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
}

func TestV1EnsureKeepsACpusetAlreadySet(t *testing.T) {
	root := fakeV1(t)
	put(t, root, map[string]string{"cpuset/keks/cpuset.cpus": "1\n"})
	if err := (&V1Driver{Root: root}).Ensure("/keks/i-1", Limits{}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, root, "cpuset/keks/cpuset.cpus"); got != "1\n" {
		t.Errorf("cpuset/keks/cpuset.cpus = %q, want it kept", got)
	}
	if got := read(t, root, "cpuset/keks/i-1/cpuset.cpus"); got != "1" {
		t.Errorf("cpuset/keks/i-1/cpuset.cpus = %q, want its parent's", got)
	}
}

func TestV1RemoveKillsWhatIsLeftAndRemovesLeafToRoot(t *testing.T) {
	root := fakeV1(t)
	d := &V1Driver{Root: root, Hybrid: true}
	if err := d.Ensure("/keks/i-1", Limits{}); err != nil {
		t.Fatal(err)
	}
	put(t, root, map[string]string{
		"memory/keks/i-1/kubepods/pod1/cgroup.procs":  "4242\n",
		"unified/keks/i-1/kubepods/pod1/cgroup.procs": "",
		"memory/keks/i-2/cgroup.procs":                "",
	})
	r := &recorder{}
	d.rmdir, d.kill = r.rmdir, r.kill
	if err := d.Remove("/keks/i-1"); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(r.killed, 4242) {
		t.Errorf("killed %v, want 4242", r.killed)
	}
	for _, h := range []string{"memory", "cpu,cpuacct", "cpuset", "pids", "devices", "systemd", "unified"} {
		if _, err := os.Stat(filepath.Join(root, h, "keks/i-1")); !os.IsNotExist(err) {
			t.Errorf("keks/i-1 is still in %s", h)
		}
		if _, err := os.Stat(filepath.Join(root, h, "keks")); err != nil {
			t.Errorf("the parent keks went from %s; other instances share it", h)
		}
	}
	// Children before parents, in each hierarchy.
	pod, kubepods, group := slices.Index(r.removed, filepath.Join(root, "memory/keks/i-1/kubepods/pod1")),
		slices.Index(r.removed, filepath.Join(root, "memory/keks/i-1/kubepods")),
		slices.Index(r.removed, filepath.Join(root, "memory/keks/i-1"))
	if pod < 0 || !(pod < kubepods && kubepods < group) {
		t.Errorf("removal order %v", r.removed)
	}
	if _, err := os.Stat(filepath.Join(root, "memory/keks/i-2")); err != nil {
		t.Errorf("another instance's cgroup went too: %v", err)
	}
}

func TestV1RootBindsEachHierarchyOnce(t *testing.T) {
	root := fakeV1(t)
	binds, err := (&V1Driver{Root: root}).RootBinds("/keks/i-1")
	if err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, b := range binds {
		rel, _ := filepath.Rel(root, b.Target)
		targets = append(targets, rel)
		if b.Source != filepath.Join(b.Target, "keks/i-1") {
			t.Errorf("bind %v does not show the group at its hierarchy's root", b)
		}
	}
	slices.Sort(targets)
	want := []string{"cpu,cpuacct", "cpuset", "devices", "memory", "pids", "systemd", "unified"}
	if !slices.Equal(targets, want) {
		t.Errorf("bind targets %v, want %v", targets, want)
	}
}
