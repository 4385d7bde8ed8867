package e2e

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// scalingTier checks EKS Provisioned Control Plane's tiers on a cluster
// created at tier-xl: DescribeCluster says so and etcd, the API servers and
// the schedulers run with the tier's limits (XL's 1700 seats shared by two
// API servers, a 16 GiB etcd quota, 167 pods/s).
func scalingTier(t *testing.T, e *harness.Env, cluster string) {
	if tier := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", cluster, "--query", "cluster.controlPlaneScalingConfig.tier", "--output", "text")); tier != "tier-xl" {
		t.Errorf("describe-cluster tier = %q", tier)
	}
	checkFlags(t, e, cluster, tierXLFlags, true)
}

// tierXLFlags are the flags tier-xl gives each role.
var tierXLFlags = map[string][]string{
	"etcd":           {"--quota-backend-bytes=" + strconv.Itoa(16<<30)},
	"kube-apiserver": {"--max-requests-inflight=566", "--max-mutating-requests-inflight=284"},
	"kube-scheduler": {"--kube-api-qps=167", "--kube-api-burst=334"},
}

// scalingTierChange moves the tier-xl cluster back to standard under a
// stream of kubectl requests: the update succeeds once etcd, the API
// servers and the schedulers all rolled, with no request failed.
func scalingTierChange(t *testing.T, e *harness.Env, cluster string) {
	harness.Long(t, "about 105 s: etcd, the API servers and the schedulers roll under load")
	stop := e.Load("kubectl", "get", "namespace", "default", "-o", "name")
	start := time.Now()
	id := strings.TrimSpace(e.Run("aws", "eks", "update-cluster-config", "--name", cluster,
		"--control-plane-scaling-config", "tier=standard", "--query", "update.id", "--output", "text"))
	waitUpdate(t, e, cluster, id)
	load := stop()
	t.Logf("tier-xl to standard in %s (etcd, API servers and schedulers rolled); %d requests meanwhile, %d failed",
		time.Since(start).Round(time.Second), load.OK+load.Failed, load.Failed)
	if load.Failed > 0 {
		t.Errorf("%d of %d requests failed while the control plane rolled to standard: %s", load.Failed, load.OK+load.Failed, load.FirstError)
	}
	checkFlags(t, e, cluster, tierXLFlags, false)
}

// checkFlags reads the command lines of a cluster's members: each role's
// flags are there (present) or none of them is.
func checkFlags(t *testing.T, e *harness.Env, cluster string, byRole map[string][]string, present bool) {
	t.Helper()
	// An instance may be replaced between the listing and the read (a
	// scheduler that lost its lease while the API servers restarted exits,
	// and keks starts it again): its replacement is read instead.
	cmdline := func(name string, pid int) ([]byte, error) {
		for range 5 {
			raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
			if err == nil {
				return raw, nil
			}
			time.Sleep(2 * time.Second)
			pid = e.Instance(cluster, name).PID
		}
		return nil, fmt.Errorf("no process of %s to read", name)
	}
	for _, in := range e.Instances(cluster) {
		flags, ok := byRole[in.Role]
		if !ok {
			continue
		}
		raw, err := cmdline(in.Name, in.PID)
		if err != nil {
			t.Errorf("%s: %v", in.Name, err)
			continue
		}
		args := strings.Split(string(raw), "\x00")
		for _, f := range flags {
			if slices.Contains(args, f) != present {
				t.Errorf("%s: %s present = %t, want %t", in.Name, f, !present, present)
			}
		}
	}
}
