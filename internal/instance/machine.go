package instance

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/keksdev/keks/internal/cgroups"
)

// An instance's containerd and kubelet run in a mount namespace of their
// own that shows them a machine of the instance's type, so the node's
// capacity is the instance type's as on EKS. The kubelet takes capacity
// from cAdvisor, which reads memory as MemTotal of /proc/meminfo and counts
// CPUs as the cpu<N> directories of /sys/devices/system/node/node<M> that
// /sys/devices/system/cpu/online lists (/proc/cpuinfo only names and times
// them). The kubelet's node-level usage, and with it memory.available
// eviction, is that of cgroup "/", which the namespace makes the instance's
// own cgroup (cgroups.Driver.RootBinds): a capacity of the instance type
// against the whole host's usage would put the node under memory pressure.

// machineFiles are the files of the instance's machine, by path under its
// machine directory. They depend on the instance type alone.
func (s *Spec) machineFiles() map[string]string {
	kb := s.MemoryBytes >> 10
	files := map[string]string{
		// A fixed picture: live memory use is read from the instance's cgroup.
		"meminfo": meminfoLine("MemTotal:", kb) + meminfoLine("MemFree:", kb) + meminfoLine("MemAvailable:", kb) +
			meminfoLine("Buffers:", 0) + meminfoLine("Cached:", 0) + meminfoLine("SwapCached:", 0) +
			meminfoLine("SwapTotal:", 0) + meminfoLine("SwapFree:", 0),
		"cpu-online": cpuList(s.CPUs) + "\n",
		// One NUMA node with all the instance's vCPUs, each its own core.
		"node/online":            "0\n",
		"node/possible":          "0\n",
		"node/has_cpu":           "0\n",
		"node/has_memory":        "0\n",
		"node/has_normal_memory": "0\n",
		"node/node0/cpulist":     cpuList(s.CPUs) + "\n",
		"node/node0/distance":    "10\n",
		"node/node0/meminfo":     meminfoLine("Node 0 MemTotal:", kb) + meminfoLine("Node 0 MemFree:", kb) + meminfoLine("Node 0 MemUsed:", 0),
	}
	for cpu := range s.CPUs {
		files[fmt.Sprintf("node/node0/cpu%d/online", cpu)] = "1\n"
		files[fmt.Sprintf("node/node0/cpu%d/topology/core_id", cpu)] = fmt.Sprintf("%d\n", cpu)
		files[fmt.Sprintf("node/node0/cpu%d/topology/physical_package_id", cpu)] = "0\n"
	}
	return files
}

func meminfoLine(label string, kb int64) string {
	return fmt.Sprintf("%-16s%8d kB\n", label, kb)
}

// cpuList is the kernel's list format for CPUs 0..n-1: "0", "0-3".
func cpuList(n int) string {
	if n <= 1 {
		return "0"
	}
	return fmt.Sprintf("0-%d", n-1)
}

// machineBinds put the machine files where cAdvisor reads them. A host
// without NUMA support has no /sys/devices/system/node; cAdvisor then
// counts the host's own CPU directories, of which the online list keeps as
// many as the instance type has, up to the host's number.
func (s *Spec) machineBinds() []cgroups.Bind {
	dir := s.path("machine")
	binds := []cgroups.Bind{{Source: filepath.Join(dir, "meminfo"), Target: "/proc/meminfo"}}
	for _, b := range []cgroups.Bind{
		{Source: filepath.Join(dir, "cpu-online"), Target: "/sys/devices/system/cpu/online"},
		{Source: filepath.Join(dir, "node"), Target: "/sys/devices/system/node"},
	} {
		if _, err := os.Stat(b.Target); err == nil {
			binds = append(binds, b)
		}
	}
	return binds
}

// machineView tells whether an instance's daemons run in its machine
// view. An instance started before keks had views keeps running as it
// was: its containerd or kubelet still runs on the host's mounts, and the
// other must match it. An instance without an instance type has no size to
// show.
func (s *Spec) machineView(daemonsRunning bool) bool {
	if !machineViewEnabled {
		return false
	}
	if hasMountNS(s.mountNS()) {
		return true
	}
	return !daemonsRunning && s.MemoryBytes > 0 && s.CPUs > 0
}

// machineViewEnabled switches the machine view on: nodes then report their
// instance type's capacity. Its daemons also get a cgroup namespace rooted
// at the instance's cgroup; without it runc reads host cgroup paths in the
// view and cannot start containers.
const machineViewEnabled = true

// writeMachineFiles writes the machine files, readable as /proc's are, in
// place rather than by rename: a file bound into a namespace stays bound to
// its inode.
func writeMachineFiles(s *Spec) error {
	for name, content := range s.machineFiles() {
		path := filepath.Join(s.path("machine"), name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if old, err := os.ReadFile(path); err == nil && string(old) == content {
			continue
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return fmt.Errorf("machine view of %s: %w", s.ID, err)
		}
	}
	return nil
}
