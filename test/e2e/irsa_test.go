package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// irsaPods is IAM roles for service accounts as EKS users run it: the
// cluster's issuer registered as an IAM OIDC provider (as `eksctl utils
// associate-iam-oidc-provider` does), a role trusting one service account,
// that account annotated with the role, and a pod of it whose unmodified
// aws-sdk-go-v2 program (keks/aws-check) finds the role's credentials
// through what the pod identity webhook injected.
func irsaPods(t *testing.T, e *harness.Env, cluster string) {
	issuer := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", cluster, "--query", "cluster.identity.oidc.issuer", "--output", "text"))
	_, roleARN := irsaRole(e, issuer, "irsa", "app", "lab-irsa-app")
	e.Run("aws", "iam", "put-role-policy", "--role-name", "lab-irsa-app", "--policy-name", "list-clusters",
		"--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:ListClusters","Resource":"*"}]}`)

	e.Run("kubectl", "create", "namespace", "irsa")
	for _, sa := range []string{"app", "other"} {
		e.Run("kubectl", "-n", "irsa", "create", "serviceaccount", sa)
		// Both name the role; only app's token is trusted.
		e.Run("kubectl", "-n", "irsa", "annotate", "serviceaccount", sa, "eks.amazonaws.com/role-arn="+roleARN)
	}

	start := time.Now()
	who := awsCheck(t, e, "whoami", "app")
	if !strings.Contains(who, `"Arn": "arn:aws:sts::`) || !strings.Contains(who, ":assumed-role/lab-irsa-app/") {
		t.Fatalf("the pod's identity: %s", who)
	}
	t.Logf("a pod of irsa/app is %s (pod created to output: %s)", strings.TrimSpace(who), time.Since(start).Round(100*time.Millisecond))
	if out := awsCheck(t, e, "list", "app", "eks", "list-clusters"); !strings.Contains(out, `"`+cluster+`"`) {
		t.Errorf("eks list-clusters as the role: %s", out)
	}
	if out := awsCheck(t, e, "denied", "app", "iam", "list-roles"); !strings.Contains(out, "AccessDenied") {
		t.Errorf("iam list-roles, which the role does not allow: %s", out)
	}
	if out := awsCheck(t, e, "other", "other"); !strings.Contains(out, "AccessDenied") || strings.Contains(out, "assumed-role") {
		t.Errorf("a pod of a service account the role does not trust: %s", out)
	}
	// A pod can opt out; it then has no AWS settings at all.
	e.Run("kubectl", "-n", "irsa", "run", "opted-out", "--image="+registry+"/keks/aws-check:latest", "--restart=Never",
		"--labels=eks.amazonaws.com/skip-pod-identity-webhook=true", `--overrides={"spec":{"serviceAccountName":"app"}}`)
	if env := e.Run("kubectl", "-n", "irsa", "get", "pod", "opted-out", "-o", "jsonpath={.spec.containers[0].env}"); env != "" {
		t.Errorf("an opted-out pod was given %s", env)
	}
}

// awsCheck runs keks/aws-check with args in a pod of serviceAccount in the
// irsa namespace and returns its output once it has ended.
func awsCheck(t *testing.T, e *harness.Env, pod, serviceAccount string, args ...string) string {
	t.Helper()
	return awsCheckIn(t, e, "irsa", pod, serviceAccount, args...)
}

// awsCheckIn is awsCheck in namespace.
func awsCheckIn(t *testing.T, e *harness.Env, namespace, pod, serviceAccount string, args ...string) string {
	t.Helper()
	run := []string{"-n", namespace, "run", pod, "--image=" + registry + "/keks/aws-check:latest", "--restart=Never",
		fmt.Sprintf(`--overrides={"spec":{"serviceAccountName":%q}}`, serviceAccount)}
	if len(args) > 0 {
		run = append(append(run, "--"), args...)
	}
	e.Run("kubectl", run...)
	harness.Eventually(t, 90*time.Second, "pod "+pod+" ends", func() error {
		phase := strings.TrimSpace(e.Run("kubectl", "-n", namespace, "get", "pod", pod, "-o", "jsonpath={.status.phase}"))
		if phase != "Succeeded" && phase != "Failed" {
			return fmt.Errorf("phase %q", phase)
		}
		return nil
	})
	return e.Run("kubectl", "-n", namespace, "logs", pod)
}
