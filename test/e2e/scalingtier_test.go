package e2e

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// scalingTier moves a running cluster to EKS Provisioned Control Plane's XL
// tier under a stream of kubectl requests: the update succeeds once etcd,
// the API servers and the schedulers run with the tier's limits (XL's 1700
// seats shared by two API servers, a 16 GiB etcd quota, 167 pods/s), with
// no request failed on the way.
func scalingTier(t *testing.T, e *harness.Env, cluster string) {
	stop := e.Load("kubectl", "get", "namespace", "default", "-o", "name")
	start := time.Now()
	id := strings.TrimSpace(e.Run("aws", "eks", "update-cluster-config", "--name", cluster,
		"--control-plane-scaling-config", "tier=tier-xl", "--query", "update.id", "--output", "text"))
	waitUpdate(t, e, cluster, id)
	load := stop()
	t.Logf("to tier-xl in %s (etcd, API servers and schedulers rolled); %d requests meanwhile, %d failed",
		time.Since(start).Round(time.Second), load.OK+load.Failed, load.Failed)
	if load.Failed > 0 {
		t.Errorf("%d of %d requests failed while the control plane rolled to tier-xl: %s", load.Failed, load.OK+load.Failed, load.FirstError)
	}
	if tier := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", cluster, "--query", "cluster.controlPlaneScalingConfig.tier", "--output", "text")); tier != "tier-xl" {
		t.Errorf("describe-cluster tier = %q", tier)
	}
	want := map[string][]string{
		"etcd":           {"--quota-backend-bytes=" + strconv.Itoa(16<<30)},
		"kube-apiserver": {"--max-requests-inflight=566", "--max-mutating-requests-inflight=284"},
		"kube-scheduler": {"--kube-api-qps=167", "--kube-api-burst=334"},
	}
	for _, in := range e.Instances(cluster) {
		flags, ok := want[in.Role]
		if !ok {
			continue
		}
		raw, err := os.ReadFile("/proc/" + strconv.Itoa(in.PID) + "/cmdline")
		if err != nil {
			t.Errorf("%s: %v", in.Name, err)
			continue
		}
		args := strings.Split(string(raw), "\x00")
		for _, f := range flags {
			if !slices.Contains(args, f) {
				t.Errorf("%s runs without %s", in.Name, f)
			}
		}
	}
}
