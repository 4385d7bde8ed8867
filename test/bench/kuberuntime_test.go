package bench

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/supervisor"
	"github.com/keksdev/keks/test/harness"
)

// BenchmarkControlPlaneDensityKubernetes is BenchmarkControlPlaneDensity on
// the kubernetes runtime: a keks cluster of three nodes is the management
// cluster of a second keks, which creates HA control planes at once
// (KEKS_BENCH_DENSITY, default 2) as pods there; then time to ACTIVE,
// control planes per minute, and memory (PSS) and idle CPU of their pods'
// processes per control plane. It takes minutes to set up, so it runs only
// with KEKS_BENCH_KUBERNETES=1.
func BenchmarkControlPlaneDensityKubernetes(b *testing.B) {
	if os.Getenv("KEKS_BENCH_KUBERNETES") != "1" {
		b.Skip("set KEKS_BENCH_KUBERNETES=1: it makes a management cluster first (about 3 minutes)")
	}
	n := 2
	if v, err := strconv.Atoi(os.Getenv("KEKS_BENCH_DENSITY")); err == nil && v > 0 {
		n = v
	}
	mgmt := harness.New(b)
	m := mgmt.NewManagement("management", "t3.large")
	b.Setenv("DOCKER_CONFIG", m.DockerConfig)
	e := harness.New(b, m.ServerArgs...)
	e.Run(e.Keks, "build-kubernetes", "1.37")
	api := eksClient(b, e)
	role := e.ClusterRole("bench")
	subnets := e.PrivateSubnets()

	// The first cluster also builds and pushes the control-plane image:
	// time it apart, then the others at once.
	_, first := createAtOnce(b, api, role, subnets, []string{"first"})
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("density-%d", i)
	}
	ready, all := createAtOnce(b, api, role, subnets, names)

	time.Sleep(30 * time.Second) // leader elections and first syncs pass
	var uids []string
	for _, ns := range mgmt.HostedNamespaces() {
		uids = append(uids, strings.Fields(mgmt.Run("kubectl", "-n", ns, "get", "pods", "-o", "jsonpath={.items[*].metadata.uid}"))...)
	}
	pids := harness.PodProcesses(uids)
	var pss int64
	for _, pid := range pids {
		pss += supervisor.PSS(pid)
	}
	server := withDescendants([]int{e.ServerPID()})
	cpBefore, serverBefore := cpuSeconds(pids), cpuSeconds(server)
	time.Sleep(idleWindow)
	cpCores := (cpuSeconds(pids) - cpBefore) / idleWindow.Seconds()
	serverCores := (cpuSeconds(server) - serverBefore) / idleWindow.Seconds()

	total := n + 1
	mibEach := float64(pss>>20) / float64(total)
	coresEach := cpCores / float64(total)
	perMinute := float64(n) / all.Minutes()
	fmt.Printf("\nHA control planes on the kubernetes runtime (3 etcd pods + 2 API server pods each, in a 3-node keks management cluster), on %d cores\n", runtime.NumCPU())
	fmt.Printf("  first ACTIVE after:             %.1f s (with building and pushing the control-plane image)\n", first.Seconds())
	fmt.Printf("  %d more at once, all ACTIVE:     %.1f s (each: %s s)   -> %.1f control planes per minute   [Kamaji: 100 in 7.5 min on 25 nodes]\n",
		n, all.Seconds(), fmtSecs(ready), perMinute)
	fmt.Printf("  memory per control plane (PSS): %.0f MiB (%d processes of %d pods)   -> %.2f control planes per GiB\n", mibEach, len(pids), len(uids), 1024/mibEach)
	fmt.Printf("  idle CPU per control plane:     %.2f %% of a core       -> %.0f idle control planes per core\n", 100*coresEach, 1/coresEach)
	fmt.Printf("  keks server meanwhile:          %.2f %% of a core\n\n", 100*serverCores)
	b.ReportMetric(first.Seconds(), "s-first-active")
	b.ReportMetric(perMinute, "controlplanes/min")
	b.ReportMetric(mibEach, "MiB/controlplane")
	b.ReportMetric(100*coresEach, "%core-idle/controlplane")
}
