package instance

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestMachineFilesShowTheInstanceType(t *testing.T) {
	s := &Spec{ID: "i-1", Dir: t.TempDir(), MemoryBytes: 4 << 30, CPUs: 2} // a t3.medium
	files := s.machineFiles()
	for name, want := range map[string]string{
		"cpu-online":                                   "0-1\n",
		"node/online":                                  "0\n",
		"node/node0/cpulist":                           "0-1\n",
		"node/node0/distance":                          "10\n",
		"node/node0/cpu0/topology/core_id":             "0\n",
		"node/node0/cpu1/topology/core_id":             "1\n",
		"node/node0/cpu1/topology/physical_package_id": "0\n",
	} {
		if files[name] != want {
			t.Errorf("%s = %q, want %q", name, files[name], want)
		}
	}
	if files["node/node0/cpu2/topology/core_id"] != "" {
		t.Error("a third CPU on a 2-vCPU instance")
	}
	// cAdvisor's reading of memory: MemTotal and SwapTotal in kB.
	for name, want := range map[string]map[string]int64{
		"meminfo":            {"MemTotal": 4 << 20, "SwapTotal": 0, "MemAvailable": 4 << 20},
		"node/node0/meminfo": {"Node 0 MemTotal": 4 << 20},
	} {
		for field, kb := range want {
			m := regexp.MustCompile(`(?m)^` + field + `:\s*([0-9]+) kB$`).FindStringSubmatch(files[name])
			if m == nil || m[1] != strconv.FormatInt(kb, 10) {
				t.Errorf("%s: %s is %v, want %d kB:\n%s", name, field, m, kb, files[name])
			}
		}
	}
}

// Written out, the tree holds as many CPUs as the instance type has, even
// more than the host's, counted the way cAdvisor counts them: cpu<N>
// directories of node<M> directories, with a core id, that the online list
// names.
func TestMachineTreeCountsTheInstancesVCPUs(t *testing.T) {
	for _, cpus := range []int{1, 2, 16, 96} {
		s := &Spec{ID: "i-1", Dir: t.TempDir(), MemoryBytes: 1 << 30, CPUs: cpus}
		if err := writeMachineFiles(s); err != nil {
			t.Fatal(err)
		}
		dirs, _ := filepath.Glob(filepath.Join(s.path("machine", "node"), "node*[0-9]", "cpu*[0-9]"))
		online, _ := os.ReadFile(s.path("machine", "cpu-online"))
		counted := 0
		for _, d := range dirs {
			if _, err := os.Stat(filepath.Join(d, "topology", "core_id")); err != nil {
				continue
			}
			id, _ := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), "cpu"))
			if listed(strings.TrimSpace(string(online)), id) {
				counted++
			}
		}
		if counted != cpus {
			t.Errorf("%d vCPUs: the tree shows %d", cpus, counted)
		}
	}
}

// listed tells whether the kernel-style list ("0", "0-15") names cpu.
func listed(list string, cpu int) bool {
	for _, r := range strings.Split(list, ",") {
		lo, hi, found := strings.Cut(r, "-")
		a, _ := strconv.Atoi(lo)
		b := a
		if found {
			b, _ = strconv.Atoi(hi)
		}
		if cpu >= a && cpu <= b {
			return true
		}
	}
	return false
}

func TestWriteMachineFilesKeepsBoundInodes(t *testing.T) {
	s := &Spec{ID: "i-1", Dir: t.TempDir(), MemoryBytes: 1 << 30, CPUs: 1}
	if err := writeMachineFiles(s); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(s.path("machine", "meminfo"))
	s.MemoryBytes = 2 << 30
	if err := writeMachineFiles(s); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(s.path("machine", "meminfo"))
	if !os.SameFile(before, after) {
		t.Error("meminfo was replaced, not rewritten: a bind mount of it would show the old one")
	}
}

func TestMachineBindsPutTheFilesWhereCAdvisorReads(t *testing.T) {
	s := &Spec{ID: "i-1", Dir: "/var/lib/keks/i-1", MemoryBytes: 1 << 30, CPUs: 1}
	got := map[string]string{}
	for _, b := range s.machineBinds() {
		got[b.Target] = b.Source
	}
	if got["/proc/meminfo"] != "/var/lib/keks/i-1/machine/meminfo" {
		t.Errorf("/proc/meminfo from %q", got["/proc/meminfo"])
	}
	for target, source := range map[string]string{
		"/sys/devices/system/cpu/online": "/var/lib/keks/i-1/machine/cpu-online",
		"/sys/devices/system/node":       "/var/lib/keks/i-1/machine/node",
	} {
		if _, err := os.Stat(target); err != nil {
			continue // this host has no such file, and the view leaves it out
		}
		if got[target] != source {
			t.Errorf("%s from %q, want %q", target, got[target], source)
		}
	}
}

func TestMachineViewOnlyForNewSizedInstances(t *testing.T) {
	if !machineViewEnabled {
		t.Skip("the machine view is switched off (see machineViewEnabled)")
	}
	sized := &Spec{ID: "i-view-test-none", MemoryBytes: 1 << 30, CPUs: 1}
	if !sized.machineView(false) {
		t.Error("a new instance of a known type runs without the view")
	}
	if sized.machineView(true) {
		t.Error("an instance whose daemons run on the host's mounts would get a view for half of them")
	}
	if (&Spec{ID: "i-view-test-none"}).machineView(false) {
		t.Error("an instance without a type gets a view")
	}
}
