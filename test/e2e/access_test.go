package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// TestClusterAccess is access to a cluster as on EKS, with the AWS CLI and
// kubectl: IAM decides who may call EKS; access entries and their access
// policies decide who may do what inside the cluster (the creator through
// its bootstrap entry, a namespace-scoped viewer); aws-auth maps users
// while the mode reads it, and not after the one-way move to API; a
// private-only endpoint answers pods in the VPC and not the host.
func TestClusterAccess(t *testing.T) {
	e := harness.New(t)
	const name = "access"
	role := e.ClusterRole("eksAccessRole")
	e.Run("aws", "eks", "create-cluster", "--name", name, "--role-arn", role,
		"--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","),
		"--access-config", "authenticationMode=API_AND_CONFIG_MAP")
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	e.Run("aws", "eks", "update-kubeconfig", "--name", name)
	// A node for the endpoint's private side at the end; it comes up meanwhile.
	e.Run("aws", append([]string{"eks", "create-nodegroup", "--cluster-name", name, "--nodegroup-name", "one", "--node-role", e.NodeRole("accessNodeRole"),
		"--scaling-config", "minSize=1,maxSize=1,desiredSize=1", "--subnets"}, e.PrivateSubnets()...)...)

	// The creator is no system:master here: its bootstrap access entry's
	// AmazonEKSClusterAdminPolicy lets it in.
	var entries struct{ AccessEntries []string }
	e.JSON(&entries, "aws", "eks", "list-access-entries", "--cluster-name", name)
	// The creator's, and the node role's that create-nodegroup made (EKS makes it too).
	if got := strings.Join(entries.AccessEntries, " "); len(entries.AccessEntries) != 2 ||
		!strings.Contains(got, ":user/admin") || !strings.Contains(got, ":role/accessNodeRole") {
		t.Fatalf("access entries of a new cluster: %v", entries.AccessEntries)
	}
	groups := e.Run("kubectl", "auth", "whoami", "-o", "jsonpath={.status.userInfo.groups}")
	if strings.Contains(groups, "system:masters") {
		t.Fatalf("the creator is in system:masters in API_AND_CONFIG_MAP mode: %s", groups)
	}
	e.Run("kubectl", "create", "namespace", "team-a")
	e.Run("kubectl", "-n", "team-a", "create", "configmap", "hello", "--from-literal=k=v")

	// IAM: a user who may only describe the cluster.
	describeOnly := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks:DescribeCluster","eks:ListClusters"],"Resource":"*"}]}`
	dev, devARN := e.NewUser("dev", describeOnly)
	if _, err := dev.Try("aws", "eks", "delete-cluster", "--name", name); err == nil || !strings.Contains(err.Error(), "AccessDeniedException") {
		t.Fatalf("a describe-only user deleting the cluster: %v", err)
	}
	dev.Run("aws", "eks", "update-kubeconfig", "--name", name)
	if _, err := dev.Try("kubectl", "get", "pods"); !refusedAs401(err) {
		t.Fatalf("kubectl of a user without an access entry: %v", err)
	}

	// An access entry with AmazonEKSViewPolicy on team-a only.
	e.Run("aws", "eks", "create-access-entry", "--cluster-name", name, "--principal-arn", devARN)
	e.Run("aws", "eks", "associate-access-policy", "--cluster-name", name, "--principal-arn", devARN,
		"--policy-arn", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "--access-scope", "type=namespace,namespaces=team-a")
	harness.Eventually(t, time.Minute, "the viewer lists config maps in team-a", func() error {
		_, err := dev.Try("kubectl", "-n", "team-a", "get", "configmap", "hello")
		return err
	})
	for _, args := range [][]string{
		{"-n", "default", "get", "configmaps"},
		{"get", "nodes"},
		{"-n", "team-a", "delete", "configmap", "hello"},
		{"-n", "team-a", "get", "secrets"},
	} {
		if _, err := dev.Try("kubectl", args...); err == nil || !strings.Contains(err.Error(), "Forbidden") {
			t.Fatalf("viewer: kubectl %v: want Forbidden, got %v", args, err)
		}
	}

	// aws-auth maps a user while the mode reads the ConfigMap.
	ops, opsARN := e.NewUser("ops", describeOnly)
	ops.Run("aws", "eks", "update-kubeconfig", "--name", name)
	awsAuth := filepath.Join(e.Dir, "aws-auth.yaml")
	if err := os.WriteFile(awsAuth, []byte(fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata: {name: aws-auth, namespace: kube-system}
data:
  mapUsers: |
    - userarn: %s
      username: ops
      groups: [system:masters]
`, opsARN)), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Run("kubectl", "apply", "-f", awsAuth)
	harness.Eventually(t, time.Minute, "aws-auth's user reaches the cluster", func() error {
		out, err := ops.Try("kubectl", "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
		if err == nil && out != "ops" {
			return fmt.Errorf("mapped to %q", out)
		}
		return err
	})

	// The one-way move to API: aws-auth no longer counts; entries still do.
	if _, err := e.Try("aws", "eks", "update-cluster-config", "--name", name, "--access-config", "authenticationMode=CONFIG_MAP"); err == nil {
		t.Fatal("authentication mode moved backwards")
	}
	e.Run("aws", "eks", "update-cluster-config", "--name", name, "--access-config", "authenticationMode=API")
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	harness.Eventually(t, time.Minute, "aws-auth's user is refused in API mode", func() error {
		if _, err := ops.Try("kubectl", "get", "pods"); !refusedAs401(err) {
			return fmt.Errorf("still let in: %v", err)
		}
		return nil
	})
	if _, err := dev.Try("kubectl", "-n", "team-a", "get", "configmap", "hello"); err != nil {
		t.Fatalf("the viewer's entry after the move to API: %v", err)
	}

	endpointAccess(t, e, name)
}

// endpointAccess turns public access off and private access on: the
// endpoint then refuses the host and answers a pod of the cluster's VPC.
func endpointAccess(t *testing.T, e *harness.Env, name string) {
	e.Run("aws", "eks", "wait", "nodegroup-active", "--cluster-name", name, "--nodegroup-name", "one")
	e.Run("kubectl", "run", "probe", "--image=busybox", "--command", "--", "/bin/busybox", "sleep", "3600")
	e.Run("kubectl", "wait", "--for=condition=Ready", "pod/probe", "--timeout=90s")
	metadataHopLimit(t, e)
	var d struct{ Cluster struct{ Endpoint string } }
	e.JSON(&d, "aws", "eks", "describe-cluster", "--name", name)
	version := d.Cluster.Endpoint + "/version"
	if _, err := e.Try("curl", "-sfk", "--max-time", "5", version); err != nil {
		t.Fatalf("the public endpoint from the host: %v", err)
	}
	e.Run("aws", "eks", "update-cluster-config", "--name", name, "--resources-vpc-config", "endpointPublicAccess=false,endpointPrivateAccess=true")
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	harness.Eventually(t, time.Minute, "the host is refused by a private-only endpoint", func() error {
		if _, err := e.Try("curl", "-sfk", "--max-time", "5", version); err == nil {
			return fmt.Errorf("%s still answers the host", version)
		}
		return nil
	})
	if _, err := e.Try("kubectl", "get", "pods"); err == nil {
		t.Fatal("kubectl on the host reached a private-only endpoint")
	}
	// Only through an API server instance itself (no user has that way in)
	// can the test still ask the pod to try.
	admin, _ := filepath.Glob(filepath.Join(e.Dir, "data", "clusters", "*", "kubeconfig", "keks-admin.kubeconfig"))
	var apiServer string
	for _, in := range e.Instances(name) {
		if in.Role == "kube-apiserver" {
			apiServer = in.Address
		}
	}
	if len(admin) != 1 || apiServer == "" {
		t.Fatalf("admin kubeconfig %v, API server %q", admin, apiServer)
	}
	// Plain HTTP to the endpoint's TLS port: an API server behind it answers
	// "400 ... HTTP request to an HTTPS server"; a refusing endpoint, nothing.
	host := strings.TrimPrefix(d.Cluster.Endpoint, "https://")
	ask := `(printf 'GET /version HTTP/1.0\r\n\r\n'; sleep 2) | busybox nc -w 3 ` + host + ` 443`
	out, _ := e.Try("kubectl", "--kubeconfig", admin[0], "--server", "https://"+apiServer+":443", "exec", "probe", "--", "/bin/busybox", "sh", "-c", ask)
	if !strings.Contains(out, "HTTPS server") {
		t.Fatalf("a pod asking the private endpoint got %q", out)
	}
	if out, _ := e.Try("sh", "-c", ask); strings.Contains(out, "HTTPS server") {
		t.Fatalf("the host reached the private endpoint: %q", out)
	}
}

// metadataHopLimit: the node gets an IMDSv2 token from 169.254.169.254;
// the pod on it, one routing hop further, never sees the answer (its
// packets leave with TTL 1), and IMDSv1 is off.
func metadataHopLimit(t *testing.T, e *harness.Env) {
	providerID := e.Run("kubectl", "get", "nodes", "-o", "jsonpath={.items[0].spec.providerID}")
	instanceID := providerID[strings.LastIndex(providerID, "/")+1:]
	const put = `(printf 'PUT /latest/api/token HTTP/1.0\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\n\r\n'; sleep 2) | busybox nc -w 3 169.254.169.254 80`
	if out := e.Run("ip", "netns", "exec", "keks-"+instanceID, "sh", "-c", put); !strings.Contains(out, " 200 ") {
		t.Fatalf("a token on the node: %q", out)
	}
	if out, _ := e.Try("kubectl", "exec", "probe", "--", "/bin/busybox", "sh", "-c", put); strings.Contains(out, " 200 ") {
		t.Fatalf("a pod got a metadata token: %q", out)
	}
	const get = `(printf 'GET /latest/meta-data/iam/security-credentials/ HTTP/1.0\r\n\r\n'; sleep 2) | busybox nc -w 3 169.254.169.254 80`
	if out := e.Run("ip", "netns", "exec", "keks-"+instanceID, "sh", "-c", get); !strings.Contains(out, " 401 ") {
		t.Fatalf("IMDSv1 on the node: %q", out)
	}
}

// refusedAs401 tells whether kubectl failed because the API server answered
// 401. kubectl words it two ways: "Unauthorized" (the Status's message, when
// the refused request is an API call) or "the server has asked for the
// client to provide credentials" (when discovery is refused first, as it is
// with no discovery cache of the server yet).
func refusedAs401(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "Unauthorized") || strings.Contains(err.Error(), "asked for the client to provide credentials"))
}
