package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/keksdev/keks/test/harness"
)

// densityClusters is how many HA control planes BenchmarkControlPlaneDensity
// creates at once; KEKS_BENCH_DENSITY changes it.
const densityClusters = 4

// BenchmarkControlPlaneDensity measures what decides how many control planes
// a machine holds on the host runtime: HA control planes created at once
// (and so created per minute), then, once they idle, memory (PSS) and CPU
// per control plane, turned into control planes per GiB and per core. The
// kubernetes runtime's pod requests and the provisioned tiers are sized
// from these figures.
func BenchmarkControlPlaneDensity(b *testing.B) {
	n := densityClusters
	if v, err := strconv.Atoi(os.Getenv("KEKS_BENCH_DENSITY")); err == nil && v > 0 {
		n = v
	}
	e := harness.New(b)
	api := eksClient(b, e)
	role := e.ClusterRole("bench")
	subnets := e.PrivateSubnets()

	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("density-%d", i)
	}
	ready, all := createAtOnce(b, api, role, subnets, names)

	time.Sleep(30 * time.Second) // leader elections and first syncs pass
	var pids []int
	var pss int64
	byRole := map[string]int64{}
	for i := range n {
		for _, in := range e.Instances(fmt.Sprintf("density-%d", i)) {
			pids = append(pids, in.PID)
			pss += in.PSS
			byRole[in.Role] += in.PSS
		}
	}
	server := []int{e.ServerPID()}
	cpBefore, serverBefore := cpuSeconds(pids), cpuSeconds(server)
	time.Sleep(idleWindow)
	cpCores := (cpuSeconds(pids) - cpBefore) / idleWindow.Seconds()
	serverCores := (cpuSeconds(server) - serverBefore) / idleWindow.Seconds()

	mibEach := float64(pss>>20) / float64(n)
	coresEach := cpCores / float64(n)
	perMinute := float64(n) / all.Minutes()
	fmt.Printf("\nHA control planes on the host runtime (3 etcd + 2 API server instances + endpoint each), %d created at once on %d cores\n", n, runtime.NumCPU())
	fmt.Printf("  all ACTIVE after:              %.1f s (each: %s s)   -> %.1f control planes per minute   [Kamaji: 100 in 7.5 min on 25 nodes]\n",
		all.Seconds(), fmtSecs(ready), perMinute)
	fmt.Printf("  memory per control plane (PSS): %.0f MiB                -> %.2f control planes per GiB\n", mibEach, 1024/mibEach)
	for role, v := range byRole {
		fmt.Printf("      %-24s %5.0f MiB each\n", role, float64(v>>20)/float64(n))
	}
	fmt.Printf("  idle CPU per control plane:     %.2f %% of a core       -> %.0f idle control planes per core\n", 100*coresEach, 1/coresEach)
	fmt.Printf("  keks server meanwhile:          %.2f %% of a core\n\n", 100*serverCores)
	b.ReportMetric(perMinute, "controlplanes/min")
	b.ReportMetric(mibEach, "MiB/controlplane")
	b.ReportMetric(1024/mibEach, "controlplanes/GiB")
	b.ReportMetric(100*coresEach, "%core-idle/controlplane")
}

func waitActive(api *eks.Client, name string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		out, err := api.DescribeCluster(context.Background(), &eks.DescribeClusterInput{Name: aws.String(name)})
		if err != nil {
			return fmt.Errorf("describe %s: %w", name, err)
		}
		switch {
		case out.Cluster.Status == ekstypes.ClusterStatusActive:
			return nil
		case out.Cluster.Status == ekstypes.ClusterStatusFailed || time.Now().After(deadline):
			return fmt.Errorf("cluster %s: %s", name, out.Cluster.Status)
		}
		time.Sleep(100 * time.Millisecond) // the figures are seconds to ACTIVE: poll finely
	}
}

// createAtOnce creates clusters of these names at the same time and waits
// until all are ACTIVE: the seconds each took, and how long all took.
func createAtOnce(b *testing.B, api *eks.Client, role string, subnets, names []string) ([]float64, time.Duration) {
	b.Helper()
	start := time.Now()
	ready := make([]float64, len(names))
	var wg sync.WaitGroup
	errs := make(chan error, len(names))
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := api.CreateCluster(context.Background(), &eks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String(role),
				ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: subnets}}); err != nil {
				errs <- fmt.Errorf("create %s: %w", name, err)
				return
			}
			if err := waitActive(api, name, 15*time.Minute); err != nil {
				errs <- err
				return
			}
			ready[i] = time.Since(start).Seconds()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return ready, time.Since(start)
}
