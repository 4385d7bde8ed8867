package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Leftovers lists what is left on the host of this test's clusters and
// instances once they are deleted: processes, network namespaces, veths,
// bridges, iptables rules, routes, mounts, cgroups and files. Empty means
// nothing is left.
func (e *Env) Leftovers() []string {
	var left []string
	data := filepath.Join(e.Dir, "data")
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		cmd := strings.ReplaceAll(string(b), "\x00", " ")
		if err == nil && strings.Contains(cmd, data) && !strings.Contains(cmd, " server ") {
			left = append(left, "process: "+cmd)
		}
	}
	if out, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(out), "keks-i-") || strings.Contains(string(out), "cni-") || strings.Contains(string(out), "keks-s") {
		left = append(left, "network namespaces: "+strings.TrimSpace(string(out)))
	}
	if out, _ := exec.Command("ip", "-o", "link").Output(); true {
		for _, l := range strings.Split(string(out), "\n") {
			f := strings.Fields(l)
			if len(f) > 1 && (strings.HasPrefix(f[1], "kv") || strings.HasPrefix(f[1], "ks") || strings.HasPrefix(f[1], "keks-cp") || strings.HasPrefix(f[1], "keks-elb") || strings.HasPrefix(f[1], "keks-s")) {
				left = append(left, "link: "+f[1])
			}
		}
	}
	if out, _ := exec.Command("iptables-save").Output(); strings.Contains(string(out), "KUBE-") || strings.Contains(string(out), "CNI-") || strings.Contains(string(out), "KEKS-") || strings.Contains(string(out), "keks slot") {
		left = append(left, "host iptables rules: "+grepLines(string(out), "KUBE-", "CNI-", "KEKS-", "keks slot"))
	}
	if out, _ := exec.Command("ip", "route").Output(); true {
		for _, l := range strings.Split(string(out), "\n") {
			// Pod routes (100.64.0.0/10) and control-plane networks (198.18.0.0/15).
			if strings.HasPrefix(l, "100.") || strings.HasPrefix(l, "198.18.") || strings.HasPrefix(l, "198.19.") {
				left = append(left, "route: "+l)
			}
		}
	}
	if b, _ := os.ReadFile("/proc/mounts"); strings.Contains(string(b), e.Dir) || strings.Contains(string(b), "/run/keks/") || strings.Contains(string(b), "/var/lib/keks-node/i-") {
		left = append(left, "mounts: "+grepLines(string(b), e.Dir, "/run/keks/", "/var/lib/keks-node/i-"))
	}
	v1, _ := filepath.Glob("/sys/fs/cgroup/*/keks/i-*")
	v2, _ := filepath.Glob("/sys/fs/cgroup/keks/i-*")
	if m := append(v1, v2...); len(m) > 0 {
		left = append(left, fmt.Sprintf("cgroups: %v", m))
	}
	for _, dir := range []string{filepath.Join(data, "clusters"), "/run/keks", "/var/lib/keks-node"} {
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			left = append(left, fmt.Sprintf("files in %s: %d entries", dir, len(entries)))
		}
	}
	if m, _ := filepath.Glob(filepath.Join(data, "instances", "i-*")); len(m) > 0 {
		left = append(left, fmt.Sprintf("instance directories: %v", m))
	}
	return left
}

func grepLines(s string, subs ...string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, sub := range subs {
			if strings.Contains(l, sub) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}
