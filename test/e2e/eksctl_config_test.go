package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// TestEksctlClusterConfig deploys an eksctl ClusterConfig in one command:
// the VPC eksctl makes (public and private subnets per zone, NAT gateway),
// a managed node group, a Fargate profile, an IRSA service account and two
// add-ons; a pod of the profile's namespace runs on Fargate, the service
// account carries its role, and `keks delete cluster --wait` leaves
// nothing, the VPC included.
func TestEksctlClusterConfig(t *testing.T) {
	e := harness.New(t)
	const name = "cfgeks"
	config := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(config, []byte(`apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata:
  name: `+name+`
  region: us-east-1
  version: "1.37"
iam:
  withOIDC: true
  serviceAccounts:
  - metadata: {name: s3-reader, namespace: default}
    attachPolicyARNs: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
managedNodeGroups:
- name: mng
  instanceType: t3.small
  desiredCapacity: 1
  privateNetworking: true
fargateProfiles:
- name: fp-jobs
  selectors:
  - namespace: jobs
addons:
- name: eks-pod-identity-agent
- name: metrics-server
`), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, err := e.TryFor(20*time.Minute, e.Keks, "create", "cluster", "-f", config)
	if err != nil {
		t.Fatalf("keks create cluster -f: %v\n%s", err, out)
	}
	t.Logf("ClusterConfig deployed in %s", time.Since(start).Round(time.Second))
	if !strings.Contains(out, `EKS cluster "`+name+`" in "us-east-1" region is ready`) {
		t.Errorf("create cluster's output:\n%s", out)
	}

	// The VPC eksctl makes: a public and a private subnet per zone, a NAT gateway.
	vpc := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", name, "--query", "cluster.resourcesVpcConfig.vpcId", "--output", "text"))
	subnets := strings.Fields(e.Run("aws", "ec2", "describe-subnets", "--filters", "Name=vpc-id,Values="+vpc, "--query", "Subnets[].CidrBlock", "--output", "text"))
	if len(subnets) < 4 || !strings.HasPrefix(subnets[0], "192.168.") {
		t.Errorf("the VPC's subnets: %v", subnets)
	}
	if nat := e.Run("aws", "ec2", "describe-nat-gateways", "--filter", "Name=vpc-id,Values="+vpc, "--query", "NatGateways[].State", "--output", "text"); !strings.Contains(nat, "available") {
		t.Errorf("NAT gateway: %q", nat)
	}
	stacks := e.Run("aws", "cloudformation", "describe-stacks", "--query", "Stacks[].[StackName,StackStatus]", "--output", "text")
	for _, s := range []string{"eksctl-" + name + "-cluster\tCREATE_COMPLETE", "eksctl-" + name + "-nodegroup-mng\tCREATE_COMPLETE",
		"eksctl-" + name + "-addon-iamserviceaccount-default-s3-reader\tCREATE_COMPLETE"} {
		if !strings.Contains(stacks, s) {
			t.Errorf("stacks lack %q:\n%s", s, stacks)
		}
	}
	// The cluster's default add-ons (vpc-cni, kube-proxy, coredns) come beside the two asked for.
	addons := strings.Fields(e.Run("aws", "eks", "list-addons", "--cluster-name", name, "--query", "addons", "--output", "text"))
	for _, want := range []string{"eks-pod-identity-agent", "metrics-server"} {
		if !slices.Contains(addons, want) {
			t.Errorf("add-ons %v lack %s", addons, want)
		}
	}
	if st := strings.TrimSpace(e.Run("aws", "eks", "describe-fargate-profile", "--cluster-name", name, "--fargate-profile-name", "fp-jobs", "--query", "fargateProfile.status", "--output", "text")); st != "ACTIVE" {
		t.Errorf("Fargate profile %s", st)
	}

	// IRSA: the service account names the role, which trusts the cluster's OIDC provider.
	roleARN := e.Run("kubectl", "get", "serviceaccount", "s3-reader", "-n", "default", "-o", `jsonpath={.metadata.annotations.eks\.amazonaws\.com/role-arn}`)
	if !strings.Contains(roleARN, ":role/") {
		t.Fatalf("s3-reader's role-arn annotation: %q", roleARN)
	}
	trust := e.Run("aws", "iam", "get-role", "--role-name", roleARN[strings.LastIndex(roleARN, "/")+1:], "--query", "Role.AssumeRolePolicyDocument")
	issuer := strings.TrimPrefix(strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", name, "--query", "cluster.identity.oidc.issuer", "--output", "text")), "https://")
	if !strings.Contains(trust, "oidc-provider/"+issuer) || !strings.Contains(trust, "system:serviceaccount:default:s3-reader") {
		t.Errorf("the role's trust policy does not name the cluster's provider and service account:\n%s", trust)
	}
	if nodes := strings.Fields(e.Run("kubectl", "get", "nodes", "-l", "eks.amazonaws.com/nodegroup=mng", "-o", "jsonpath={.items[*].metadata.name}")); len(nodes) != 1 {
		t.Errorf("mng's nodes: %v", nodes)
	}

	// A pod of the profile's namespace runs on a Fargate node of its own.
	e.Run("kubectl", "create", "namespace", "jobs")
	waitDefaultServiceAccount(t, e, "jobs")
	e.Run("kubectl", "run", "job", "-n", "jobs", "--image=busybox", "--command", "--", "/bin/busybox", "sleep", "3600")
	e.Run("kubectl", "wait", "-n", "jobs", "--for=condition=Ready", "pod/job", "--timeout=120s")
	if node := e.Run("kubectl", "get", "pod", "job", "-n", "jobs", "-o", "jsonpath={.spec.nodeName}"); !strings.HasPrefix(node, "fargate-") {
		t.Errorf("the jobs pod runs on %q, not a Fargate node", node)
	}
	e.Run("kubectl", "delete", "namespace", "jobs", "--wait=false")

	out, err = e.TryFor(20*time.Minute, e.Keks, "delete", "cluster", "--name", name, "--wait")
	if err != nil {
		t.Fatalf("keks delete cluster: %v\n%s", err, out)
	}
	if s := e.Run("aws", "cloudformation", "describe-stacks", "--query", "Stacks[].StackName", "--output", "text"); strings.Contains(s, "eksctl-"+name) {
		t.Errorf("stacks left: %s", s)
	}
	if v := e.Run("aws", "ec2", "describe-vpcs", "--query", "Vpcs[].VpcId", "--output", "text"); strings.Contains(v, vpc) {
		t.Errorf("VPC %s left", vpc)
	}
	if p := e.Run("aws", "iam", "list-open-id-connect-providers", "--output", "text"); strings.Contains(p, issuer) {
		t.Errorf("OIDC provider left: %s", p)
	}
	harness.Eventually(t, 2*time.Minute, "nothing left on the host", func() error {
		if left := e.Leftovers(); len(left) > 0 {
			return fmt.Errorf("%s", strings.Join(left, "\n"))
		}
		return nil
	})
}
