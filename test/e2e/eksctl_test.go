package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// TestEksctlFlow is issue 14's seed 001 with keks's eksctl: `keks create
// cluster` on the default VPC's public subnets with SSH access and
// external-dns's policies, then what the seed looks at: the stacks, the
// node role's managed and inline policies, the security groups, the
// endpoint's unauthenticated /version, SSH to a node; and `keks delete
// cluster --wait` leaving nothing.
func TestEksctlFlow(t *testing.T) {
	e := harness.New(t)
	const name = "myeks"
	const ng = name + "-nodegroup"
	region := strings.TrimSpace(e.Run("aws", "configure", "get", "region"))
	public := strings.Fields(e.Run("aws", "ec2", "describe-subnets", "--filters", "Name=map-public-ip-on-launch,Values=true",
		"--query", "Subnets[].SubnetId", "--output", "text"))
	if len(public) < 2 {
		t.Fatalf("the default VPC has %d public subnets, the seed needs 2", len(public))
	}
	key := filepath.Join(t.TempDir(), "id_ed25519")
	e.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)

	// The seed's command line, with keks's Kubernetes version.
	out, err := e.TryFor(45*time.Minute, e.Keks, "create", "cluster", "--name", name, "--region="+region,
		"--nodegroup-name="+ng, "--node-type=t3.medium", "--node-volume-size=30",
		"--vpc-public-subnets", public[0]+","+public[1], "--version", "1.37",
		"--ssh-access", "--ssh-public-key", key+".pub", "--external-dns-access", "--verbose", "4")
	if err != nil {
		t.Fatalf("keks create cluster: %v\n%s", err, out)
	}
	for _, line := range []string{
		`[ℹ]  using region ` + region,
		`[ℹ]  nodegroup "` + ng + `" will use "" [AmazonLinux2023/1.37]`,
		`[ℹ]  deploying stack "eksctl-` + name + `-cluster"`,
		`[ℹ]  waiting for CloudFormation stack "eksctl-` + name + `-nodegroup-` + ng + `"`,
		`[▶]  AWS::EKS::Cluster/ControlPlane: CREATE_COMPLETE`,
		`[✔]  saved kubeconfig as`,
		`[✔]  all EKS cluster resources for "` + name + `" have been created`,
		`[ℹ]  nodegroup "` + ng + `" has 2 node(s)`,
		`[✔]  EKS cluster "` + name + `" in "` + region + `" region is ready`,
	} {
		if !strings.Contains(out, line) {
			t.Errorf("create cluster's output lacks %q", line)
		}
	}
	if t.Failed() {
		t.Fatalf("output:\n%s", out)
	}

	// The stacks eksctl made.
	stacks := e.Run("aws", "cloudformation", "describe-stacks", "--query", "Stacks[].[StackName,StackStatus]", "--output", "text")
	for _, s := range []string{"eksctl-" + name + "-cluster\tCREATE_COMPLETE", "eksctl-" + name + "-nodegroup-" + ng + "\tCREATE_COMPLETE"} {
		if !strings.Contains(stacks, s) {
			t.Errorf("stacks lack %q:\n%s", s, stacks)
		}
	}

	// The node role: eksctl's four managed policies and external-dns's two inline ones.
	role := strings.TrimSpace(e.Run("aws", "cloudformation", "list-stack-resources", "--stack-name", "eksctl-"+name+"-nodegroup-"+ng,
		"--query", "StackResourceSummaries[?LogicalResourceId=='NodeInstanceRole'].PhysicalResourceId", "--output", "text"))
	if !strings.HasPrefix(role, "eksctl-"+name+"-nodegroup-") || !strings.Contains(role, "NodeInstanceRole") {
		t.Errorf("node role name %q is not eksctl-<cluster>-nodegroup-<ng>-NodeInstanceRole-...", role)
	}
	attached := e.Run("aws", "iam", "list-attached-role-policies", "--role-name", role, "--query", "AttachedPolicies[].PolicyName", "--output", "text")
	for _, p := range []string{"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly", "AmazonSSMManagedInstanceCore"} {
		if !strings.Contains(attached, p) {
			t.Errorf("node role lacks %s: %s", p, attached)
		}
	}
	inline := strings.Fields(e.Run("aws", "iam", "list-role-policies", "--role-name", role, "--query", "PolicyNames", "--output", "text"))
	if len(inline) != 2 {
		t.Errorf("inline policies = %v, want external-dns's two", inline)
	}
	var docs string
	for _, p := range inline {
		docs += e.Run("aws", "iam", "get-role-policy", "--role-name", role, "--policy-name", p)
	}
	for _, action := range []string{"route53:ChangeResourceRecordSets", "route53:ListHostedZones", "route53:ListResourceRecordSets", "route53:ListTagsForResource", "arn:aws:route53:::hostedzone/*"} {
		if !strings.Contains(docs, action) {
			t.Errorf("inline policies lack %s:\n%s", action, docs)
		}
	}

	// The security groups the seed lists.
	groups := e.Run("aws", "ec2", "describe-security-groups", "--query", "SecurityGroups[].GroupName", "--output", "text")
	for _, prefix := range []string{
		"eksctl-" + name + "-cluster-ControlPlaneSecurityGroup",
		"eksctl-" + name + "-cluster-ClusterSharedNodeSecurityGroup",
		"eksctl-" + name + "-nodegroup-" + ng + "-remoteAccess",
		"eks-cluster-sg-" + name + "-",
	} {
		if !strings.Contains(groups, prefix) {
			t.Errorf("no security group %s...: %s", prefix, groups)
		}
	}
	ssh := e.Run("aws", "ec2", "describe-security-groups", "--filters", "Name=group-name,Values=eksctl-"+name+"-nodegroup-"+ng+"-remoteAccess",
		"--query", "SecurityGroups[0].IpPermissions[0].[IpProtocol,FromPort,ToPort,IpRanges[0].CidrIp]", "--output", "text")
	if got := strings.Join(strings.Fields(ssh), " "); got != "tcp 22 22 0.0.0.0/0" {
		t.Errorf("remoteAccess rule = %q, want tcp 22 from 0.0.0.0/0", got)
	}

	// The endpoint answers /version to anyone.
	endpoint := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", name, "--query", "cluster.endpoint", "--output", "text"))
	if v := e.Run("curl", "-sk", endpoint+"/version"); !strings.Contains(v, `"gitVersion": "v1.37`) {
		t.Errorf("unauthenticated /version: %s", v)
	}

	// The nodes, and SSH to one with the key.
	nodes := strings.Fields(e.Run("kubectl", "get", "nodes", "-l", "eks.amazonaws.com/nodegroup="+ng, "-o", "jsonpath={.items[*].metadata.name}"))
	if len(nodes) != 2 {
		t.Fatalf("nodes = %v", nodes)
	}
	addr := strings.TrimSpace(e.Run("kubectl", "get", "node", nodes[0], "-o", `jsonpath={.status.addresses[?(@.type=="InternalIP")].address}`))
	host := e.Run("ssh", "-i", key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10", "ec2-user@"+addr, "hostname")
	if !strings.HasPrefix(nodes[0], strings.TrimSpace(host)) {
		t.Errorf("ssh hostname = %q, node %s", host, nodes[0])
	}

	// Security groups decide what reaches an instance: a self-managed node
	// whose only group has no inbound rule is closed to the host and to the
	// cluster's pods (dropped, so connections time out), and one rule
	// authorized with the AWS CLI opens its SSH at once.
	checkSecurityGroupEnforced(t, e, name, role, key, public[0])

	// eksctl's get commands.
	if got := e.Run(e.Keks, "get", "cluster"); !strings.Contains(got, name) || !strings.Contains(got, "True") {
		t.Errorf("get cluster:\n%s", got)
	}
	if got := e.Run(e.Keks, "get", "nodegroup", "--cluster", name); !strings.Contains(got, ng) || !strings.Contains(got, "t3.medium") {
		t.Errorf("get nodegroup:\n%s", got)
	}

	// Delete leaves nothing: stacks, cluster, key pair, groups, roles, host state.
	out, err = e.TryFor(30*time.Minute, e.Keks, "delete", "cluster", "--name", name, "--wait")
	if err != nil || !strings.Contains(out, "all cluster resources were deleted") {
		t.Fatalf("keks delete cluster: %v\n%s", err, out)
	}
	if s := e.Run("aws", "cloudformation", "describe-stacks", "--query", "Stacks[].StackName", "--output", "text"); strings.Contains(s, "eksctl-"+name) {
		t.Errorf("stacks left: %s", s)
	}
	if c := e.Run("aws", "eks", "list-clusters", "--query", "clusters", "--output", "text"); strings.Contains(c, name) {
		t.Errorf("cluster left: %s", c)
	}
	if k := e.Run("aws", "ec2", "describe-key-pairs", "--query", "KeyPairs[].KeyName", "--output", "text"); strings.Contains(k, "eksctl-"+name) {
		t.Errorf("key pairs left: %s", k)
	}
	if g := e.Run("aws", "ec2", "describe-security-groups", "--query", "SecurityGroups[].GroupName", "--output", "text"); strings.Contains(g, "eksctl-"+name) || strings.Contains(g, "eks-cluster-sg-"+name) {
		t.Errorf("security groups left: %s", g)
	}
	if r := e.Run("aws", "iam", "list-roles", "--query", "Roles[].RoleName", "--output", "text"); strings.Contains(r, "eksctl-"+name) {
		t.Errorf("roles left: %s", r)
	}
	harness.Eventually(t, 2*time.Minute, "nothing left on the host", func() error {
		if left := e.Leftovers(); len(left) > 0 {
			return &leftoverError{left}
		}
		return nil
	})
}

type leftoverError struct{ left []string }

func (l *leftoverError) Error() string { return strings.Join(l.left, "\n") }

// checkSecurityGroupEnforced starts a node of cluster in subnet with a
// security group of its own and key, then probes its port 22 from a pod
// and from the host before and after authorizing it.
func checkSecurityGroupEnforced(t *testing.T, e *harness.Env, cluster, nodeRole, key, subnet string) {
	t.Helper()
	vpc := strings.TrimSpace(e.Run("aws", "ec2", "describe-subnets", "--subnet-ids", subnet, "--query", "Subnets[0].VpcId", "--output", "text"))
	sg := strings.TrimSpace(e.Run("aws", "ec2", "create-security-group", "--group-name", cluster+"-closed", "--description", "no inbound rule", "--vpc-id", vpc, "--query", "GroupId", "--output", "text"))
	e.Run("aws", "ec2", "import-key-pair", "--key-name", cluster+"-closed", "--public-key-material", "fileb://"+key+".pub")
	out := strings.Fields(e.Run("aws", "ec2", "run-instances", "--image-id", "ami-keks", "--instance-type", "t3.small", "--subnet-id", subnet,
		"--security-group-ids", sg, "--key-name", cluster+"-closed", "--iam-instance-profile", "Name="+nodeRole,
		"--user-data", "#!/bin/bash\n/etc/eks/bootstrap.sh "+cluster+"\n",
		"--query", "Instances[0].[InstanceId,PrivateIpAddress,PrivateDnsName]", "--output", "text"))
	id, addr, node := out[0], out[1], out[2]
	harness.Eventually(t, 2*time.Minute, "the closed node registered", func() error {
		_, err := e.Try("kubectl", "get", "node", node)
		return err
	})
	e.Run("kubectl", "run", "sgprobe", "--image=busybox", "--command", "--", "/bin/busybox", "sleep", "3600")
	e.Run("kubectl", "wait", "--for=condition=Ready", "pod/sgprobe", "--timeout=90s")
	// OpenSSH's banner is what a connection that got through reads.
	probe := func() string {
		out, _ := e.Try("kubectl", "exec", "sgprobe", "--", "/bin/busybox", "sh", "-c", "/bin/busybox nc -w 3 "+addr+" 22 </dev/null")
		if strings.Contains(out, "SSH-2.0-") {
			return "CONNECTED"
		}
		return "CLOSED"
	}
	sshArgs := []string{"-i", key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=4", "ec2-user@" + addr, "hostname"}
	if got := probe(); got != "CLOSED" {
		t.Errorf("a pod reached port 22 of a node whose group allows nothing: %s", got)
	}
	if _, err := e.Try("ssh", sshArgs...); err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("ssh from the host to a node whose group allows nothing: %v (want a timeout: dropped, not refused)", err)
	}
	start := time.Now()
	e.Run("aws", "ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0")
	harness.Eventually(t, 30*time.Second, "ssh allowed by the new rule", func() error {
		host, err := e.Try("ssh", sshArgs...)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(node, strings.TrimSpace(host)) {
			return fmt.Errorf("hostname %q on node %s", host, node)
		}
		return nil
	})
	t.Logf("port 22 open %s after authorize-security-group-ingress", time.Since(start).Round(100*time.Millisecond))
	if got := probe(); got != "CONNECTED" {
		t.Errorf("a pod could not reach port 22 after it was opened to 0.0.0.0/0: %s", got)
	}
	e.Run("kubectl", "delete", "pod", "sgprobe", "--wait=false")
	e.Run("aws", "ec2", "terminate-instances", "--instance-ids", id)
	e.Run("aws", "ec2", "delete-key-pair", "--key-name", cluster+"-closed")
	harness.Eventually(t, 2*time.Minute, "the closed group deleted once its instance is gone", func() error {
		_, err := e.Try("aws", "ec2", "delete-security-group", "--group-id", sg)
		return err
	})
}
