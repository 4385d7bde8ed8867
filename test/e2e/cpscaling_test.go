package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// TestControlPlaneScalesWithLoad: a load of requests on a cluster's API
// adds API servers, and they go again once the load has gone, with no
// request failed on the way.
func TestControlPlaneScalesWithLoad(t *testing.T) {
	harness.Long(t, "about 4 minutes: a cluster, a minute of load, then its scale-down")
	e := harness.New(t, "--control-plane-scale-down-window=40s")
	const name = "elastic"
	role := e.ClusterRole("elasticRole")
	e.Run("aws", "eks", "create-cluster", "--name", name, "--role-arn", role, "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	endpoint := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", name, "--query", "cluster.endpoint", "--output", "text"))
	ca := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", name, "--query", "cluster.certificateAuthority.data", "--output", "text"))
	token := strings.TrimSpace(e.Run("aws", "eks", "get-token", "--cluster-name", name, "--query", "status.token", "--output", "text"))
	if n := apiServers(e, name); n != 2 {
		t.Fatalf("an idle cluster runs %d API servers, want 2", n)
	}

	probe := rateProbe(t, endpoint+"/api/v1/namespaces/default", ca, token, 20)
	load := rateProbe(t, endpoint+"/api/v1/namespaces/kube-system", ca, token, 300)
	start := time.Now()
	harness.Eventually(t, 2*time.Minute, "API servers added under load", func() error {
		if n := apiServers(e, name); n < 3 {
			return fmt.Errorf("%d API servers", n)
		}
		return nil
	})
	up := time.Since(start)
	// The added servers serve: each is healthy, behind the endpoint.
	harness.Eventually(t, time.Minute, "added API servers healthy", func() error {
		for _, in := range e.Instances(name) {
			if in.Role == "kube-apiserver" && !in.Healthy {
				return fmt.Errorf("%s not healthy", in.Name)
			}
		}
		return nil
	})
	peak := apiServers(e, name)
	loadOK, loadFailed, loadFirst := load()
	stopped := time.Now()
	harness.Eventually(t, 3*time.Minute, "API servers removed once the load is gone", func() error {
		if n := apiServers(e, name); n != 2 {
			return fmt.Errorf("%d API servers", n)
		}
		return nil
	})
	down := time.Since(stopped)
	ok, failed, first := probe()
	t.Logf("300 requests/s: a third API server after %s, %d at the peak; load %d ok, %d failed; back to 2 %s after the load stopped; probe %d ok, %d failed",
		up.Round(time.Second), peak, loadOK, loadFailed, down.Round(time.Second), ok, failed)
	if failed > 0 {
		t.Fatalf("%d probe requests failed; first: %s", failed, first)
	}
	if loadFailed > 0 {
		t.Errorf("%d load requests failed; first: %s", loadFailed, loadFirst)
	}
	if n := len(e.Instances(name)); n != 3+2*4+1 {
		t.Errorf("after scaling down the control plane has %d instances, want 12", n)
	}
}

// apiServers counts the cluster's API server instances.
func apiServers(e *harness.Env, cluster string) int {
	n := 0
	for _, in := range e.Instances(cluster) {
		if in.Role == "kube-apiserver" {
			n++
		}
	}
	return n
}
