package bench

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// BenchmarkKarpenter measures the real Karpenter against keks: seconds from
// a pod no node can hold to it Running on a node Karpenter launched
// (EKS with Karpenter: about a minute), and from the pod's deletion to the
// empty node consolidated away and its instance terminated.
func BenchmarkKarpenter(b *testing.B) {
	e := harness.New(b)
	const cluster = "elastic"
	e.Run("aws", "eks", "create-cluster", "--name", cluster, "--role-arn", e.ClusterRole("bench"), "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	nodeRole := e.NodeRole("KarpenterNodeRole")
	e.Run("aws", "eks", "wait", "cluster-active", "--name", cluster)
	e.Run("aws", "eks", "update-kubeconfig", "--name", cluster)
	e.Run("aws", append([]string{"eks", "create-nodegroup", "--cluster-name", cluster, "--nodegroup-name", "system", "--node-role", nodeRole,
		"--scaling-config", "minSize=1,maxSize=1,desiredSize=1", "--instance-types", "t3.medium", "--subnets"}, e.PrivateSubnets()...)...)
	e.Run("aws", "eks", "wait", "nodegroup-active", "--cluster-name", cluster, "--nodegroup-name", "system")
	e.InstallKarpenter(cluster, "KarpenterNodeRole")

	var up, down []float64
	for i := 0; i < max(b.N, 3); i++ {
		start := time.Now()
		e.Apply(harness.Inflate(e.Registry(), 1))
		wait(b, 4*time.Minute, func() error {
			if out := e.Run("kubectl", "get", "pods", "-l", "app=inflate", "-o", "jsonpath={.items[*].status.phase}"); out != "Running" {
				return fmt.Errorf("pod %q", out)
			}
			return nil
		})
		up = append(up, time.Since(start).Seconds())
		start = time.Now()
		e.Run("kubectl", "delete", "deployment", "inflate")
		wait(b, 4*time.Minute, e.KarpenterNodesGone)
		down = append(down, time.Since(start).Seconds())
	}
	fmt.Printf("\nKarpenter (karpenter-provider-aws v1.15.0, unchanged) against keks, one pod of 500m held to its nodes\n")
	fmt.Printf("  pending pod -> Running on a new node:        %v s, median %.1f s   [EKS with Karpenter: about 60 s]\n", fmtSecs(up), median(up))
	fmt.Printf("  pod deleted -> node consolidated, terminated: %v s, median %.1f s   (consolidateAfter 5 s)\n\n", fmtSecs(down), median(down))
	b.ReportMetric(median(up), "s-pod-to-running")
	b.ReportMetric(median(down), "s-to-consolidated")
}

// wait retries f until it passes, failing the benchmark after timeout.
func wait(b *testing.B, timeout time.Duration, f func() error) {
	b.Helper()
	if err := harness.Within(timeout, f); err != nil {
		b.Fatal(err)
	}
}

// median is percentiles' p50 of a copy of v, which keeps its order.
func median(v []float64) float64 {
	p50, _ := percentiles(append([]float64(nil), v...))
	return p50
}
