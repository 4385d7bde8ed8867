package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// TestKarpenter runs the real Karpenter (the karpenter add-on: keks's build
// of karpenter-provider-aws, unchanged) against keks's EC2, SSM, IAM and EKS
// APIs: pods no node can hold bring a new instance through CreateFleet,
// which joins as a node and runs them; once they are gone Karpenter
// consolidates the node away with TerminateInstances.
func TestKarpenter(t *testing.T) {
	harness.Long(t, "about 6 minutes: a cluster, a node group for Karpenter, a node Karpenter launches and removes")
	e := harness.New(t)
	const cluster = "elastic"
	e.Run("aws", "eks", "create-cluster", "--name", cluster, "--role-arn", e.ClusterRole("clusterRole"), "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	nodeRoleARN := e.NodeRole("KarpenterNodeRole")
	e.Run("aws", "eks", "wait", "cluster-active", "--name", cluster)
	e.Run("aws", "eks", "update-kubeconfig", "--name", cluster)
	// Karpenter's controller runs on a managed node group; its nodes'
	// role is the one Karpenter's nodes use, so they join with its access entry.
	e.Run("aws", append([]string{"eks", "create-nodegroup", "--cluster-name", cluster, "--nodegroup-name", "system", "--node-role", nodeRoleARN,
		"--scaling-config", "minSize=1,maxSize=2,desiredSize=1", "--instance-types", "t3.medium", "--subnets"}, e.PrivateSubnets()...)...)
	waitNodes(t, e, 1)

	start := time.Now()
	e.InstallKarpenter(cluster, "KarpenterNodeRole")
	t.Logf("karpenter installed and its node class Ready %s after create-addon", time.Since(start).Round(time.Second))

	// Three pods of 500m each that only a Karpenter node may hold.
	start = time.Now()
	e.Apply(harness.Inflate(registry, 3))
	harness.Eventually(t, 4*time.Minute, "inflate's pods Running on a node Karpenter launched", func() error {
		out := e.Run("kubectl", "get", "pods", "-l", "app=inflate", "-o", `jsonpath={range .items[*]}{.status.phase}{" "}{end}`)
		if strings.Count(out, "Running") != 3 {
			claims, _ := e.Try("kubectl", "get", "nodeclaims", "-o", "wide")
			return fmt.Errorf("pods %q; nodeclaims:\n%s", out, claims)
		}
		return nil
	})
	t.Logf("3 pending pods Running on a new Karpenter node %s after they were applied", time.Since(start).Round(100*time.Millisecond))
	ids := strings.Fields(e.Run("aws", "ec2", "describe-instances", "--filters", "Name=tag-key,Values=karpenter.sh/nodepool", "Name=instance-state-name,Values=running",
		"--query", "Reservations[].Instances[].InstanceId", "--output", "text"))
	if len(ids) == 0 {
		t.Fatalf("no running instance carries karpenter.sh/nodepool")
	}
	if n := e.Run("kubectl", "get", "nodes", "-l", "karpenter.sh/nodepool=default", "-o", "name"); strings.TrimSpace(n) == "" {
		t.Errorf("no node carries karpenter.sh/nodepool=default")
	}

	// Gone the pods, the node is empty: Karpenter consolidates it away.
	e.Run("kubectl", "delete", "deployment", "inflate")
	start = time.Now()
	harness.Eventually(t, 3*time.Minute, "Karpenter's node consolidated away", e.KarpenterNodesGone)
	t.Logf("the empty node consolidated and its instance terminated %s after the deployment was deleted", time.Since(start).Round(time.Second))

	// What Karpenter logged as errors: a call keks answers wrongly shows
	// here, as an AWS error of that call.
	if logs, err := e.Try("kubectl", "-n", "kube-system", "logs", "deployment/karpenter", "--tail=-1"); err == nil {
		kinds := map[string]int{}
		for _, l := range strings.Split(logs, "\n") {
			var entry struct {
				Level, Message, Error string
				Op                    string `json:"aws-operation-name"`
			}
			if json.Unmarshal([]byte(l), &entry) != nil || entry.Level != "ERROR" {
				continue
			}
			kinds[entry.Message+": "+entry.Error]++
			if entry.Op != "" {
				t.Errorf("Karpenter's %s failed: %s", entry.Op, entry.Error)
			}
		}
		t.Logf("Karpenter logged %d kinds of errors: %v", len(kinds), kinds)
	}
	e.Run("aws", "eks", "delete-addon", "--cluster-name", cluster, "--addon-name", "karpenter")
	e.Run("aws", "eks", "delete-nodegroup", "--cluster-name", cluster, "--nodegroup-name", "system")
	e.Run("aws", "eks", "wait", "nodegroup-deleted", "--cluster-name", cluster, "--nodegroup-name", "system")
	e.Run("aws", "eks", "delete-cluster", "--name", cluster)
	e.Run("aws", "eks", "wait", "cluster-deleted", "--name", cluster)
	harness.Eventually(t, 30*time.Second, "nothing left", func() error {
		if left := e.Leftovers(); len(left) > 0 {
			return fmt.Errorf("left behind:\n%s", strings.Join(left, "\n"))
		}
		return nil
	})
}
