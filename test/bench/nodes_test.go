package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/keksdev/keks/internal/supervisor"
	"github.com/keksdev/keks/test/harness"
)

// BenchmarkNodes measures the data plane: seconds from CreateNodegroup to
// three Ready nodes, pod startup latency over 30 pods with the image
// present, and the memory of each node's agents.
func BenchmarkNodes(b *testing.B) {
	e := harness.New(b)
	ctx := context.Background()
	api := eksClient(b, e)
	const name = "bench-nodes"
	e.Run("aws", "eks", "create-cluster", "--name", name, "--role-arn", e.ClusterRole("bench"), "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	role := e.NodeRole("benchNodes")
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	cs := adminClient(b, e)

	start := time.Now()
	if _, err := api.CreateNodegroup(ctx, &eks.CreateNodegroupInput{ClusterName: aws.String(name), NodegroupName: aws.String("bench"), NodeRole: aws.String(role),
		Subnets: e.PrivateSubnets(), ScalingConfig: &ekstypes.NodegroupScalingConfig{MinSize: aws.Int32(3), MaxSize: aws.Int32(3), DesiredSize: aws.Int32(3)}}); err != nil {
		b.Fatal(err)
	}
	for readyNodes(ctx, cs) < 3 {
		if time.Since(start) > 3*time.Minute {
			b.Fatalf("3 nodes not Ready after 3 minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
	nodesReady := time.Since(start).Seconds()

	// The image present on every node: one warm-up pod per node.
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	const image = "198.19.255.254/keks/hello:latest"
	var warm []string
	for i, n := range nodes.Items {
		p := pod(fmt.Sprintf("warm-%d", i), image)
		p.Spec.NodeName = n.Name
		if _, err := cs.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		warm = append(warm, p.Name)
	}
	waitReady(b, ctx, cs, warm, 2*time.Minute)

	// As Kubernetes' pod startup SLO is measured: latency pods created at a
	// steady rate on nodes that already hold the image; then faster, and all
	// 30 at once, where the 2 cores shared with the control plane queue them.
	p50, p99 := percentiles(podStartup(b, ctx, cs, image, "slo", 30, time.Second))
	f50, f99 := percentiles(podStartup(b, ctx, cs, image, "fast", 30, 200*time.Millisecond))
	b50, b99 := percentiles(podStartup(b, ctx, cs, image, "burst", 30, 0))

	// Memory of each node's agents: kubelet, containerd and its shims, kube-proxy.
	time.Sleep(5 * time.Second)
	perNode := map[string]int64{}
	for pid, id := range supervisor.Find("instance/") {
		perNode[strings.Split(id, "/")[1]] += supervisor.PSS(pid)
	}
	var total int64
	for _, v := range perNode {
		total += v
	}
	avg := total / int64(max(len(perNode), 1))

	fmt.Printf("\nkeks data plane on this machine (managed node group of 3 t3.medium nodes, Kubernetes default version)\n")
	fmt.Printf("  CreateNodegroup -> 3 nodes Ready:   %.1f s   [target < 20 s; EKS takes minutes]\n", nodesReady)
	fmt.Printf("  pod startup, image present (creation -> Ready seen by a watch), 30 pods each run:\n")
	fmt.Printf("      1 pod/s:   p50 %.2f s, p99 %.2f s   [target p99 < 2 s; Kubernetes SLO p99 5 s]\n", p50, p99)
	fmt.Printf("      5 pods/s:  p50 %.2f s, p99 %.2f s\n", f50, f99)
	fmt.Printf("      all at once: p50 %.2f s, p99 %.2f s\n", b50, b99)
	fmt.Printf("  memory per node (PSS of kubelet, containerd + shims, kube-proxy): %d MiB on average over %d nodes\n\n", avg>>20, len(perNode))
	b.ReportMetric(nodesReady, "s-to-3-nodes")
	b.ReportMetric(p50, "s-pod-startup-p50")
	b.ReportMetric(p99, "s-pod-startup-p99")
	b.ReportMetric(f99, "s-pod-startup-5per-s-p99")
	b.ReportMetric(b99, "s-pod-startup-burst-p99")
	b.ReportMetric(float64(avg>>20), "MiB-per-node")
}

func adminClient(b *testing.B, e *harness.Env) kubernetes.Interface {
	matches, _ := filepath.Glob(filepath.Join(e.Dir, "data", "clusters", "*", "kubeconfig", "keks-admin.kubeconfig"))
	if len(matches) == 0 {
		b.Fatal("no admin kubeconfig")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", matches[0])
	if err != nil {
		b.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return cs
}

func readyNodes(ctx context.Context, cs kubernetes.Interface) int {
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0
	}
	n := 0
	for _, node := range nodes.Items {
		for _, c := range node.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				n++
			}
		}
	}
	return n
}

func pod(name, image string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"bench": "startup"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image, ImagePullPolicy: corev1.PullIfNotPresent}}, TerminationGracePeriodSeconds: aws.Int64(0)}}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func waitReady(b *testing.B, ctx context.Context, cs kubernetes.Interface, names []string, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for _, n := range names {
		for {
			p, err := cs.CoreV1().Pods("default").Get(ctx, n, metav1.GetOptions{})
			if err == nil && podReady(p) {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("pod %s not Ready", n)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

func percentiles(v []float64) (p50, p99 float64) {
	sort.Float64s(v)
	return v[len(v)/2], v[len(v)*99/100]
}

// podStartup creates n pods, one every interval, and returns for each the
// seconds from its creation to the watch reporting it Ready. The watch is
// read while pods are created, so no event waits for the loop.
func podStartup(b *testing.B, ctx context.Context, cs kubernetes.Interface, image, run string, n int, interval time.Duration) []float64 {
	return podStartupThen(b, ctx, cs, image, run, n, interval, nil)
}

// podStartupThen is podStartup that calls then, if given, once all are
// Ready and before they are deleted.
func podStartupThen(b *testing.B, ctx context.Context, cs kubernetes.Interface, image, run string, n int, interval time.Duration, then func()) []float64 {
	w, err := cs.CoreV1().Pods("default").Watch(ctx, metav1.ListOptions{LabelSelector: "bench=" + run})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	defer func() {
		_ = cs.CoreV1().Pods("default").DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "bench=" + run})
	}()
	var mu sync.Mutex
	readyAt := map[string]time.Time{}
	allReady := make(chan struct{})
	go func() {
		for ev := range w.ResultChan() {
			p, isPod := ev.Object.(*corev1.Pod)
			if !isPod || ev.Type == watch.Deleted || !podReady(p) {
				continue
			}
			mu.Lock()
			if _, seen := readyAt[p.Name]; !seen {
				readyAt[p.Name] = time.Now()
				if len(readyAt) == n {
					close(allReady)
				}
			}
			mu.Unlock()
		}
	}()
	created := map[string]time.Time{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s-%02d", run, i)
		p := pod(name, image)
		p.Labels["bench"] = run
		created[name] = time.Now()
		if _, err := cs.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		time.Sleep(interval)
	}
	select {
	case <-allReady:
	case <-time.After(3 * time.Minute):
		b.Fatalf("pods of the %s run not Ready in 3 minutes", run)
	}
	if then != nil {
		then()
	}
	mu.Lock()
	defer mu.Unlock()
	var out []float64
	for name, t := range created {
		out = append(out, readyAt[name].Sub(t).Seconds())
	}
	return out
}
