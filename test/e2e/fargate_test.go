package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// fargate: a Fargate profile of a cluster that has managed nodes; pods
// of its namespace each get a fargate-ip- node of their own with EKS's
// labels, taint, size and events; what Fargate cannot run is told so; the
// nodes go with their pods; logs reach CloudWatch Logs through
// aws-observability; CoreDNS moves to Fargate; the profile's delete ends
// in a 404.
func fargate(t *testing.T, e *harness.Env, cluster string) {
	role := e.FargateRole("fargatePods")
	private := e.PrivateSubnets()

	// EKS's refusals, with its messages.
	publicSubnet := strings.Fields(e.Run("aws", "ec2", "describe-subnets", "--filters", "Name=map-public-ip-on-launch,Values=true", "--query", "Subnets[0].SubnetId", "--output", "text"))[0]
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--fargate-profile-name", "bad", "--pod-execution-role-arn", role, "--selectors", "namespace=x", "--subnets", publicSubnet},
			"provided in Fargate Profile is not a private subnet"},
		{[]string{"--fargate-profile-name", "bad", "--pod-execution-role-arn", role, "--selectors", `[{"labels":{"a":"b"}}]`},
			"Fargate Profile must have at least one selector with at least one namespace value."},
	} {
		_, err := e.Try("aws", append([]string{"eks", "create-fargate-profile", "--cluster-name", cluster}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), "InvalidParameterException") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("create-fargate-profile %v: want InvalidParameterException %q, got %v", c.args, c.want, err)
		}
	}
	if out := e.Run("aws", "ec2", "describe-route-tables", "--filters", "Name=association.subnet-id,Values="+private[0], "--query", "RouteTables[0].Routes[].GatewayId", "--output", "text"); strings.Contains(out, "igw-") {
		t.Errorf("the private subnet's route table routes to an internet gateway: %s", out)
	}

	e.Run("aws", append([]string{"eks", "create-fargate-profile", "--cluster-name", cluster, "--fargate-profile-name", "apps",
		"--pod-execution-role-arn", role, "--selectors", "namespace=fargate", "--subnets"}, private...)...)
	// (One profile operation at a time is checked with aws-sdk-go-v2 in
	// internal/server: here the first is ACTIVE before a second call lands.)
	start := time.Now()
	e.Run("aws", "eks", "wait", "fargate-profile-active", "--cluster-name", cluster, "--fargate-profile-name", "apps")
	t.Logf("profile ACTIVE %s after create", time.Since(start).Round(100*time.Millisecond))
	// lab1 is in CONFIG_MAP mode: EKS maps the role in aws-auth.
	if out := e.Run("kubectl", "-n", "kube-system", "get", "configmap", "aws-auth", "-o", "jsonpath={.data.mapRoles}"); !strings.Contains(out, "role/fargatePods") ||
		!strings.Contains(out, "system:node:{{SessionName}}") {
		t.Errorf("aws-auth has no mapping of the pod execution role: %s", out)
	}

	// Logging through aws-observability, read when each pod starts.
	e.Run("kubectl", "create", "namespace", "aws-observability")
	e.Run("kubectl", "label", "namespace", "aws-observability", "aws-observability=enabled")
	logging := filepath.Join(t.TempDir(), "aws-logging.yaml")
	if err := os.WriteFile(logging, []byte(awsLoggingConfigMap), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Run("kubectl", "apply", "-f", logging)

	e.Run("kubectl", "create", "namespace", "fargate")
	start = time.Now()
	e.Run("kubectl", "-n", "fargate", "create", "deployment", "web", "--image="+registry+"/keks/hello:latest", "--replicas=2", "--port=8080")
	e.Run("kubectl", "-n", "fargate", "expose", "deployment", "web", "--port=80", "--target-port=8080")
	e.Run("kubectl", "-n", "fargate", "rollout", "status", "deployment/web", "--timeout=120s")
	t.Logf("2 Fargate pods available %s after kubectl create", time.Since(start).Round(100*time.Millisecond))

	var pods struct {
		Items []struct {
			Metadata struct {
				Name        string            `json:"name"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
			Spec struct {
				NodeName          string `json:"nodeName"`
				SchedulerName     string `json:"schedulerName"`
				PriorityClassName string `json:"priorityClassName"`
			} `json:"spec"`
		} `json:"items"`
	}
	e.JSON(&pods, "kubectl", "-n", "fargate", "get", "pods", "-l", "app=web", "-o", "json")
	seen := map[string]bool{}
	for _, p := range pods.Items {
		if p.Metadata.Labels["eks.amazonaws.com/fargate-profile"] != "apps" || p.Spec.SchedulerName != "fargate-scheduler" || p.Spec.PriorityClassName != "system-node-critical" {
			t.Errorf("pod %s not mutated as EKS does: labels %v, scheduler %q, priority class %q", p.Metadata.Name, p.Metadata.Labels, p.Spec.SchedulerName, p.Spec.PriorityClassName)
		}
		if got := p.Metadata.Annotations["CapacityProvisioned"]; got != "0.25vCPU 0.5GB" {
			t.Errorf("pod %s CapacityProvisioned = %q, want 0.25vCPU 0.5GB", p.Metadata.Name, got)
		}
		if got := p.Metadata.Annotations["Logging"]; got != "LoggingEnabled" {
			t.Errorf("pod %s Logging = %q, want LoggingEnabled", p.Metadata.Name, got)
		}
		if !strings.HasPrefix(p.Spec.NodeName, "fargate-ip-") || seen[p.Spec.NodeName] {
			t.Errorf("pod %s on node %q: want a fargate-ip- node of its own", p.Metadata.Name, p.Spec.NodeName)
		}
		seen[p.Spec.NodeName] = true
		ev := e.Run("kubectl", "-n", "fargate", "get", "events", "--field-selector", "involvedObject.name="+p.Metadata.Name+",reason=Scheduled",
			"-o", "jsonpath={.items[*].source.component} {.items[*].message}")
		if !strings.Contains(ev, "fargate-scheduler Successfully assigned fargate/"+p.Metadata.Name+" to "+p.Spec.NodeName) {
			t.Errorf("pod %s Scheduled event: %q", p.Metadata.Name, ev)
		}
		node := e.Run("kubectl", "get", "node", p.Spec.NodeName, "-o",
			`jsonpath={.metadata.labels.eks\.amazonaws\.com/compute-type} {.spec.taints[0].key}={.spec.taints[0].value}:{.spec.taints[0].effect} {.status.capacity.pods} {.metadata.labels.kubernetes\.io/hostname}`)
		if want := "fargate eks.amazonaws.com/compute-type=fargate:NoSchedule 1 " + strings.TrimPrefix(p.Spec.NodeName, "fargate-"); node != want {
			t.Errorf("node %s: %q, want %q", p.Spec.NodeName, node, want)
		}
	}
	// The Service answers a pod on a managed node.
	harness.Eventually(t, 30*time.Second, "the Fargate service from a managed node's pod", func() error {
		out, err := e.Try("kubectl", "-n", "lab", "exec", "client", "--", "wget", "-qO-", "-T", "3", "http://web.fargate.svc.cluster.local")
		if err != nil || !strings.Contains(out, "Hello from web-") {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	})
	harness.Eventually(t, 30*time.Second, "the pods' logs in CloudWatch Logs", func() error {
		out, err := e.Try("aws", "logs", "filter-log-events", "--log-group-name", "fargate-e2e", "--query", "events[].[logStreamName,message]", "--output", "text")
		if err != nil || !strings.Contains(out, "from-fluent-bit-kube.var.log.containers.web-") || !strings.Contains(out, "listening on :8080") {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	})

	// 1 vCPU and 8 GiB: Fargate's 2vCPU 9GB, which the node's cgroup enforces.
	e.Run("kubectl", "-n", "fargate", "run", "big", "--image="+registry+"/keks/hello:latest", "--restart=Never", "--overrides",
		`{"spec":{"containers":[{"name":"big","image":"`+registry+`/keks/hello:latest","resources":{"requests":{"cpu":"1","memory":"8Gi"},"limits":{"cpu":"1","memory":"8Gi"}}}]}}`)
	e.Run("kubectl", "-n", "fargate", "wait", "--for=condition=Ready", "pod/big", "--timeout=90s")
	if got := e.Run("kubectl", "-n", "fargate", "get", "pod", "big", "-o", "jsonpath={.metadata.annotations.CapacityProvisioned}"); got != "2vCPU 9GB" {
		t.Errorf("big pod CapacityProvisioned = %q, want 2vCPU 9GB", got)
	}
	bigNode := e.Run("kubectl", "-n", "fargate", "get", "pod", "big", "-o", "jsonpath={.spec.nodeName}")
	bigInstance := instanceOfNode(t, e, bigNode)
	if mem, cpu := cgroupLimits(bigInstance); mem != fmt.Sprint(9<<30) || cpu != "200000" {
		t.Errorf("the 2vCPU 9GB node's cgroup: memory %s, CPU quota %s", mem, cpu)
	}

	// What Fargate cannot run is told so.
	e.Run("kubectl", "-n", "fargate", "run", "hostnet", "--image="+registry+"/keks/hello:latest", "--restart=Never", "--overrides", `{"spec":{"hostNetwork":true}}`)
	harness.Eventually(t, 30*time.Second, "hostNetwork pod refused", func() error {
		ev := e.Run("kubectl", "-n", "fargate", "get", "events", "--field-selector", "involvedObject.name=hostnet,reason=FailedScheduling", "-o", "jsonpath={.items[*].message}")
		if !strings.Contains(ev, "Pod not supported on Fargate: fields not supported: HostNetwork") {
			return fmt.Errorf("events: %q", ev)
		}
		return nil
	})
	// A DaemonSet that tolerates everything never lands on a Fargate node.
	ds := filepath.Join(t.TempDir(), "ds.yaml")
	if err := os.WriteFile(ds, []byte(strings.ReplaceAll(everywhereDaemonSet, "REGISTRY", registry)), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Run("kubectl", "apply", "-f", ds)
	harness.Eventually(t, 60*time.Second, "the DaemonSet on every managed node", func() error {
		out := e.Run("kubectl", "-n", "fargate", "get", "pods", "-l", "app=everywhere", "-o", `jsonpath={range .items[*]}{.spec.nodeName}|{.status.phase}{"\n"}{end}`)
		running := 0
		for _, l := range strings.Fields(out) {
			node, phase, _ := strings.Cut(l, "|")
			if strings.HasPrefix(node, "fargate-") && phase == "Running" {
				return fmt.Errorf("a DaemonSet pod runs on %s", node)
			}
			if phase == "Running" {
				running++
			}
		}
		if running < 3 {
			return fmt.Errorf("%d running: %s", running, out)
		}
		return nil
	})
	e.Run("kubectl", "delete", "-f", ds, "--wait=false")

	// Nodes go with their pods, and nothing of their instances is left.
	var instances []string
	for node := range seen {
		instances = append(instances, instanceOfNode(t, e, node))
	}
	instances = append(instances, bigInstance)
	e.Run("kubectl", "-n", "fargate", "scale", "deployment", "web", "--replicas=0")
	e.Run("kubectl", "-n", "fargate", "delete", "pod", "big", "hostnet")
	harness.Eventually(t, 90*time.Second, "the Fargate nodes gone", func() error {
		if out := e.Run("kubectl", "get", "nodes", "-o", "name"); strings.Contains(out, "fargate-") {
			return fmt.Errorf("nodes: %s", out)
		}
		for _, id := range instances {
			if left := instanceTraces(e, id); len(left) > 0 {
				return fmt.Errorf("%s left: %v", id, left)
			}
		}
		return nil
	})

	// CoreDNS on Fargate: a profile for it, computeType Fargate, and it moves.
	e.Run("aws", "eks", "create-fargate-profile", "--cluster-name", cluster, "--fargate-profile-name", "coredns",
		"--pod-execution-role-arn", role, "--selectors", "namespace=kube-system,labels={k8s-app=kube-dns}")
	e.Run("aws", "eks", "wait", "fargate-profile-active", "--cluster-name", cluster, "--fargate-profile-name", "coredns")
	e.Run("aws", "eks", "update-addon", "--cluster-name", cluster, "--addon-name", "coredns", "--configuration-values", `{"computeType":"Fargate"}`)
	harness.Eventually(t, 2*time.Minute, "CoreDNS on Fargate nodes", func() error {
		out := e.Run("kubectl", "-n", "kube-system", "get", "pods", "-l", "k8s-app=kube-dns", "-o", `jsonpath={range .items[*]}{.spec.nodeName}|{.status.phase}{"\n"}{end}`)
		on := 0
		for _, l := range strings.Fields(out) {
			if node, phase, _ := strings.Cut(l, "|"); strings.HasPrefix(node, "fargate-") && phase == "Running" {
				on++
			} else {
				return fmt.Errorf("pods: %s", out)
			}
		}
		if on < 2 {
			return fmt.Errorf("pods: %s", out)
		}
		return nil
	})
	if out := e.Run("kubectl", "-n", "lab", "exec", "client", "--", "nslookup", "web.lab.svc.cluster.local"); !strings.Contains(out, "Address") {
		t.Errorf("DNS from CoreDNS on Fargate: %s", out)
	}

	// Deleting the profile: DELETING, then 404.
	e.Run("aws", "eks", "delete-fargate-profile", "--cluster-name", cluster, "--fargate-profile-name", "apps")
	var fp struct {
		FargateProfile struct{ Status string } `json:"fargateProfile"`
	}
	if out, err := e.Try("aws", "eks", "describe-fargate-profile", "--cluster-name", cluster, "--fargate-profile-name", "apps"); err == nil {
		if err := json.Unmarshal([]byte(out), &fp); err != nil || fp.FargateProfile.Status != "DELETING" {
			t.Errorf("after delete-fargate-profile: %s", out)
		}
	}
	e.Run("aws", "eks", "wait", "fargate-profile-deleted", "--cluster-name", cluster, "--fargate-profile-name", "apps")
	if _, err := e.Try("aws", "eks", "describe-fargate-profile", "--cluster-name", cluster, "--fargate-profile-name", "apps"); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") ||
		!strings.Contains(err.Error(), "No Fargate Profile found with name: apps.") {
		t.Errorf("a deleted profile: %v", err)
	}
	e.Run("kubectl", "delete", "namespace", "fargate", "--wait=false")

	// CoreDNS back on EC2 nodes for what follows: without its profile its
	// pods, made again, are no Fargate pods.
	e.Run("aws", "eks", "delete-fargate-profile", "--cluster-name", cluster, "--fargate-profile-name", "coredns")
	e.Run("aws", "eks", "wait", "fargate-profile-deleted", "--cluster-name", cluster, "--fargate-profile-name", "coredns")
	harness.Eventually(t, 2*time.Minute, "CoreDNS back on EC2 nodes and no Fargate node left", func() error {
		out := e.Run("kubectl", "get", "nodes", "-o", "name")
		dns := e.Run("kubectl", "-n", "kube-system", "get", "pods", "-l", "k8s-app=kube-dns", "-o", `jsonpath={range .items[*]}{.spec.nodeName}|{.status.phase}{"\n"}{end}`)
		running := 0
		for _, l := range strings.Fields(dns) {
			if node, phase, _ := strings.Cut(l, "|"); !strings.HasPrefix(node, "fargate-") && phase == "Running" {
				running++
			}
		}
		if strings.Contains(out, "fargate-") || running < 2 {
			return fmt.Errorf("nodes %s; CoreDNS pods %s", strings.Fields(out), dns)
		}
		return nil
	})
}

// instanceOfNode is the keks instance behind a node: its provider id's last part.
func instanceOfNode(t *testing.T, e *harness.Env, node string) string {
	id := e.Run("kubectl", "get", "node", node, "-o", "jsonpath={.spec.providerID}")
	id = id[strings.LastIndex(id, "/")+1:]
	if !strings.HasPrefix(id, "i-") {
		t.Fatalf("node %s has provider id %q", node, id)
	}
	return id
}

// cgroupLimits reads an instance's cgroup memory limit and CPU quota (cgroup v1 or v2).
func cgroupLimits(id string) (mem, cpu string) {
	read := func(p string) string { b, _ := os.ReadFile(p); return strings.TrimSpace(string(b)) }
	if mem = read("/sys/fs/cgroup/memory/keks/" + id + "/memory.limit_in_bytes"); mem != "" {
		return mem, read("/sys/fs/cgroup/cpu/keks/" + id + "/cpu.cfs_quota_us")
	}
	quota, _, _ := strings.Cut(read("/sys/fs/cgroup/keks/"+id+"/cpu.max"), " ")
	return read("/sys/fs/cgroup/keks/" + id + "/memory.max"), quota
}

// instanceTraces lists what is left on the host of an ended instance.
func instanceTraces(e *harness.Env, id string) []string {
	var left []string
	for _, p := range []string{"/run/netns/keks-" + id, "/run/keks/" + id, "/var/lib/keks-node/" + id, filepath.Join(e.Dir, "data", "instances", id)} {
		if _, err := os.Stat(p); err == nil {
			left = append(left, p)
		}
	}
	if m, _ := filepath.Glob("/sys/fs/cgroup/*/keks/" + id); len(m) > 0 {
		left = append(left, m...)
	}
	if _, err := os.Stat("/sys/class/net/kv" + strings.TrimPrefix(id, "i-")[:10]); err == nil {
		left = append(left, "veth kv"+strings.TrimPrefix(id, "i-")[:10])
	}
	return left
}

const awsLoggingConfigMap = `
apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-logging
  namespace: aws-observability
data:
  output.conf: |
    [OUTPUT]
        Name cloudwatch_logs
        Match   *
        region us-east-1
        log_group_name fargate-e2e
        log_stream_prefix from-fluent-bit-
        auto_create_group true
`

// everywhereDaemonSet tolerates every taint, as log and network agents do.
const everywhereDaemonSet = `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: everywhere, namespace: fargate}
spec:
  selector: {matchLabels: {app: everywhere}}
  template:
    metadata: {labels: {app: everywhere}}
    spec:
      tolerations: [{operator: Exists}]
      containers:
      - {name: sleep, image: REGISTRY/library/busybox:latest, command: [sleep, "3600"]}
`
