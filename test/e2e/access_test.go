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
// while the mode reads it, and not after the one-way move to API.
func TestClusterAccess(t *testing.T) {
	e := harness.New(t)
	const name = "access"
	role := e.ClusterRole("eksAccessRole")
	e.Run("aws", "eks", "create-cluster", "--name", name, "--role-arn", role,
		"--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","),
		"--access-config", "authenticationMode=API_AND_CONFIG_MAP")
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	e.Run("aws", "eks", "update-kubeconfig", "--name", name)

	// The creator is no system:master here: its bootstrap access entry's
	// AmazonEKSClusterAdminPolicy lets it in.
	var entries struct{ AccessEntries []string }
	e.JSON(&entries, "aws", "eks", "list-access-entries", "--cluster-name", name)
	if len(entries.AccessEntries) != 1 || !strings.HasSuffix(entries.AccessEntries[0], ":user/admin") {
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
	if _, err := dev.Try("kubectl", "get", "pods"); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
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
		if _, err := ops.Try("kubectl", "get", "pods"); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
			return fmt.Errorf("still let in: %v", err)
		}
		return nil
	})
	if _, err := dev.Try("kubectl", "-n", "team-a", "get", "configmap", "hello"); err != nil {
		t.Fatalf("the viewer's entry after the move to API: %v", err)
	}
}
