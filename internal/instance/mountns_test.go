package instance

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/cgroups"
)

// TestMachineViewOnThisHost makes a real instance cgroup and mount
// namespace and looks at them from inside, as the kubelet would, without a
// kubelet. It changes the host (a cgroup under /keks, a namespace under
// /run/keks/mountns, both removed at the end), so it runs only when asked:
// KEKS_PRIVILEGED_TESTS=1 as root.
func TestMachineViewOnThisHost(t *testing.T) {
	if os.Getenv("KEKS_PRIVILEGED_TESTS") == "" || os.Geteuid() != 0 {
		t.Skip("set KEKS_PRIVILEGED_TESTS=1 and run as root")
	}
	cg, err := hostCgroups()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cgroup mode: %v", cg.Mode())
	s := &Spec{ID: fmt.Sprintf("i-viewtest%d", os.Getpid()), Dir: t.TempDir(), MemoryBytes: 3 << 30, CPUs: 7}
	ctx := context.Background()
	if err := ensureCgroups(cg, s); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := removeCgroups(cg, s); err != nil {
			t.Error(err)
		}
	}()
	if err := writeMachineFiles(s); err != nil {
		t.Fatal(err)
	}
	binds, err := cg.RootBinds(s.cgroupRoot())
	if err != nil {
		t.Fatal(err)
	}
	if err := ensureMountNS(ctx, s, append(binds, s.machineBinds()...)); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := removeMountNS(s.mountNS()); err != nil {
			t.Error(err)
		}
	}()
	if !hasMountNS(s.mountNS()) {
		t.Fatal("no namespace pinned")
	}
	inside := func(script string) string {
		out, err := exec.Command("nsenter", "--mount="+s.mountNS(), "--", "sh", "-c", script).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v: %s", script, err, out)
		}
		t.Logf("inside: %s\n%s", script, out)
		return strings.TrimSpace(string(out))
	}
	if got := inside("grep MemTotal /proc/meminfo"); !strings.Contains(got, fmt.Sprint(3<<20)) {
		t.Errorf("inside, %s", got)
	}
	if host, _ := os.ReadFile("/proc/meminfo"); strings.Contains(string(host), fmt.Sprint(3<<20)+" kB") {
		t.Error("the host's /proc/meminfo shows the instance")
	}
	if got := inside("cat /sys/devices/system/cpu/online; ls -d /sys/devices/system/node/node*/cpu*[0-9] | wc -l"); got != "0-6\n7" {
		t.Errorf("inside, CPUs online and counted: %q", got)
	}
	// The instance's cgroup is the root: its limit shows there, and a
	// cgroup made from inside, as runc makes a pod's, lands in it.
	memRoot, procs := "/sys/fs/cgroup/memory", "cgroup.procs"
	if cg.Mode() == cgroups.Unified {
		memRoot = "/sys/fs/cgroup"
		if got := inside("cat /sys/fs/cgroup/memory.max"); got != fmt.Sprint(3<<30) {
			t.Errorf("inside, memory.max of / is %s", got)
		}
	} else if got := inside("cat /sys/fs/cgroup/memory/memory.limit_in_bytes"); got != fmt.Sprint(3<<30) {
		t.Errorf("inside, memory.limit_in_bytes of / is %s", got)
	}
	sleeper := exec.Command("nsenter", "--mount="+s.mountNS(), "--", "sh", "-c",
		fmt.Sprintf("mkdir -p %[1]s/kubepods && echo $$ > %[1]s/kubepods/%[2]s && exec sleep 60", memRoot, procs))
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- sleeper.Wait() }()
	hostPods := filepath.Join("/sys/fs/cgroup", strings.TrimPrefix(memRoot, "/sys/fs/cgroup"), s.cgroupRoot(), "kubepods", procs)
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, _ := os.ReadFile(hostPods)
		if strings.Contains(string(data), fmt.Sprint(sleeper.Process.Pid)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the process put in /kubepods inside is not in %s on the host", hostPods)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Deleting the instance kills what is left in its cgroup and removes it.
	if err := removeMountNS(s.mountNS()); err != nil {
		t.Fatal(err)
	}
	if err := removeCgroups(cg, s); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(hostPods)); !os.IsNotExist(err) {
		t.Errorf("%s is still there: %v", filepath.Dir(hostPods), err)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Error("the process left in the instance's cgroup was not killed")
	}
}
