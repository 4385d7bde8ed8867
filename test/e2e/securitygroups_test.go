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
// in (taking effect within seconds), nor while A's group allows no
// outbound traffic, and cannot again once the rule is revoked.
func TestSecurityGroups(t *testing.T) {
	harness.Long(t, "two clusters, about 4 minutes; TestEksctlFlow checks a closed group and an authorized rule")
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

	// Outbound rules hold too: without A's allow-all egress rule, A's pod
	// cannot open the connection B now accepts; with it back, it can.
	e.Run("aws", "ec2", "revoke-security-group-egress", "--group-id", group["sga"], "--ip-permissions", "IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]")
	harness.Eventually(t, 15*time.Second, "cluster A's egress refused", func() error {
		if reaches() {
			return fmt.Errorf("still connects")
		}
		return nil
	})
	e.Run("aws", "ec2", "authorize-security-group-egress", "--group-id", group["sga"], "--ip-permissions", "IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]")
	harness.Eventually(t, 15*time.Second, "cluster A's egress allowed again", func() error {
		if !reaches() {
			return fmt.Errorf("refused")
		}
		return nil
	})

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

// TestSecurityGroupRulesWithAWSCLI drives the rules API with the AWS CLI
// alone (no cluster): authorize, describe (rules and groups, filters),
// EC2's errors, revoke by permission and by rule ID, and the dependencies
// that keep a group from being deleted.
func TestSecurityGroupRulesWithAWSCLI(t *testing.T) {
	e := harness.New(t)
	web := strings.TrimSpace(e.Run("aws", "ec2", "create-security-group", "--group-name", "web", "--description", "web servers", "--query", "GroupId", "--output", "text"))
	lb := strings.TrimSpace(e.Run("aws", "ec2", "create-security-group", "--group-name", "lb", "--description", "load balancers", "--query", "GroupId", "--output", "text"))

	e.Run("aws", "ec2", "authorize-security-group-ingress", "--group-id", web, "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0")
	ruleID := strings.TrimSpace(e.Run("aws", "ec2", "authorize-security-group-ingress", "--group-id", web, "--ip-permissions",
		`IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=10.0.0.0/8,Description=inside}],UserIdGroupPairs=[{GroupId=`+lb+`}]`,
		"--tag-specifications", "ResourceType=security-group-rule,Tags=[{Key=team,Value=web}]", "--query", "SecurityGroupRules[0].SecurityGroupRuleId", "--output", "text"))
	if !strings.HasPrefix(ruleID, "sgr-") {
		t.Fatalf("rule id %q", ruleID)
	}
	_, err := e.Try("aws", "ec2", "authorize-security-group-ingress", "--group-id", web, "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0")
	if err == nil || !strings.Contains(err.Error(), `(InvalidPermission.Duplicate)`) || !strings.Contains(err.Error(), `the specified rule "peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW" already exists`) {
		t.Errorf("duplicate rule: %v", err)
	}
	if _, err := e.Try("aws", "ec2", "authorize-security-group-ingress", "--group-id", web, "--protocol", "tcp", "--port", "443", "--source-group", "sg-00000000000000000"); err == nil || !strings.Contains(err.Error(), "InvalidGroup.NotFound") {
		t.Errorf("missing source group: %v", err)
	}

	perms := e.Run("aws", "ec2", "describe-security-groups", "--group-ids", web, "--query",
		"SecurityGroups[0].IpPermissions[].[IpProtocol,FromPort,ToPort,join(',',IpRanges[].CidrIp),join(',',UserIdGroupPairs[].GroupId)]", "--output", "text")
	if want := "tcp\t22\t22\t0.0.0.0/0\t\ntcp\t80\t80\t10.0.0.0/8\t" + lb + "\n"; perms != want {
		t.Errorf("ipPermissions:\n%q\nwant\n%q", perms, want)
	}
	if egress := e.Run("aws", "ec2", "describe-security-groups", "--group-ids", web, "--query", "SecurityGroups[0].IpPermissionsEgress[].[IpProtocol,IpRanges[0].CidrIp]", "--output", "text"); egress != "-1\t0.0.0.0/0\n" {
		t.Errorf("a new group's egress: %q", egress)
	}
	for filter, want := range map[string]string{
		"Name=ip-permission.group-id,Values=" + lb: web, "Name=ip-permission.from-port,Values=22": web, "Name=ip-permission.cidr,Values=10.0.0.0/8": web,
		"Name=ip-permission.protocol,Values=udp": "",
	} {
		if got := strings.TrimSpace(e.Run("aws", "ec2", "describe-security-groups", "--filters", filter, "--query", "SecurityGroups[].GroupId", "--output", "text")); got != want {
			t.Errorf("describe-security-groups --filters %s: %q, want %q", filter, got, want)
		}
	}
	if got := strings.TrimSpace(e.Run("aws", "ec2", "describe-security-group-rules", "--filters", "Name=tag:team,Values=web", "--query", "length(SecurityGroupRules)")); got != "2" {
		t.Errorf("rules tagged at creation: %s", got)
	}
	if got := strings.TrimSpace(e.Run("aws", "ec2", "describe-security-group-rules", "--security-group-rule-ids", ruleID, "--query", "SecurityGroupRules[0].[GroupId,IsEgress,CidrIpv4,Description]", "--output", "text")); got != web+"\tFalse\t10.0.0.0/8\tinside" {
		t.Errorf("describe-security-group-rules by id: %q", got)
	}

	if _, err := e.Try("aws", "ec2", "delete-security-group", "--group-id", lb); err == nil || !strings.Contains(err.Error(), "DependencyViolation") || !strings.Contains(err.Error(), "resource "+lb+" has a dependent object") {
		t.Errorf("deleting a group another group's rule names: %v", err)
	}
	e.Run("aws", "ec2", "revoke-security-group-ingress", "--group-id", web, "--ip-permissions", `IpProtocol=tcp,FromPort=80,ToPort=80,UserIdGroupPairs=[{GroupId=`+lb+`}]`)
	e.Run("aws", "ec2", "delete-security-group", "--group-id", lb)
	e.Run("aws", "ec2", "revoke-security-group-ingress", "--group-id", web, "--security-group-rule-ids", ruleID)
	if _, err := e.Try("aws", "ec2", "revoke-security-group-ingress", "--group-id", web, "--security-group-rule-ids", ruleID); err == nil || !strings.Contains(err.Error(), "InvalidSecurityGroupRuleId.NotFound") {
		t.Errorf("revoking a rule twice: %v", err)
	}
	if _, err := e.Try("aws", "ec2", "revoke-security-group-ingress", "--group-id", web, "--protocol", "udp", "--port", "53", "--cidr", "10.0.0.0/8"); err == nil || !strings.Contains(err.Error(), "InvalidPermission.NotFound") {
		t.Errorf("revoking a rule that is not there: %v", err)
	}
	if left := strings.TrimSpace(e.Run("aws", "ec2", "describe-security-group-rules", "--filters", "Name=group-id,Values="+web, "--query", "length(SecurityGroupRules)")); left != "2" {
		t.Errorf("rules left (ssh and the default egress): %s", left)
	}
	// The default VPC's default group allows all traffic from itself.
	self := e.Run("aws", "ec2", "describe-security-groups", "--filters", "Name=group-name,Values=default", "--query", "SecurityGroups[0].[GroupId,IpPermissions[0].IpProtocol,IpPermissions[0].UserIdGroupPairs[0].GroupId]", "--output", "text")
	if f := strings.Fields(self); len(f) != 3 || f[1] != "-1" || f[2] != f[0] {
		t.Errorf("the default group's inbound rule: %q", self)
	}
	e.Run("aws", "ec2", "delete-security-group", "--group-id", web)
}
