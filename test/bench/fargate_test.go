package bench

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/keksdev/keks/internal/supervisor"
	"github.com/keksdev/keks/test/harness"
)

// BenchmarkFargate measures Fargate: seconds from a pod's creation to it
// Running and Ready on a Fargate node of its own (EKS: 30-60 s per pod),
// p50 and p99 over 20 pods made one a second and 20 made at once, and the
// memory of each Fargate node's agents.
func BenchmarkFargate(b *testing.B) {
	e := harness.New(b)
	ctx := context.Background()
	const name = "bench-fargate"
	e.Run("aws", "eks", "create-cluster", "--name", name, "--role-arn", e.ClusterRole("bench"), "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	role := e.FargateRole("benchPods")
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	start := time.Now()
	e.Run("aws", "eks", "create-fargate-profile", "--cluster-name", name, "--fargate-profile-name", "bench",
		"--pod-execution-role-arn", role, "--selectors", `[{"namespace":"default","labels":{"bench":"fg-*"}}]`)
	e.Run("aws", "eks", "wait", "fargate-profile-active", "--cluster-name", name, "--fargate-profile-name", "bench")
	profileActive := time.Since(start).Seconds()
	cs := adminClient(b, e)
	const image = "198.19.255.254/keks/hello:latest"

	one50, one99 := percentiles(podStartup(b, ctx, cs, image, "fg-steady", 20, time.Second))
	waitNoFargateNodes(b, ctx, e)
	// Memory is read while the burst's 20 nodes run.
	var perNode map[string]int64
	burst := podStartupThen(b, ctx, cs, image, "fg-burst", 20, 0, func() {
		perNode = map[string]int64{}
		for pid, id := range supervisor.Find("instance/") {
			perNode[strings.Split(id, "/")[1]] += supervisor.PSS(pid)
		}
	})
	all50, all99 := percentiles(burst)
	var total int64
	for _, v := range perNode {
		total += v
	}
	avg := total / int64(max(len(perNode), 1))
	waitNoFargateNodes(b, ctx, e)

	fmt.Printf("\nkeks Fargate on this machine (one node per pod, image in keks's registry, Kubernetes default version)\n")
	fmt.Printf("  CreateFargateProfile -> ACTIVE:  %.1f s   [EKS: 2-6 min]\n", profileActive)
	fmt.Printf("  pod creation -> Running and Ready on its own Fargate node, 20 pods each run:\n")
	fmt.Printf("      1 pod/s:     p50 %.2f s, p99 %.2f s   [target < 5 s; EKS 30-60 s]\n", one50, one99)
	fmt.Printf("      all at once: p50 %.2f s, p99 %.2f s   (20 kubelets and containerds start on 2 cores)\n", all50, all99)
	fmt.Printf("  memory per Fargate node (PSS of kubelet, containerd + shim, kube-proxy): %d MiB on average over %d nodes\n\n", avg>>20, len(perNode))
	b.ReportMetric(profileActive, "s-profile-active")
	b.ReportMetric(one50, "s-fargate-pod-p50")
	b.ReportMetric(one99, "s-fargate-pod-p99")
	b.ReportMetric(all99, "s-fargate-burst-p99")
	b.ReportMetric(float64(avg>>20), "MiB-per-fargate-node")
}

// waitNoFargateNodes waits until the pods' nodes have gone.
func waitNoFargateNodes(b *testing.B, ctx context.Context, e *harness.Env) {
	cs := adminClient(b, e)
	harness.Eventually(b, 3*time.Minute, "Fargate nodes gone", func() error {
		nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: "eks.amazonaws.com/compute-type=fargate"})
		if err != nil || len(nodes.Items) > 0 {
			return fmt.Errorf("%v nodes left: %v", len(nodes.Items), err)
		}
		return nil
	})
}
