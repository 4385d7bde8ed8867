package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// podIdentity is EKS Pod Identity as its users set it up: the
// eks-pod-identity-agent add-on, a role trusting pods.eks.amazonaws.com
// (sts:AssumeRole and sts:TagSession) whose permission depends on a session
// tag EKS sets, associations of two service accounts with it, and pods of
// them running keks/aws-check, whose SDK gets credentials from the agent at
// 169.254.170.23.
func podIdentity(t *testing.T, e *harness.Env, cluster string) {
	e.Run("aws", "eks", "create-addon", "--cluster-name", cluster, "--addon-name", "eks-pod-identity-agent")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`
	var role struct{ Role struct{ Arn string } }
	e.JSON(&role, "aws", "iam", "create-role", "--role-name", "lab-pod-identity", "--assume-role-policy-document", trust)
	// Only the reader service account's sessions may list clusters.
	e.Run("aws", "iam", "put-role-policy", "--role-name", "lab-pod-identity", "--policy-name", "readers-list",
		"--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:ListClusters","Resource":"*",`+
			`"Condition":{"StringEquals":{"aws:PrincipalTag/kubernetes-service-account":"reader","aws:PrincipalTag/eks-cluster-name":"`+cluster+`"}}}]}`)
	e.Run("kubectl", "create", "namespace", "pi")
	var made struct {
		Association struct{ AssociationId, AssociationArn string }
	}
	for _, sa := range []string{"reader", "writer"} {
		e.Run("kubectl", "-n", "pi", "create", "serviceaccount", sa)
		e.JSON(&made, "aws", "eks", "create-pod-identity-association", "--cluster-name", cluster, "--namespace", "pi",
			"--service-account", sa, "--role-arn", role.Role.Arn)
	}
	e.Run("kubectl", "-n", "pi", "create", "serviceaccount", "none")
	e.Run("aws", "eks", "wait", "addon-active", "--cluster-name", cluster, "--addon-name", "eks-pod-identity-agent")

	start := time.Now()
	who := awsCheckIn(t, e, "pi", "whoami", "reader")
	if !strings.Contains(who, ":assumed-role/lab-pod-identity/eks-"+cluster+"-") {
		t.Fatalf("the pod's identity: %s", who)
	}
	t.Logf("a pod of pi/reader is %s (pod created to output: %s)", strings.TrimSpace(who), time.Since(start).Round(100*time.Millisecond))
	if out := awsCheckIn(t, e, "pi", "list", "reader", "eks", "list-clusters"); !strings.Contains(out, `"`+cluster+`"`) {
		t.Errorf("eks list-clusters as pi/reader, which the session tag allows: %s", out)
	}
	if out := awsCheckIn(t, e, "pi", "writer-list", "writer", "eks", "list-clusters"); !strings.Contains(out, "AccessDenied") {
		t.Errorf("eks list-clusters as pi/writer, whose session tag the policy does not name: %s", out)
	}
	if out := awsCheckIn(t, e, "pi", "denied", "reader", "iam", "list-roles"); !strings.Contains(out, "AccessDenied") {
		t.Errorf("iam list-roles, which the role does not allow: %s", out)
	}
	e.Run("kubectl", "-n", "pi", "run", "unassociated", "--image="+registry+"/keks/aws-check:latest", "--restart=Never", `--overrides={"spec":{"serviceAccountName":"none"}}`)
	if env := e.Run("kubectl", "-n", "pi", "get", "pod", "unassociated", "-o", "jsonpath={.spec.containers[0].env}"); strings.Contains(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI") {
		t.Errorf("a pod of a service account without an association was given %s", env)
	}

	// Deleting the association takes the service account's pods off the role.
	e.Run("aws", "eks", "delete-pod-identity-association", "--cluster-name", cluster, "--association-id", made.Association.AssociationId)
	harness.Eventually(t, 60*time.Second, "writer's association gone", func() error {
		e.Run("kubectl", "-n", "pi", "delete", "pod", "writer-gone", "--ignore-not-found", "--wait")
		if out := awsCheckIn(t, e, "pi", "writer-gone", "writer"); strings.Contains(out, "assumed-role/lab-pod-identity/") {
			return &stillAssociated{out}
		}
		return nil
	})
	e.Run("aws", "eks", "delete-addon", "--cluster-name", cluster, "--addon-name", "eks-pod-identity-agent")
}

type stillAssociated struct{ out string }

func (s *stillAssociated) Error() string { return "pod still gets the role: " + s.out }
