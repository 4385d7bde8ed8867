package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// TestSecurityGroups runs two clusters in the default VPC, one node each:
// a pod of cluster A cannot reach the kubelet of cluster B's node, which
// only B's cluster security group may reach, until a rule lets A's group
// in (taking effect within seconds), and cannot again once it is revoked.
func TestSecurityGroups(t *testing.T) {
	e := harness.New(t)
	clusters := []string{"sga", "sgb"}
	role := e.ClusterRole("sgClusterRole")
	nodeRole := e.NodeRole("sgNodeRole")
	for _, c := range clusters {
		e.Run("aws", "eks", "create-cluster", "--name", c, "--role-arn", role, "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	}
	group := map[string]string{}
	for _, c := range clusters {
		e.Run("aws", "eks", "wait", "cluster-active", "--name", c)
		e.Run("aws", "eks", "update-kubeconfig", "--name", c, "--alias", c)
		group[c] = strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", c, "--query", "cluster.resourcesVpcConfig.clusterSecurityGroupId", "--output", "text"))
		e.Run("aws", append([]string{"eks", "create-nodegroup", "--cluster-name", c, "--nodegroup-name", "one", "--node-role", nodeRole,
			"--instance-types", "t3.small", "--scaling-config", "minSize=1,maxSize=1,desiredSize=1", "--subnets"}, e.PrivateSubnets()...)...)
	}
	for _, c := range clusters {
		e.Run("aws", "eks", "wait", "nodegroup-active", "--cluster-name", c, "--nodegroup-name", "one")
	}

	// EKS's cluster security group: all traffic from itself, all traffic out.
	rules := e.Run("aws", "ec2", "describe-security-group-rules", "--filters", "Name=group-id,Values="+group["sgb"],
		"--query", "SecurityGroupRules[].[IsEgress,IpProtocol,CidrIpv4,ReferencedGroupInfo.GroupId]", "--output", "text")
	if !strings.Contains(rules, "False\t-1\tNone\t"+group["sgb"]) || !strings.Contains(rules, "True\t-1\t0.0.0.0/0\tNone") {
		t.Fatalf("cluster security group rules:\n%s", rules)
	}
	// B's node carries B's cluster security group.
	out := strings.Fields(e.Run("aws", "ec2", "describe-instances", "--filters", "Name=tag:eks:cluster-name,Values=sgb", "Name=instance-state-name,Values=running",
		"--query", "Reservations[0].Instances[0].[PrivateIpAddress,SecurityGroups[0].GroupId,InstanceId]", "--output", "text"))
	if len(out) != 3 || out[1] != group["sgb"] {
		t.Fatalf("cluster B's node: %v, want its group %s", out, group["sgb"])
	}
	nodeB, instanceB := out[0], out[2]
	if _, err := e.Try("aws", "ec2", "delete-security-group", "--group-id", group["sgb"]); err == nil || !strings.Contains(err.Error(), "DependencyViolation") {
		t.Errorf("deleting a group an instance carries: %v", err)
	}

	e.Run("kubectl", "--context", "sga", "run", "probe", "--image=busybox", "--command", "--", "/bin/busybox", "sleep", "3600")
	e.Run("kubectl", "--context", "sga", "wait", "--for=condition=Ready", "pod/probe", "--timeout=90s")
	reaches := func() bool {
		out, _ := e.Try("kubectl", "--context", "sga", "exec", "probe", "--", "/bin/busybox", "sh", "-c",
			"if /bin/busybox nc -w 2 "+nodeB+" 10250 </dev/null; then echo CONNECTED; else echo REFUSED; fi")
		return strings.Contains(out, "CONNECTED")
	}
	if reaches() {
		t.Fatalf("a pod of cluster A reaches the kubelet of cluster B's node %s, which B's security group does not allow", nodeB)
	}

	e.Run("aws", "ec2", "authorize-security-group-ingress", "--group-id", group["sgb"], "--protocol", "tcp", "--port", "10250", "--source-group", group["sga"])
	start := time.Now()
	harness.Eventually(t, 15*time.Second, "cluster A's pod reaches B's kubelet", func() error {
		if !reaches() {
			return fmt.Errorf("refused")
		}
		return nil
	})
	t.Logf("rule took effect within %s", time.Since(start).Round(100*time.Millisecond))

	e.Run("aws", "ec2", "revoke-security-group-ingress", "--group-id", group["sgb"], "--protocol", "tcp", "--port", "10250", "--source-group", group["sga"])
	harness.Eventually(t, 15*time.Second, "cluster A's pod refused again", func() error {
		if reaches() {
			return fmt.Errorf("still connects")
		}
		return nil
	})
	// Within cluster B all still works: logs and exec through B's kubelet.
	e.Run("kubectl", "--context", "sgb", "run", "hello", "--image=busybox", "--command", "--", "/bin/busybox", "sh", "-c", "echo hello; exec /bin/busybox sleep 3600")
	e.Run("kubectl", "--context", "sgb", "wait", "--for=condition=Ready", "pod/hello", "--timeout=90s")
	if logs := e.Run("kubectl", "--context", "sgb", "logs", "hello"); !strings.Contains(logs, "hello") {
		t.Errorf("logs through B's kubelet: %q", logs)
	}
	// The host (here: this test's nc, from the subnet's gateway address)
	// counts as a member of B's cluster security group on B's node.
	if out, err := e.Try("sh", "-c", "if busybox nc -w 2 "+nodeB+" 10250 </dev/null || nc -w 2 "+nodeB+" 10250 </dev/null; then echo CONNECTED; fi"); !strings.Contains(out, "CONNECTED") {
		t.Errorf("the host does not reach B's kubelet: %q %v", out, err)
	}
	// Which sources the traffic came from: the counters of B's node's chain.
	t.Logf("B's node's chain:\n%s", e.Run("ip", "netns", "exec", "keks-"+instanceB, "iptables", "-w", "-L", "KEKS-SG-INGRESS", "-v", "-n", "-x"))
}
