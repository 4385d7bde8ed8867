package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// TestUpgradeWithoutFailedRequests upgrades a cluster one minor version with
// `aws eks update-cluster-version` while kubectl requests stream through the
// endpoint, and expects none of them to fail.
func TestUpgradeWithoutFailedRequests(t *testing.T) {
	e := harness.New(t)
	const name, from, to = "upgrade", "1.36", "1.37"
	e.Run(e.Keks, "build-kubernetes", from, to)
	role := e.ClusterRole("upgradeRole")
	e.Run("aws", "eks", "create-cluster", "--name", name, "--kubernetes-version", from, "--role-arn", role, "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	e.Run("aws", "eks", "update-kubeconfig", "--name", name)
	if v := e.Run("kubectl", "version", "-o", "json"); !strings.Contains(v, `"gitVersion": "v1.36.3"`) {
		t.Fatalf("server version before the upgrade: %s", v)
	}

	stop := e.Load("kubectl", "get", "namespace", "kube-system", "-o", "name")
	start := time.Now()
	id := strings.TrimSpace(e.Run("aws", "eks", "update-cluster-version", "--name", name, "--kubernetes-version", to, "--query", "update.id", "--output", "text"))
	if st := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", name, "--query", "cluster.status", "--output", "text")); st != "UPDATING" {
		t.Errorf("status during the upgrade: %s", st)
	}
	harness.Eventually(t, 8*time.Minute, "upgrade successful", func() error {
		st := strings.TrimSpace(e.Run("aws", "eks", "describe-update", "--name", name, "--update-id", id, "--query", "update.status", "--output", "text"))
		if st == "Failed" {
			t.Fatalf("update failed: %s", e.Run("aws", "eks", "describe-update", "--name", name, "--update-id", id))
		}
		if st != "Successful" {
			return fmt.Errorf("update %s", st)
		}
		return nil
	})
	r := stop()
	t.Logf("upgrade %s -> %s took %s; kubectl requests meanwhile: %d succeeded, %d failed", from, to, time.Since(start).Round(time.Second), r.OK, r.Failed)
	if r.Failed > 0 {
		t.Fatalf("%d requests failed during the upgrade; first: %s", r.Failed, r.FirstError)
	}
	if v := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", name, "--query", "cluster.[status,version]", "--output", "text")); v != "ACTIVE\t"+to {
		t.Fatalf("after the upgrade: %q", v)
	}
	if v := e.Run("kubectl", "version", "-o", "json"); !strings.Contains(v, `"gitVersion": "v1.37.2"`) {
		t.Fatalf("server version after the upgrade: %s", v)
	}
	for _, in := range e.Instances(name) {
		if in.Version != "1.37.2" && in.Version != "keks" {
			t.Errorf("%s still runs %s", in.Name, in.Version)
		}
	}
	e.Run("aws", "eks", "delete-cluster", "--name", name)
	e.Run("aws", "eks", "wait", "cluster-deleted", "--name", name)
}
