package bench

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/keksdev/keks/test/harness"
)

// BenchmarkWorkloadIdentity measures how soon a pod has AWS credentials,
// for IRSA and for EKS Pod Identity: seconds from the pod's creation to its
// aws-sdk-go-v2 program (keks/aws-check) having called sts
// GetCallerIdentity with them, and the part of that inside the program
// (the token read, the exchange for credentials, the call), as it reports.
func BenchmarkWorkloadIdentity(b *testing.B) {
	e := harness.New(b)
	ctx := context.Background()
	const name = "bench-identity"
	e.Run("aws", "eks", "create-cluster", "--name", name, "--role-arn", e.ClusterRole("bench"), "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	role := e.NodeRole("benchIdentity")
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	e.Run("aws", "eks", "create-nodegroup", "--cluster-name", name, "--nodegroup-name", "one", "--node-role", role,
		"--scaling-config", "minSize=1,maxSize=1,desiredSize=1", "--subnets", e.PrivateSubnets()[0])
	e.Run("aws", "eks", "create-addon", "--cluster-name", name, "--addon-name", "eks-pod-identity-agent")
	e.Run("aws", "eks", "wait", "nodegroup-active", "--cluster-name", name, "--nodegroup-name", "one")
	e.Run("aws", "eks", "wait", "addon-active", "--cluster-name", name, "--addon-name", "eks-pod-identity-agent")
	cs := adminClient(b, e)

	issuer := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", name, "--query", "cluster.identity.oidc.issuer", "--output", "text"))
	provider := strings.TrimSpace(e.Run("aws", "iam", "create-open-id-connect-provider", "--url", issuer, "--client-id-list", "sts.amazonaws.com",
		"--query", "OpenIDConnectProviderArn", "--output", "text"))
	host := strings.TrimPrefix(issuer, "https://")
	irsaRole := strings.TrimSpace(e.Run("aws", "iam", "create-role", "--role-name", "bench-irsa", "--query", "Role.Arn", "--output", "text", "--assume-role-policy-document",
		fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{%q:"system:serviceaccount:default:irsa"}}}]}`, provider, host+":sub")))
	piRole := strings.TrimSpace(e.Run("aws", "iam", "create-role", "--role-name", "bench-pod-identity", "--query", "Role.Arn", "--output", "text", "--assume-role-policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`))
	for sa, annotations := range map[string]map[string]string{"irsa": {"eks.amazonaws.com/role-arn": irsaRole}, "pi": nil} {
		if _, err := cs.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa, Annotations: annotations}},
			metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	e.Run("aws", "eks", "create-pod-identity-association", "--cluster-name", name, "--namespace", "default", "--service-account", "pi", "--role-arn", piRole)
	time.Sleep(3 * time.Second) // the webhooks reread the associations

	const runs = 5
	measure := func(sa, want string) (total, inside []float64) {
		for i := 0; i < runs+1; i++ {
			p := pod(fmt.Sprintf("%s-%d", sa, i), "198.19.255.254/keks/aws-check:latest")
			p.Spec.ServiceAccountName, p.Spec.RestartPolicy = sa, corev1.RestartPolicyNever
			start := time.Now()
			if _, err := cs.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
			waitSucceeded(b, ctx, cs, p.Name)
			took := time.Since(start).Seconds()
			logs, _ := cs.CoreV1().Pods("default").GetLogs(p.Name, &corev1.PodLogOptions{}).DoRaw(ctx)
			if !strings.Contains(string(logs), want) {
				b.Fatalf("pod %s: %s", p.Name, logs)
			}
			if i == 0 {
				continue // the first pulls the image
			}
			m := answeredIn.FindStringSubmatch(string(logs))
			if m == nil {
				b.Fatalf("pod %s did not say how long it took: %s", p.Name, logs)
			}
			d, err := time.ParseDuration(m[1])
			if err != nil {
				b.Fatal(err)
			}
			total, inside = append(total, took), append(inside, d.Seconds())
		}
		return total, inside
	}
	irsaTotal, irsaInside := measure("irsa", "assumed-role/bench-irsa/")
	piTotal, piInside := measure("pi", "assumed-role/bench-pod-identity/")
	i50, _ := percentiles(irsaTotal)
	p50, _ := percentiles(piTotal)
	fmt.Printf("\nworkload identity on this machine (1 node; keks/aws-check calls sts get-caller-identity; %d pods each, image present)\n", runs)
	fmt.Printf("  IRSA:         pod created -> credentials used: %s s (median %.2f s); in the program: %s ms\n", fmtSecs(irsaTotal), i50, fmtMillis(irsaInside))
	fmt.Printf("  Pod Identity: pod created -> credentials used: %s s (median %.2f s); in the program: %s ms\n", fmtSecs(piTotal), p50, fmtMillis(piInside))
	fmt.Printf("  [EKS: a few seconds]\n\n")
	b.ReportMetric(i50, "s-irsa-to-credentials")
	b.ReportMetric(p50, "s-pod-identity-to-credentials")
}

func fmtMillis(s []float64) string {
	var parts []string
	for _, v := range s {
		parts = append(parts, fmt.Sprintf("%.0f", v*1000))
	}
	return strings.Join(parts, ", ")
}

// answeredIn is aws-check's report of how long credentials and the call took.
var answeredIn = regexp.MustCompile(`answered in ([0-9.]+[mµn]?s)`)

func waitSucceeded(b *testing.B, ctx context.Context, cs kubernetes.Interface, name string) {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		p, err := cs.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		if err == nil && (p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed) {
			if p.Status.Phase == corev1.PodFailed {
				b.Fatalf("pod %s failed", name)
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatalf("pod %s did not finish", name)
}
