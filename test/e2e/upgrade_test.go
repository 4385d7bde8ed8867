package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// TestUpgradeWithoutFailedRequests upgrades a cluster one minor version as
// on EKS: the control plane with `aws eks update-cluster-version` while
// kubectl requests stream through the endpoint (none may fail), then its
// managed node group with `aws eks update-nodegroup-version`, a rolling
// replacement that must honour the workload's PodDisruptionBudget: while the
// budget allows no eviction the update fails with PodEvictionFailure and the
// group stays as it was; once it allows one, the update goes through.
func TestUpgradeWithoutFailedRequests(t *testing.T) {
	harness.Long(t, "about 9.5 minutes: two version upgrades under a 20 requests/s probe")
	// A refused drain fails a node group update after 30 s instead of EKS's 15 minutes.
	e := harness.New(t, "--nodegroup-eviction-timeout=30s")
	const name, from, to = "upgrade", "1.36", "1.37"
	e.Run(e.Keks, "build-kubernetes", from, to)
	role := e.ClusterRole("upgradeRole")
	e.Run("aws", "eks", "create-cluster", "--name", name, "--kubernetes-version", from, "--role-arn", role, "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	e.Run("aws", "eks", "update-kubeconfig", "--name", name)
	if v := e.Run("kubectl", "version", "-o", "json"); !strings.Contains(v, `"gitVersion": "v1.36.3"`) {
		t.Fatalf("server version before the upgrade: %s", v)
	}
	// A node group of two nodes running a workload that a budget protects.
	nodeRole := e.NodeRole("nodeRole")
	e.Run("aws", append([]string{"eks", "create-nodegroup", "--cluster-name", name, "--nodegroup-name", "workers", "--node-role", nodeRole,
		"--scaling-config", "minSize=1,maxSize=3,desiredSize=2", "--update-config", "maxUnavailable=1", "--subnets"}, e.PrivateSubnets()...)...)
	waitNodes(t, e, 2)
	e.Run("kubectl", "create", "deployment", "web", "--image="+registry+"/keks/hello:latest", "--replicas=2")
	e.Run("kubectl", "create", "poddisruptionbudget", "web", "--selector=app=web", "--min-available=1")
	e.Run("kubectl", "rollout", "status", "deployment/web", "--timeout=90s")

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
	if _, err := e.Try("aws", "eks", "update-cluster-version", "--name", name, "--kubernetes-version", "1.38"); err == nil {
		t.Errorf("a second upgrade was accepted while the node group lags")
	}

	// A budget that allows no eviction blocks the node group's update: it
	// fails with PodEvictionFailure, as EKS's does, and the group is ACTIVE
	// on its old version again, its nodes schedulable.
	e.Run("kubectl", "patch", "poddisruptionbudget", "web", "--type=merge", "-p", `{"spec":{"minAvailable":2}}`)
	blocked := strings.TrimSpace(e.Run("aws", "eks", "update-nodegroup-version", "--cluster-name", name, "--nodegroup-name", "workers", "--query", "update.id", "--output", "text"))
	harness.Eventually(t, 4*time.Minute, "blocked node group update failed", func() error {
		st := strings.TrimSpace(e.Run("aws", "eks", "describe-update", "--name", name, "--nodegroup-name", "workers", "--update-id", blocked, "--query", "[update.status,update.errors[0].errorCode]", "--output", "text"))
		if st == "Successful" {
			t.Fatal("a node group update succeeded although the budget allowed no eviction")
		}
		if st != "Failed\tPodEvictionFailure" {
			return fmt.Errorf("update %q", st)
		}
		return nil
	})
	harness.Eventually(t, 3*time.Minute, "node group ACTIVE on its old version", func() error {
		if v := strings.TrimSpace(e.Run("aws", "eks", "describe-nodegroup", "--cluster-name", name, "--nodegroup-name", "workers", "--query", "nodegroup.[status,version]", "--output", "text")); v != "ACTIVE\t"+from {
			return fmt.Errorf("node group %q", v)
		}
		nodes := e.Run("kubectl", "get", "nodes", "-o", "jsonpath={range .items[*]}{.status.nodeInfo.kubeletVersion}/{.spec.unschedulable}{\" \"}{end}")
		if f := strings.Fields(nodes); len(f) != 2 || f[0] != "v1.36.3/" || f[1] != "v1.36.3/" {
			return fmt.Errorf("nodes (version/unschedulable): %q", nodes)
		}
		return nil
	})
	e.Run("kubectl", "patch", "poddisruptionbudget", "web", "--type=merge", "-p", `{"spec":{"minAvailable":1}}`)

	// The node group follows: new nodes first, then each old one cordoned and
	// drained through the Eviction API, never below the budget's minimum.
	healthy := e.Watch(300*time.Millisecond, "kubectl", "get", "pdb", "web", "-o", "jsonpath={.status.currentHealthy}")
	start = time.Now()
	nid := strings.TrimSpace(e.Run("aws", "eks", "update-nodegroup-version", "--cluster-name", name, "--nodegroup-name", "workers", "--query", "update.id", "--output", "text"))
	harness.Eventually(t, 6*time.Minute, "node group update successful", func() error {
		st := strings.TrimSpace(e.Run("aws", "eks", "describe-update", "--name", name, "--nodegroup-name", "workers", "--update-id", nid, "--query", "update.status", "--output", "text"))
		if st == "Failed" {
			t.Fatalf("node group update failed: %s", e.Run("aws", "eks", "describe-update", "--name", name, "--nodegroup-name", "workers", "--update-id", nid))
		}
		if st != "Successful" {
			return fmt.Errorf("update %s", st)
		}
		return nil
	})
	samples := healthy()
	t.Logf("node group %s -> %s took %s; the budget's currentHealthy over %d samples: %v", from, to, time.Since(start).Round(time.Second), len(samples), compact(samples))
	for _, s := range samples {
		if s == "0" {
			t.Errorf("the PodDisruptionBudget was broken: no healthy web pod during the rolling update")
			break
		}
	}
	if v := strings.Fields(e.Run("kubectl", "get", "nodes", "-o", "jsonpath={.items[*].status.nodeInfo.kubeletVersion}")); len(v) != 2 || v[0] != "v1.37.2" || v[1] != "v1.37.2" {
		t.Errorf("kubelets after the node group update: %v", v)
	}
	if v := strings.TrimSpace(e.Run("aws", "eks", "describe-nodegroup", "--cluster-name", name, "--nodegroup-name", "workers", "--query", "nodegroup.[status,version]", "--output", "text")); v != "ACTIVE\t"+to {
		t.Errorf("node group after the update: %q", v)
	}
	e.Run("kubectl", "rollout", "status", "deployment/web", "--timeout=60s")
}

// compact shortens a series of samples to its runs: 2 2 2 1 1 2 -> 2x3 1x2 2x1.
func compact(samples []string) string {
	var out []string
	for i := 0; i < len(samples); {
		j := i
		for j < len(samples) && samples[j] == samples[i] {
			j++
		}
		out = append(out, fmt.Sprintf("%sx%d", samples[i], j-i))
		i = j
	}
	return strings.Join(out, " ")
}
