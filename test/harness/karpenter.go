package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// InstallKarpenter gives the cluster the karpenter add-on, its controller a
// role (IRSA) that may do what Karpenter does, and Karpenter's
// getting-started EC2NodeClass and NodePool "default" (the AL2023 alias,
// the cluster's private subnets and security group, small on-demand types,
// nodes of nodeRole), and waits for the node class to be Ready.
func (e *Env) InstallKarpenter(cluster, nodeRole string) {
	e.t.Helper()
	role := e.IRSARole(cluster, "kube-system", "karpenter", "KarpenterControllerRole")
	e.Run("aws", "iam", "put-role-policy", "--role-name", "KarpenterControllerRole", "--policy-name", "karpenter", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:*","ssm:GetParameter","eks:DescribeCluster","iam:GetInstanceProfile","iam:CreateInstanceProfile",`+
			`"iam:TagInstanceProfile","iam:AddRoleToInstanceProfile","iam:RemoveRoleFromInstanceProfile","iam:DeleteInstanceProfile","iam:ListInstanceProfiles","iam:PassRole","pricing:GetProducts"],"Resource":"*"}]}`)
	e.Run("aws", "eks", "create-addon", "--cluster-name", cluster, "--addon-name", "karpenter", "--service-account-role-arn", role)
	e.Run("aws", "eks", "wait", "addon-active", "--cluster-name", cluster, "--addon-name", "karpenter")
	sg := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", cluster, "--query", "cluster.resourcesVpcConfig.clusterSecurityGroupId", "--output", "text"))
	var subnets []string
	for _, s := range e.PrivateSubnets() {
		subnets = append(subnets, "    - id: "+s)
	}
	e.Apply(fmt.Sprintf(karpenterNodePool, nodeRole, strings.Join(subnets, "\n"), sg))
	if err := Within(2*time.Minute, func() error {
		if st := e.Run("kubectl", "get", "ec2nodeclass", "default", "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`); st != "True" {
			return fmt.Errorf("Ready=%q: %s", st, e.Run("kubectl", "get", "ec2nodeclass", "default", "-o", "jsonpath={.status.conditions}"))
		}
		return nil
	}); err != nil {
		e.t.Fatalf("EC2NodeClass: %v", err)
	}
}

// KarpenterNodesGone is nil once no node of NodePool "default" is left in
// the cluster and no instance Karpenter launched is still pending, running
// or stopping: its nodes consolidated away and their instances terminated.
func (e *Env) KarpenterNodesGone() error {
	if n := strings.TrimSpace(e.Run("kubectl", "get", "nodes", "-l", "karpenter.sh/nodepool=default", "-o", "name")); n != "" {
		return fmt.Errorf("nodes %s", n)
	}
	if left := strings.TrimSpace(e.Run("aws", "ec2", "describe-instances", "--filters", "Name=tag-key,Values=karpenter.sh/nodepool",
		"Name=instance-state-name,Values=pending,running,stopping", "--query", "Reservations[].Instances[].InstanceId", "--output", "text")); left != "" {
		return fmt.Errorf("instances %s", left)
	}
	return nil
}

// Apply is `kubectl apply` of a manifest.
func (e *Env) Apply(manifest string) {
	e.t.Helper()
	f, err := os.CreateTemp(e.Dir, "manifest-*.yaml")
	if err != nil {
		e.t.Fatal(err)
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(manifest); err != nil {
		e.t.Fatal(err)
	}
	f.Close()
	e.Run("kubectl", "apply", "-f", filepath.Clean(f.Name()))
}

// karpenterNodePool is Karpenter's getting-started NodePool and
// EC2NodeClass: the EKS-optimized AL2023 image by its SSM alias.
const karpenterNodePool = `apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata:
  name: default
spec:
  role: %s
  amiSelectorTerms:
  - alias: al2023@latest
  subnetSelectorTerms:
%s
  securityGroupSelectorTerms:
  - id: %s
---
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: default
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements:
      - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}
      - {key: node.kubernetes.io/instance-type, operator: In, values: [t3.small, t3.medium]}
      expireAfter: 720h
  limits:
    cpu: "8"
  disruption:
    consolidationPolicy: WhenEmptyOrUnderutilized
    consolidateAfter: 5s
`

// Inflate is Karpenter's getting-started Deployment: replicas that each
// ask for half a CPU, held to Karpenter's nodes, of an image of registry.
func Inflate(registry string, replicas int) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: inflate
spec:
  replicas: %d
  selector:
    matchLabels: {app: inflate}
  template:
    metadata:
      labels: {app: inflate}
    spec:
      nodeSelector: {karpenter.sh/nodepool: default}
      terminationGracePeriodSeconds: 0
      containers:
      - name: inflate
        image: %s/keks/hello:latest
        resources:
          requests: {cpu: 500m}
`, replicas, registry)
}
