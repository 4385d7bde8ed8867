package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/crane"

	"github.com/keksdev/keks/test/harness"
)

// registry is where keks serves images by default.
const registry = "198.19.255.254"

// TestLab1 is the seed's Lab 1 ("Kubernetes Pod 배포") on a managed node
// group of three nodes in three availability zones, done with the AWS CLI
// and kubectl: a namespace, a Deployment and a Service; list, describe,
// logs, exec; the Service reached by its DNS name from a pod on another
// node; an image pushed to keks's ECR and run; the group scaled up and down
// and a killed instance replaced; then everything deleted, leaving nothing.
func TestLab1(t *testing.T) {
	e := harness.New(t)
	const cluster = "lab1"
	e.Run("aws", "eks", "create-cluster", "--name", cluster, "--role-arn", e.ClusterRole("clusterRole"), "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	nodeRole := e.NodeRole("nodeRole")
	e.Run("aws", "eks", "wait", "cluster-active", "--name", cluster)
	e.Run("aws", "eks", "update-kubeconfig", "--name", cluster)

	// A managed node group of three nodes, one per availability zone.
	start := time.Now()
	e.Run("aws", append([]string{"eks", "create-nodegroup", "--cluster-name", cluster, "--nodegroup-name", "workers", "--node-role", nodeRole,
		"--scaling-config", "minSize=1,maxSize=4,desiredSize=3", "--instance-types", "t3.medium", "--labels", "lab=one", "--subnets"}, e.PrivateSubnets()...)...)
	waitNodes(t, e, 3)
	t.Logf("3 nodes Ready %s after create-nodegroup", time.Since(start).Round(100*time.Millisecond))
	e.Run("aws", "eks", "wait", "nodegroup-active", "--cluster-name", cluster, "--nodegroup-name", "workers")
	zones := strings.Fields(e.Run("kubectl", "get", "nodes", "-l", "eks.amazonaws.com/nodegroup=workers,lab=one", "-o", `jsonpath={.items[*].metadata.labels.topology\.kubernetes\.io/zone}`))
	sort.Strings(zones)
	if strings.Join(zones, " ") != "us-east-1a us-east-1b us-east-1c" {
		t.Errorf("nodes are in zones %v, want one in each of us-east-1a/b/c", zones)
	}
	var ng struct {
		Nodegroup struct {
			Status        string                    `json:"status"`
			ScalingConfig struct{ DesiredSize int } `json:"scalingConfig"`
			Resources     struct {
				AutoScalingGroups []struct{ Name string } `json:"autoScalingGroups"`
			} `json:"resources"`
		} `json:"nodegroup"`
	}
	e.JSON(&ng, "aws", "eks", "describe-nodegroup", "--cluster-name", cluster, "--nodegroup-name", "workers")
	if ng.Nodegroup.Status != "ACTIVE" || ng.Nodegroup.ScalingConfig.DesiredSize != 3 || len(ng.Nodegroup.Resources.AutoScalingGroups) != 1 {
		t.Errorf("describe-nodegroup: %+v", ng.Nodegroup)
	}

	// The default add-ons run: CoreDNS becomes ACTIVE once its pods are Ready.
	if out := e.Run("aws", "eks", "list-addons", "--cluster-name", cluster, "--query", "addons", "--output", "text"); strings.Join(strings.Fields(out), " ") != "coredns kube-proxy vpc-cni" {
		t.Errorf("add-ons: %q", out)
	}
	e.Run("aws", "eks", "wait", "addon-active", "--cluster-name", cluster, "--addon-name", "coredns")

	lbAddr, uri := lab1Workloads(t, e)

	t.Run("IAM roles for service accounts", func(t *testing.T) { irsaPods(t, e.With(t), cluster) })
	t.Run("EKS Pod Identity", func(t *testing.T) { podIdentity(t, e.With(t), cluster) })
	t.Run("metrics-server and HPA", func(t *testing.T) {
		harness.Long(t, "about 2.5 minutes, mostly the HPA's scale-down window")
		metricsAndHPA(t, e.With(t), cluster)
	})
	t.Run("EBS volumes", func(t *testing.T) {
		harness.Long(t, "about 4 minutes: its own node group, volumes grown online")
		ebsVolumes(t, e.With(t), cluster, nodeRole)
	})
	t.Run("Fargate", func(t *testing.T) { fargate(t, e.With(t), cluster) })

	// Restarting keks loses nothing: nodes keep their processes, the load
	// balancer keeps answering, the registry still holds the pushed image.
	// The Fargate subtest's instances end in the background: wait for
	// their kubelets to be gone, leaving the node group's three.
	var kubelets string
	harness.Eventually(t, time.Minute, "the node group's 3 kubelets only", func() error {
		kubelets = kubeletPIDs(e)
		if n := len(strings.Split(kubelets, ",")); kubelets == "" || n != 3 {
			return fmt.Errorf("kubelets %q", kubelets)
		}
		return nil
	})
	e.StopServer()
	if resp, err := (&http.Client{Timeout: 3 * time.Second}).Get("http://" + lbAddr + "/"); err != nil {
		t.Errorf("load balancer while keks is down: %v", err)
	} else {
		resp.Body.Close()
	}
	e.StartServer()
	if now := kubeletPIDs(e); now != kubelets {
		t.Errorf("kubelets changed across a keks restart: %s -> %s", kubelets, now)
	}
	e.Run("kubectl", "-n", "lab", "run", "pulled-again", "--image="+uri+":v1", "--image-pull-policy=Always", "--restart=Never")
	e.Run("kubectl", "-n", "lab", "wait", "--for=condition=Ready", "pod/pulled-again", "--timeout=60s")

	// Scale up through the node group's Auto Scaling group, as
	// cluster-autoscaler does, and down through EKS: each API sees the
	// other's change. The workload stays available.
	asg := ng.Nodegroup.Resources.AutoScalingGroups[0].Name
	e.Run("aws", "autoscaling", "set-desired-capacity", "--auto-scaling-group-name", asg, "--desired-capacity", "4")
	waitNodes(t, e, 4)
	if d := strings.TrimSpace(e.Run("aws", "eks", "describe-nodegroup", "--cluster-name", cluster, "--nodegroup-name", "workers", "--query", "nodegroup.scalingConfig.desiredSize", "--output", "text")); d != "4" {
		t.Errorf("describe-nodegroup after set-desired-capacity 4: desiredSize %s", d)
	}
	if _, err := e.Try("aws", "autoscaling", "set-desired-capacity", "--auto-scaling-group-name", asg, "--desired-capacity", "5"); err == nil {
		t.Errorf("set-desired-capacity above the group's maximum was accepted")
	}
	scale(t, e, cluster, 3)
	waitNodes(t, e, 3)
	if g := strings.TrimSpace(e.Run("aws", "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", asg,
		"--query", "AutoScalingGroups[0].[DesiredCapacity,MinSize,MaxSize,length(Instances)]", "--output", "text")); strings.Join(strings.Fields(g), " ") != "3 1 4 3" {
		t.Errorf("describe-auto-scaling-groups after update-nodegroup-config 3 (desired min max instances): %q", g)
	}
	// cluster-autoscaler's scale-down: exactly the instance it names goes.
	named := strings.Fields(e.Run("aws", "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", asg, "--query", "AutoScalingGroups[0].Instances[].InstanceId", "--output", "text"))[0]
	if act := strings.TrimSpace(e.Run("aws", "autoscaling", "terminate-instance-in-auto-scaling-group", "--instance-id", named, "--should-decrement-desired-capacity",
		"--query", "Activity.StatusCode", "--output", "text")); act == "" {
		t.Errorf("terminate-instance-in-auto-scaling-group gave no activity")
	}
	waitNodes(t, e, 2)
	if left := e.Run("aws", "ec2", "describe-instances", "--filters", "Name=instance-state-name,Values=running", "Name=tag:eks:nodegroup-name,Values=workers",
		"--query", "Reservations[].Instances[].InstanceId", "--output", "text"); strings.Contains(left, named) {
		t.Errorf("%s still runs after terminate-instance-in-auto-scaling-group: %s", named, left)
	}
	if acts := e.Run("aws", "autoscaling", "describe-scaling-activities", "--auto-scaling-group-name", asg, "--query", "Activities[].Description", "--output", "text"); !strings.Contains(acts, named) {
		t.Errorf("describe-scaling-activities does not name %s: %s", named, acts)
	}
	e.Run("kubectl", "-n", "lab", "rollout", "status", "deployment/web", "--timeout=90s")

	// A killed instance is replaced, as an Auto Scaling group does.
	victim := strings.Fields(e.Run("aws", "ec2", "describe-instances", "--filters", "Name=instance-state-name,Values=running", "Name=tag:eks:nodegroup-name,Values=workers",
		"--query", "Reservations[].Instances[].InstanceId", "--output", "text"))[0]
	e.Run("aws", "ec2", "terminate-instances", "--instance-ids", victim)
	harness.Eventually(t, 90*time.Second, "instance replaced", func() error {
		ids := strings.Fields(e.Run("aws", "ec2", "describe-instances", "--filters", "Name=instance-state-name,Values=running", "Name=tag:eks:nodegroup-name,Values=workers",
			"--query", "Reservations[].Instances[].InstanceId", "--output", "text"))
		if len(ids) != 2 || strings.Contains(strings.Join(ids, " "), victim) {
			return fmt.Errorf("running instances %v", ids)
		}
		return nil
	})
	waitNodes(t, e, 2)

	// Delete the workload, the node group and the cluster: nothing is left.
	e.Run("kubectl", "delete", "namespace", "lab", "--timeout=120s")
	e.Run("aws", "eks", "delete-nodegroup", "--cluster-name", cluster, "--nodegroup-name", "workers")
	e.Run("aws", "eks", "wait", "nodegroup-deleted", "--cluster-name", cluster, "--nodegroup-name", "workers")
	e.Run("aws", "eks", "delete-cluster", "--name", cluster)
	e.Run("aws", "eks", "wait", "cluster-deleted", "--name", cluster)
	harness.Eventually(t, 30*time.Second, "nothing left", func() error {
		if left := e.Leftovers(); len(left) > 0 {
			return fmt.Errorf("left behind:\n%s", strings.Join(left, "\n"))
		}
		return nil
	})
}

// scale changes the group's desired size and waits for the update to
// succeed: EKS refuses a second update while one is in progress.
func scale(t *testing.T, e *harness.Env, cluster string, n int) {
	t.Helper()
	id := strings.TrimSpace(e.Run("aws", "eks", "update-nodegroup-config", "--cluster-name", cluster, "--nodegroup-name", "workers",
		"--scaling-config", "desiredSize="+strconv.Itoa(n), "--query", "update.id", "--output", "text"))
	harness.Eventually(t, 3*time.Minute, fmt.Sprintf("scaling to %d successful", n), func() error {
		st := strings.TrimSpace(e.Run("aws", "eks", "describe-update", "--name", cluster, "--nodegroup-name", "workers", "--update-id", id, "--query", "update.status", "--output", "text"))
		if st != "Successful" {
			return fmt.Errorf("update %s", st)
		}
		return nil
	})
}

// waitNodes waits until the cluster has exactly n nodes, all Ready.
func waitNodes(t *testing.T, e *harness.Env, n int) {
	t.Helper()
	harness.Eventually(t, 120*time.Second, fmt.Sprintf("%d Ready nodes", n), func() error {
		out, err := e.Try("kubectl", "get", "nodes", "-o", `jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{" "}{end}`)
		if err != nil {
			return err
		}
		st := strings.Fields(out)
		if len(st) != n || strings.Count(out, "True") != n {
			return fmt.Errorf("nodes: %v", st)
		}
		return nil
	})
}

func mustDecode(t *testing.T, s string) string {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return string(b)
}

// kubeletPIDs lists the pids of this test's kubelets.
func kubeletPIDs(e *harness.Env) string {
	var pids []string
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		args := strings.Split(string(b), "\x00")
		if err == nil && len(args) > 0 && strings.HasSuffix(args[0], "/kubelet") && strings.Contains(string(b), filepath.Join(e.Dir, "data")) {
			pids = append(pids, filepath.Base(filepath.Dir(p)))
		}
	}
	sort.Strings(pids)
	return strings.Join(pids, ",")
}

// lab1Workloads is Lab 1's work on a cluster whose nodes are in several
// zones: a namespace, a Deployment and a Service; list, describe, logs,
// exec; the Service by its DNS name from a pod on another node; a
// LoadBalancer Service the host reaches; an image pushed to keks's ECR and
// run. It returns the load balancer's address and the pushed image.
func lab1Workloads(t *testing.T, e *harness.Env) (lbAddr, uri string) {
	t.Helper()
	reg := e.Registry()
	// Lab 1: namespace, Deployment, Service.
	e.Run("kubectl", "create", "namespace", "lab")
	e.Run("kubectl", "-n", "lab", "create", "deployment", "web", "--image="+reg+"/keks/hello:latest", "--replicas=3", "--port=8080")
	e.Run("kubectl", "-n", "lab", "expose", "deployment", "web", "--port=80", "--target-port=8080")
	e.Run("kubectl", "-n", "lab", "rollout", "status", "deployment/web", "--timeout=90s")
	if out := e.Run("kubectl", "-n", "lab", "get", "deployment,service,pods"); !strings.Contains(out, "deployment.apps/web") || !strings.Contains(out, "service/web") {
		t.Errorf("kubectl get: %s", out)
	}
	pods := strings.Fields(e.Run("kubectl", "-n", "lab", "get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].metadata.name}"))
	if len(pods) != 3 {
		t.Fatalf("web pods: %v", pods)
	}
	if out := e.Run("kubectl", "-n", "lab", "describe", "pod", pods[0]); !strings.Contains(out, "Node:") || !strings.Contains(out, "Started") {
		t.Errorf("describe pod: %s", out)
	}
	if out := e.Run("kubectl", "-n", "lab", "logs", pods[0]); !strings.Contains(out, "listening on :8080") {
		t.Errorf("logs: %q", out)
	}
	if out := e.Run("kubectl", "-n", "lab", "exec", pods[0], "--", "hostname"); strings.TrimSpace(out) != pods[0] {
		t.Errorf("exec hostname: %q", out)
	}

	// The Service by its DNS name, from busybox (docker.io's name, served
	// offline by keks) on one node: answers come from pods on other nodes.
	nodes := strings.Fields(e.Run("kubectl", "get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"))
	e.Run("kubectl", "-n", "lab", "run", "client", "--image=busybox", "--restart=Never",
		"--overrides", `{"spec":{"nodeName":"`+nodes[0]+`"}}`, "--command", "--", "sleep", "3600")
	e.Run("kubectl", "-n", "lab", "wait", "--for=condition=Ready", "pod/client", "--timeout=60s")
	if out := e.Run("kubectl", "-n", "lab", "exec", "client", "--", "nslookup", "web.lab.svc.cluster.local"); !strings.Contains(out, "Address") {
		t.Errorf("nslookup: %s", out)
	}
	remote := map[string]bool{}
	podNode := map[string]string{}
	for _, p := range pods {
		podNode[p] = strings.TrimSpace(e.Run("kubectl", "-n", "lab", "get", "pod", p, "-o", "jsonpath={.spec.nodeName}"))
	}
	for i := 0; i < 20 && len(remote) == 0; i++ {
		out := e.Run("kubectl", "-n", "lab", "exec", "client", "--", "wget", "-qO-", "http://web.lab.svc.cluster.local")
		from := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(out), "Hello from "))
		if n, ok := podNode[from]; !ok {
			t.Fatalf("answer %q names no web pod", out)
		} else if n != nodes[0] {
			remote[from] = true
		}
	}
	if len(remote) == 0 {
		t.Errorf("no answer came from a pod on another node than %s", nodes[0])
	}

	// A Service of type LoadBalancer gets an address a process on the host reaches.
	e.Run("kubectl", "-n", "lab", "expose", "deployment", "web", "--name=web-lb", "--type=LoadBalancer", "--port=80", "--target-port=8080")
	harness.Eventually(t, 60*time.Second, "load balancer address", func() error {
		lbAddr = strings.TrimSpace(e.Run("kubectl", "-n", "lab", "get", "service", "web-lb", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"))
		if lbAddr == "" {
			return fmt.Errorf("no ingress address yet")
		}
		return nil
	})
	harness.Eventually(t, 30*time.Second, "answer through the load balancer", func() error {
		resp, err := (&http.Client{Timeout: 3 * time.Second}).Get("http://" + lbAddr + "/")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if !strings.HasPrefix(string(body), "Hello from web-") {
			return fmt.Errorf("answer %q", body)
		}
		return nil
	})

	// ECR: a repository, a token from get-login-password, a push with
	// go-containerregistry, and a pod running the pushed image.
	uri = strings.TrimSpace(e.Run("aws", "ecr", "create-repository", "--repository-name", "lab/app", "--query", "repository.repositoryUri", "--output", "text"))
	if uri != reg+"/lab/app" {
		t.Errorf("repositoryUri %q", uri)
	}
	password := strings.TrimSpace(e.Run("aws", "ecr", "get-login-password"))
	ca, err := os.ReadFile(filepath.Join(e.Dir, "data", "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	if err := crane.Copy(reg+"/keks/hello:latest", uri+":v1", crane.WithTransport(transport)); err == nil {
		t.Errorf("registry accepted a request without credentials")
	}
	auth := crane.WithAuth(&authn.Basic{Username: "AWS", Password: password})
	if err := crane.Copy(reg+"/keks/hello:latest", uri+":v1", crane.WithTransport(transport), auth); err != nil {
		t.Fatalf("push to %s: %v", uri, err)
	}
	e.Run("kubectl", "-n", "lab", "run", "pushed", "--image="+uri+":v1", "--restart=Never")
	e.Run("kubectl", "-n", "lab", "wait", "--for=condition=Ready", "pod/pushed", "--timeout=60s")
	if tok := strings.TrimSpace(e.Run("aws", "ecr", "get-authorization-token", "--query", "authorizationData[0].authorizationToken", "--output", "text")); !strings.HasPrefix(mustDecode(t, tok), "AWS:") {
		t.Errorf("authorization token does not decode to AWS:<password>")
	}

	return lbAddr, uri
}
