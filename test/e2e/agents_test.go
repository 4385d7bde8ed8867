package e2e

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// TestNodesOnAgentHosts stands two hosts up on this machine: two `keks
// agent`s, each in a host slot of its own (a network namespace joined to
// the machine by a link, as another host is joined by its network), joined
// with one-time tokens, one in us-east-1a and one in us-east-1b. A node
// group over subnets of both zones puts one node on each agent host: the
// nodes join their cluster (the kubelet's credentials come from the
// metadata service through its agent), run pods pulled from keks's
// registry, reach each other over their subnets' VXLAN segments, answer
// the API server on keks's host (logs, exec), and go with everything of
// them when the group is deleted. Their security groups hold there too.
func TestNodesOnAgentHosts(t *testing.T) {
	harness.Long(t, "about 4 minutes: two agent hosts in network namespaces and a node group over them")
	e, server := harness.NewWithAgents(t)
	zones := []string{"us-east-1a", "us-east-1b"}
	agentDirs := make([]string, len(zones))
	for i, zone := range zones {
		agentDirs[i] = e.StartAgent(server, zone).Dir
	}
	harness.Eventually(t, 60*time.Second, "both agent hosts Ready", func() error {
		var out struct {
			Hosts []struct{ Zone, State string }
		}
		e.JSON(&out, e.Keks, "hosts", "-o", "json")
		ready := 0
		for _, h := range out.Hosts {
			if h.State == "Ready" {
				ready++
			}
		}
		if ready != len(zones) {
			return fmt.Errorf("hosts %+v", out.Hosts)
		}
		return nil
	})

	const name = "agents"
	e.Run("aws", "eks", "create-cluster", "--name", name, "--role-arn", e.ClusterRole("agentsCluster"), "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	e.Run("aws", "eks", "update-kubeconfig", "--name", name)
	var subnets []string
	for _, zone := range zones {
		subnets = append(subnets, strings.TrimSpace(e.Run("aws", "ec2", "describe-subnets", "--filters", "Name=availability-zone,Values="+zone,
			"Name=map-public-ip-on-launch,Values=false", "--query", "Subnets[0].SubnetId", "--output", "text")))
	}
	start := time.Now()
	e.Run("aws", append([]string{"eks", "create-nodegroup", "--cluster-name", name, "--nodegroup-name", "spread", "--node-role", e.NodeRole("agentsNode"),
		"--scaling-config", "minSize=2,maxSize=2,desiredSize=2", "--subnets"}, subnets...)...)
	e.Run("aws", "eks", "wait", "nodegroup-active", "--cluster-name", name, "--nodegroup-name", "spread")
	harness.Eventually(t, 3*time.Minute, "both nodes Ready", func() error {
		out, err := e.Try("kubectl", "get", "nodes", "-o", `jsonpath={range .items[*]}{.metadata.labels.topology\.kubernetes\.io/zone}={.status.conditions[?(@.type=="Ready")].status} {end}`)
		if err != nil || strings.Count(out, "=True") != 2 || !strings.Contains(out, "us-east-1a=True") || !strings.Contains(out, "us-east-1b=True") {
			return fmt.Errorf("nodes %q %v", out, err)
		}
		return nil
	})
	t.Logf("two nodes on two agent hosts Ready %s after create-nodegroup", time.Since(start).Round(time.Second))

	// Each instance runs on the agent host of its zone: its directory is
	// there, and none on keks's own host.
	ids := strings.Fields(e.Run("aws", "ec2", "describe-instances", "--filters", "Name=tag:eks:nodegroup-name,Values=spread", "Name=instance-state-name,Values=running",
		"--query", "Reservations[].Instances[].[InstanceId,Placement.AvailabilityZone]", "--output", "text"))
	if len(ids) != 4 {
		t.Fatalf("node group instances: %v", ids)
	}
	for i := 0; i < len(ids); i += 2 {
		id, zone := ids[i], ids[i+1]
		dir := agentDirs[0]
		if zone == zones[1] {
			dir = agentDirs[1]
		}
		if _, err := os.Stat(filepath.Join(dir, "instances", id)); err != nil {
			t.Errorf("instance %s of %s is not on the agent host of its zone: %v", id, zone, err)
		}
		if _, err := os.Stat(filepath.Join(e.Dir, "data", "instances", id)); err == nil {
			t.Errorf("instance %s also has a directory on keks's own host", id)
		}
	}

	// A pod on each node, its image from keks's registry through the
	// agent host's NAT, talking to the API server through the endpoint.
	waitDefaultServiceAccount(t, e, "default")
	for _, zone := range zones {
		pod := "hello-" + zone[len(zone)-1:]
		e.Run("kubectl", "run", pod, "--image=busybox", "--overrides", `{"spec":{"nodeSelector":{"topology.kubernetes.io/zone":"`+zone+`"}}}`,
			"--command", "--", "/bin/busybox", "sh", "-c", "echo hello from "+zone+"; exec /bin/busybox sleep 3600")
	}
	e.Run("kubectl", "wait", "--for=condition=Ready", "pod/hello-a", "pod/hello-b", "--timeout=120s")

	// The hosts share their VPC's subnets over VXLAN: the API server on
	// keks's host reaches each agent's kubelet (logs, exec), and the pods
	// on the two agent hosts reach each other.
	for _, zone := range zones {
		pod := "hello-" + zone[len(zone)-1:]
		if out, err := e.Try("kubectl", "logs", pod); err != nil || !strings.Contains(out, "hello from "+zone) {
			t.Errorf("logs of %s on the agent host of %s: %q %v", pod, zone, out, err)
		}
	}
	ipOf := func(pod string) string {
		return strings.TrimSpace(e.Run("kubectl", "get", "pod", pod, "-o", "jsonpath={.status.podIP}"))
	}
	for _, pair := range [][2]string{{"hello-a", "hello-b"}, {"hello-b", "hello-a"}} {
		if out, err := e.Try("kubectl", "exec", pair[0], "--", "/bin/busybox", "ping", "-c", "2", "-W", "3", ipOf(pair[1])); err != nil {
			t.Errorf("%s pings %s on the other agent host: %v\n%s", pair[0], pair[1], err, out)
		}
	}
	// Security groups hold on the agent hosts too: keks decides each
	// instance's rules and its agent applies them in its namespace. With
	// the cluster security group's rule for its own members narrowed to
	// the kubelet's port, the API server (the group's member on its
	// instances, as EKS's control-plane interfaces are) still execs in
	// the pods, but the pods on the two hosts no longer ping each other;
	// with the rule back, they do.
	for _, id := range []string{ids[0], ids[2]} {
		if out, err := exec.Command("ip", "netns", "exec", "keks-"+id, "iptables", "-w", "-S", "KEKS-SG-INGRESS").CombinedOutput(); err != nil || !strings.Contains(string(out), "-j DROP") {
			t.Errorf("security group chain of %s on its agent host: %v\n%s", id, err, out)
		}
	}
	clusterSG := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", name, "--query", "cluster.resourcesVpcConfig.clusterSecurityGroupId", "--output", "text"))
	self := "IpProtocol=-1,UserIdGroupPairs=[{GroupId=" + clusterSG + "}]"
	e.Run("aws", "ec2", "authorize-security-group-ingress", "--group-id", clusterSG, "--protocol", "tcp", "--port", "10250", "--source-group", clusterSG)
	e.Run("aws", "ec2", "revoke-security-group-ingress", "--group-id", clusterSG, "--ip-permissions", self)
	harness.Eventually(t, 30*time.Second, "pods on two agent hosts refused by the cluster security group", func() error {
		out, err := e.Try("kubectl", "exec", "hello-a", "--", "/bin/busybox", "ping", "-c", "1", "-W", "2", ipOf("hello-b"))
		if err == nil {
			return fmt.Errorf("ping still answered: %s", out)
		}
		if !strings.Contains(out, "0 packets received") {
			return fmt.Errorf("exec itself failed: %s", out)
		}
		return nil
	})
	e.Run("aws", "ec2", "authorize-security-group-ingress", "--group-id", clusterSG, "--ip-permissions", self)
	harness.Eventually(t, 30*time.Second, "pods on two agent hosts allowed again", func() error {
		_, err := e.Try("kubectl", "exec", "hello-a", "--", "/bin/busybox", "ping", "-c", "1", "-W", "2", ipOf("hello-b"))
		return err
	})

	// Full-size frames cross the segment too (the underlay carries or
	// fragments VXLAN's 50 bytes more): 4 MiB from a pod on one host to a
	// pod on the other arrive intact.
	e.Run("kubectl", "exec", "hello-b", "--", "/bin/busybox", "sh", "-c",
		"mkdir -p /tmp/www && /bin/busybox dd if=/dev/urandom of=/tmp/www/big bs=1024 count=4096 2>/dev/null && /bin/busybox httpd -p 8080 -h /tmp/www")
	sum := strings.Fields(e.Run("kubectl", "exec", "hello-b", "--", "/bin/busybox", "md5sum", "/tmp/www/big"))[0]
	got, err := e.Try("kubectl", "exec", "hello-a", "--", "/bin/busybox", "sh", "-c",
		"/bin/busybox wget -q -T 20 -O /tmp/big http://"+ipOf("hello-b")+":8080/big && /bin/busybox md5sum /tmp/big")
	if err != nil || !strings.HasPrefix(got, sum) {
		t.Errorf("4 MiB across the hosts: %q %v, want md5 %s", got, err, sum)
	}
	// A Service of type LoadBalancer in front of a pod on an agent host:
	// keks's load balancer, on keks's host, reaches its node over the
	// subnet's segment.
	e.Run("kubectl", "expose", "pod", "hello-b", "--name=hello-lb", "--type=LoadBalancer", "--port=80", "--target-port=8080")
	var lbAddr string
	harness.Eventually(t, 60*time.Second, "load balancer address", func() error {
		lbAddr = strings.TrimSpace(e.Run("kubectl", "get", "service", "hello-lb", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"))
		if lbAddr == "" {
			return fmt.Errorf("no ingress address yet")
		}
		return nil
	})
	harness.Eventually(t, 30*time.Second, "4 MiB through the load balancer", func() error {
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + lbAddr + "/big")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		h := md5.New()
		if _, err := io.Copy(h, resp.Body); err != nil {
			return err
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != sum {
			return fmt.Errorf("md5 %s, want %s", got, sum)
		}
		return nil
	})
	e.Run("kubectl", "delete", "service", "hello-lb")

	for _, id := range []string{ids[0], ids[2]} {
		if out, err := e.Try("aws", "ec2", "describe-instances", "--instance-ids", id, "--query", "Reservations[0].Instances[0].PrivateIpAddress", "--output", "text"); err == nil {
			// keks's host reaches the node's kubelet over the subnet's segment.
			c, err := net.DialTimeout("tcp", net.JoinHostPort(strings.TrimSpace(out), "10250"), 5*time.Second)
			if err != nil {
				t.Errorf("keks's host does not reach the kubelet of %s at %s: %v", id, strings.TrimSpace(out), err)
			} else {
				_ = c.Close()
			}
		}
	}

	t.Run("EBS", func(t *testing.T) { agentEBS(t, e.With(t), name, agentDirs[1]) })

	// A private-only endpoint still admits the agents' nodes: agent hosts
	// route keks's control-plane networks, where the endpoint is, to keks
	// without NAT, so a node's connection comes from its VPC address. (Last:
	// kubectl on this host is refused from now on.)
	var d struct{ Cluster struct{ Endpoint string } }
	e.JSON(&d, "aws", "eks", "describe-cluster", "--name", name)
	ask := `(printf 'GET /version HTTP/1.0\r\n\r\n'; sleep 2) | busybox nc -w 3 ` + strings.TrimPrefix(d.Cluster.Endpoint, "https://") + ` 443`
	e.Run("aws", "eks", "update-cluster-config", "--name", name, "--resources-vpc-config", "endpointPublicAccess=false,endpointPrivateAccess=true")
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	harness.Eventually(t, time.Minute, "this host refused by the private-only endpoint", func() error {
		if out, _ := e.Try("sh", "-c", ask); strings.Contains(out, "HTTPS server") {
			return fmt.Errorf("still answered: %q", out)
		}
		return nil
	})
	for _, id := range []string{ids[0], ids[2]} {
		if out, _ := e.Try("ip", "netns", "exec", "keks-"+id, "sh", "-c", ask); !strings.Contains(out, "HTTPS server") {
			t.Errorf("node %s on an agent host asking the private-only endpoint got %q", id, out)
		}
	}

	// Deleting the group ends both instances on their hosts.
	e.Run("aws", "eks", "delete-nodegroup", "--cluster-name", name, "--nodegroup-name", "spread")
	e.Run("aws", "eks", "wait", "nodegroup-deleted", "--cluster-name", name, "--nodegroup-name", "spread")
	harness.Eventually(t, 90*time.Second, "instances gone from the agent hosts", func() error {
		for _, dir := range agentDirs {
			if m, _ := filepath.Glob(filepath.Join(dir, "instances", "i-*")); len(m) > 0 {
				return fmt.Errorf("left: %v", m)
			}
		}
		if out, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(out), "keks-i-") {
			return fmt.Errorf("instance namespaces left: %s", out)
		}
		return nil
	})
}

// agentEBS: a StatefulSet's gp3 volume in us-east-1b, whose node runs on
// that zone's agent host. While its pod runs the volume's bytes are on the
// agent host (its file under the agent's data directory, not keks's);
// scaled to none, the volume detaches and its bytes come back to keks;
// scaled up again, they travel back and the pod reads what it wrote.
func agentEBS(t *testing.T, e *harness.Env, cluster, agentDir string) {
	e.Run("aws", "eks", "create-addon", "--cluster-name", cluster, "--addon-name", "aws-ebs-csi-driver", "--service-account-role-arn", e.EBSCSIRole(cluster))
	e.Run("aws", "eks", "wait", "addon-active", "--cluster-name", cluster, "--addon-name", "aws-ebs-csi-driver")
	e.Run("kubectl", "create", "namespace", "ebs")
	// The storage test's StatefulSet, on the node of us-east-1b's agent host.
	manifest := strings.NewReplacer("REGISTRY", e.Registry(), "nodeSelector: {storage: ebs}", "nodeSelector: {topology.kubernetes.io/zone: us-east-1b}").Replace(storageManifest)
	if !strings.Contains(manifest, "us-east-1b") {
		t.Fatal("the storage test's manifest has no node selector to replace")
	}
	e.Run("kubectl", "apply", "-f", writeManifest(t, manifest))
	start := time.Now()
	e.Run("kubectl", "-n", "ebs", "wait", "--for=condition=Ready", "pod/db-0", "--timeout=180s")
	t.Logf("a pod on an agent host with a new gp3 volume Ready %s after apply", time.Since(start).Round(100*time.Millisecond))
	volume := func() (id, state string) {
		out := strings.Fields(e.Run("aws", "ec2", "describe-volumes", "--filters", "Name=tag:kubernetes.io/created-for/pvc/name,Values=data-db-0",
			"--query", "Volumes[0].[VolumeId,State]", "--output", "text"))
		if len(out) != 2 {
			t.Fatalf("describe-volumes for data-db-0: %v", out)
		}
		return out[0], out[1]
	}
	id, state := volume()
	onAgent := filepath.Join(agentDir, "volumes", id+".img")
	atHome := filepath.Join(e.Dir, "data", "ebs", "volumes", id+".img")
	where := func() string {
		_, agentErr := os.Stat(onAgent)
		_, homeErr := os.Stat(atHome)
		return fmt.Sprintf("on the agent host: %v, on keks's host: %v", agentErr == nil, homeErr == nil)
	}
	if _, err := os.Stat(onAgent); state != "in-use" || err != nil {
		t.Errorf("%s is %s; %s", id, state, where())
	}
	if out := e.Run("kubectl", "-n", "ebs", "exec", "db-0", "--", "cat", "/data/written"); strings.TrimSpace(out) != "kept" {
		t.Fatalf("the file db-0 wrote: %q", out)
	}

	e.Run("kubectl", "-n", "ebs", "scale", "statefulset", "db", "--replicas=0")
	start = time.Now()
	harness.Eventually(t, 3*time.Minute, "the volume detached and its bytes back on keks's host", func() error {
		_, onAgentErr := os.Stat(onAgent)
		if _, state := volume(); state != "available" || !os.IsNotExist(onAgentErr) {
			return fmt.Errorf("%s is %s; %s", id, state, where())
		}
		if _, err := os.Stat(atHome); err != nil {
			return err
		}
		return nil
	})
	t.Logf("detached and back on keks's host %s after the scale-down", time.Since(start).Round(100*time.Millisecond))

	e.Run("kubectl", "-n", "ebs", "scale", "statefulset", "db", "--replicas=1")
	e.Run("kubectl", "-n", "ebs", "wait", "--for=condition=Ready", "pod/db-0", "--timeout=180s")
	if out := e.Run("kubectl", "-n", "ebs", "exec", "db-0", "--", "cat", "/data/written"); strings.TrimSpace(out) != "kept" {
		t.Errorf("after its bytes travelled back, db-0 reads %q", out)
	}
	if _, err := os.Stat(onAgent); err != nil {
		t.Errorf("attached again, %s", where())
	}

	// The claim's deletion deletes the volume once it is home again.
	e.Run("kubectl", "delete", "namespace", "ebs")
	harness.Eventually(t, 3*time.Minute, "the volume deleted", func() error {
		out := strings.TrimSpace(e.Run("aws", "ec2", "describe-volumes", "--filters", "Name=tag:kubernetes.io/created-for/pvc/name,Values=data-db-0",
			"--query", "Volumes[].VolumeId", "--output", "text"))
		if out != "" {
			return fmt.Errorf("volumes left: %s; %s", out, where())
		}
		return nil
	})
	e.Run("aws", "eks", "delete-addon", "--cluster-name", cluster, "--addon-name", "aws-ebs-csi-driver")
}
