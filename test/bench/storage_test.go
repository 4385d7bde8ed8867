package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/keksdev/keks/internal/client"
	"github.com/keksdev/keks/test/harness"
)

// BenchmarkStorageAndLogs measures EBS volumes through the aws-ebs-csi-driver
// add-on and control-plane logs in CloudWatch Logs:
//   - seconds from a gp3 claim's creation (with its pod) to the pod Ready
//     with the volume formatted and mounted (EKS: tens of seconds);
//   - sequential write throughput (dd, 256 MiB, fsync) inside the pod on
//     its volume, beside the same write on the host's disk where volumes
//     live, and their ratio;
//   - seconds from an API call to its audit event being in FilterLogEvents.
func BenchmarkStorageAndLogs(b *testing.B) {
	e := harness.New(b)
	ctx := context.Background()
	const name = "bench-storage"
	e.Run("aws", "eks", "create-cluster", "--name", name, "--role-arn", e.ClusterRole("bench"), "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	nodeRole := e.NodeRole("benchStorage")
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	e.Run("aws", "eks", "create-nodegroup", "--cluster-name", name, "--nodegroup-name", "one", "--node-role", nodeRole,
		"--scaling-config", "minSize=1,maxSize=1,desiredSize=1", "--subnets", e.PrivateSubnets()[0])
	issuer := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", name, "--query", "cluster.identity.oidc.issuer", "--output", "text"))
	provider := strings.TrimSpace(e.Run("aws", "iam", "create-open-id-connect-provider", "--url", issuer, "--client-id-list", "sts.amazonaws.com",
		"--query", "OpenIDConnectProviderArn", "--output", "text"))
	host := strings.TrimPrefix(issuer, "https://")
	role := strings.TrimSpace(e.Run("aws", "iam", "create-role", "--role-name", "bench-ebs-csi", "--query", "Role.Arn", "--output", "text", "--assume-role-policy-document",
		fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{%q:"system:serviceaccount:kube-system:ebs-csi-controller-sa"}}}]}`, provider, host+":sub")))
	e.Run("aws", "iam", "attach-role-policy", "--role-name", "bench-ebs-csi", "--policy-arn", "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy")
	e.Run("aws", "eks", "wait", "nodegroup-active", "--cluster-name", name, "--nodegroup-name", "one")
	e.Run("aws", "eks", "create-addon", "--cluster-name", name, "--addon-name", "aws-ebs-csi-driver", "--service-account-role-arn", role)
	e.Run("aws", "eks", "wait", "addon-active", "--cluster-name", name, "--addon-name", "aws-ebs-csi-driver")
	cs := adminClient(b, e)

	const runs = 4
	var mounted []float64
	for i := 0; i < runs+1; i++ {
		claim := fmt.Sprintf("vol-%d", i)
		start := time.Now()
		createClaimAndPod(b, ctx, cs, claim)
		waitReady(b, ctx, cs, []string{claim}, 3*time.Minute)
		if i > 0 { // the first pulls busybox
			mounted = append(mounted, time.Since(start).Seconds())
		}
	}
	p50, _ := percentiles(append([]float64(nil), mounted...))
	b.Logf("gp3 claim created to its pod Ready with the volume mounted: %s s (median %.1f s)", fmtSecs(mounted), p50)
	b.ReportMetric(p50, "s-claim-to-mounted")

	inPod := ddRate(b, e.Run("kubectl", "--kubeconfig", kubeconfigOf(b, e), "exec", "vol-0", "--", "sh", "-c", "dd if=/dev/zero of=/data/bench bs=1M count=256 conv=fsync 2>&1"))
	hostFile := filepath.Join(e.Dir, "data", "ebs", "bench-host-write")
	out, err := exec.Command("dd", "if=/dev/zero", "of="+hostFile, "bs=1M", "count=256", "conv=fsync").CombinedOutput()
	_ = os.Remove(hostFile)
	if err != nil {
		b.Fatalf("dd on the host: %v: %s", err, out)
	}
	onHost := ddRate(b, string(out))
	b.Logf("sequential write, 256 MiB with fsync: %.0f MB/s in a pod on its gp3 volume, %.0f MB/s on the host's disk: ratio %.2f", inPod, onHost, inPod/onHost)
	b.ReportMetric(inPod/onHost, "write-ratio-pod/host")

	e.Run("aws", "eks", "update-cluster-config", "--name", name, "--logging", `{"clusterLogging":[{"types":["audit"],"enabled":true}]}`)
	harness.Eventually(b, 5*time.Minute, "audit logging on", func() error {
		if st := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", name, "--query", "cluster.status", "--output", "text")); st != "ACTIVE" {
			return fmt.Errorf("cluster %s", st)
		}
		return nil
	})
	logs := logsClient(b, e)
	var delays []float64
	for i := 0; i < runs; i++ {
		marker := fmt.Sprintf("bench-audit-%d-%d", i, time.Now().UnixNano())
		start := time.Now()
		if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: marker}}, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		for {
			got, err := logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/eks/" + name + "/cluster"),
				FilterPattern: aws.String(`"` + marker + `"`), StartTime: aws.Int64(start.Add(-time.Minute).UnixMilli())})
			if err == nil && len(got.Events) > 0 {
				delays = append(delays, time.Since(start).Seconds())
				break
			}
			if time.Since(start) > time.Minute {
				b.Fatalf("the audit event of %s did not arrive in a minute (last error %v)", marker, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	p50, _ = percentiles(append([]float64(nil), delays...))
	b.Logf("API call to its audit event in FilterLogEvents: %s s (median %.2f s)", fmtSecs(delays), p50)
	b.ReportMetric(p50, "s-audit-delivery")
}

// createClaimAndPod makes a 1 GiB gp3 claim and a pod mounting it.
func createClaimAndPod(b *testing.B, ctx context.Context, cs kubernetes.Interface, name string) {
	gp3 := "gp3"
	claim := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, StorageClassName: &gp3,
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}}
	if _, err := cs.CoreV1().PersistentVolumeClaims("default").Create(ctx, claim, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	p := pod(name, "198.19.255.254/library/busybox:latest")
	p.Spec.Containers[0].Command = []string{"sleep", "3600"}
	p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
	p.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: name}}}}
	if _, err := cs.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
}

// ddMBps reads the rate dd reports: busybox's "..., 1.2 seconds, 215.3MB/s"
// or GNU's "..., 1.2 s, 215 MB/s".
var ddMBps = regexp.MustCompile(`([0-9.]+) ?([MG])B/s`)

func ddRate(b *testing.B, out string) float64 {
	m := ddMBps.FindStringSubmatch(out)
	if m == nil {
		b.Fatalf("no rate in dd's output: %s", out)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	if m[2] == "G" {
		v *= 1000
	}
	return v
}

func kubeconfigOf(b *testing.B, e *harness.Env) string {
	matches, _ := filepath.Glob(filepath.Join(e.Dir, "data", "clusters", "*", "kubeconfig", "keks-admin.kubeconfig"))
	if len(matches) == 0 {
		b.Fatal("no admin kubeconfig")
	}
	return matches[0]
}

// logsClient is an aws-sdk-go-v2 CloudWatch Logs client with the test keks's profile.
func logsClient(b *testing.B, e *harness.Env) *cloudwatchlogs.Client {
	b.Setenv("AWS_CONFIG_FILE", filepath.Join(e.Dir, "aws-config"))
	b.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(e.Dir, "aws-credentials"))
	kc, err := client.New("keks")
	if err != nil {
		b.Fatal(err)
	}
	return cloudwatchlogs.NewFromConfig(kc.Config)
}
