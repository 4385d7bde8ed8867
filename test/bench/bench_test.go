// Package bench measures keks on this machine with the default Kubernetes
// version already built: seconds from CreateCluster to ACTIVE, the control
// plane's memory, and requests per second through the endpoint against
// straight to one API server. Run with `make bench`.
package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/keksdev/keks/internal/client"

	"github.com/keksdev/keks/test/harness"
)

func BenchmarkControlPlane(b *testing.B) {
	e := harness.New(b)
	role := e.ClusterRole("bench")
	subnets := strings.Join(e.PrivateSubnets(), ",")

	api := eksClient(b, e)
	var activeSecs []float64
	for i := 0; i < max(b.N, 2); i++ {
		name := fmt.Sprintf("bench-%d", i)
		start := time.Now()
		if _, err := api.CreateCluster(context.Background(), &eks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String(role),
			ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: strings.Split(subnets, ",")}}); err != nil {
			b.Fatal(err)
		}
		if err := waitActive(api, name, 5*time.Minute); err != nil {
			b.Fatal(err)
		}
		activeSecs = append(activeSecs, time.Since(start).Seconds())
		if i < max(b.N, 2)-1 {
			e.Run("aws", "eks", "delete-cluster", "--name", name)
			e.Run("aws", "eks", "wait", "cluster-deleted", "--name", name)
		}
	}
	name := fmt.Sprintf("bench-%d", max(b.N, 2)-1)

	// Memory once the control plane has settled.
	time.Sleep(15 * time.Second)
	var rss, pss int64
	byRole := map[string]int64{}
	for _, in := range e.Instances(name) {
		rss += in.RSS
		pss += in.PSS
		byRole[in.Role] += in.PSS
	}

	endpoint, direct, both := throughput(b, e, name)
	best := activeSecs[0]
	for _, s := range activeSecs {
		best = min(best, s)
	}
	fmt.Printf("\nkeks control plane on this machine (Kubernetes %s, 3 etcd + 2 API server instances + endpoint)\n", "default")
	fmt.Printf("  CreateCluster -> ACTIVE:       %v s (runs), best %.1f s   [target < 20 s; EKS 10-15 min]\n", fmtSecs(activeSecs), best)
	fmt.Printf("  control-plane memory (PSS):    %d MiB  [target < 1200 MB]  (sum of RSS %d MiB counts the shared Kubernetes binary once per process)\n", pss>>20, rss>>20)
	for role, v := range byRole {
		fmt.Printf("      %-24s %4d MiB\n", role, v>>20)
	}
	fmt.Printf("  GET /api/v1/namespaces/default, 8 keep-alive clients:\n")
	fmt.Printf("      through the endpoint             %6.0f req/s\n", endpoint)
	fmt.Printf("      straight to one API server       %6.0f req/s  (endpoint vs this: %+.1f %%)\n", direct, 100*(endpoint/direct-1))
	fmt.Printf("      straight to both, round robin    %6.0f req/s  (endpoint overhead vs this: %.1f %%)  [target < 5 %%]\n\n", both, 100*(1-endpoint/both))
	b.ReportMetric(best, "s-to-active")
	b.ReportMetric(float64(pss>>20), "MiB-control-plane-pss")
	b.ReportMetric(endpoint, "req/s-endpoint")
	b.ReportMetric(direct, "req/s-direct")
	b.ReportMetric(both, "req/s-direct-both")
}

func fmtSecs(s []float64) string {
	var parts []string
	for _, v := range s {
		parts = append(parts, fmt.Sprintf("%.1f", v))
	}
	return strings.Join(parts, ", ")
}

// throughput measures GETs per second with keep-alive connections, through
// the endpoint and straight to kube-apiserver-a, alternating to even out noise.
func throughput(b *testing.B, e *harness.Env, name string) (endpoint, direct, both float64) {
	cfg, cert := adminCert(b, e)
	apiA := "https://" + e.Instance(name, "kube-apiserver-a").Address + ":443"
	apiB := "https://" + e.Instance(name, "kube-apiserver-b").Address + ":443"
	client := func() *http.Client {
		return &http.Client{Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{Certificates: []tls.Certificate{cert}, InsecureSkipVerify: true}, //nolint:gosec // the bench measures, it does not trust
			MaxIdleConnsPerHost: 16, ForceAttemptHTTP2: false, TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{},
		}}
	}
	for round := 0; round < 2; round++ {
		endpoint = max(endpoint, rate(client(), cfg.Host))
		direct = max(direct, rate(client(), apiA))
		both = max(both, rate(client(), apiA, apiB))
	}
	return endpoint, direct, both
}

// adminCert is the keks-admin client certificate of the (only) cluster
// whose files the test keks has, and its kubeconfig.
func adminCert(b *testing.B, e *harness.Env) (*rest.Config, tls.Certificate) {
	dirs, _ := os.ReadDir(filepath.Join(e.Dir, "data", "clusters"))
	var kc string
	for _, d := range dirs {
		p := filepath.Join(e.Dir, "data", "clusters", d.Name(), "kubeconfig", "keks-admin.kubeconfig")
		if _, err := os.Stat(p); err == nil {
			kc = p
		}
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		b.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
	if err != nil {
		b.Fatal(err)
	}
	return cfg, cert
}

// rate runs 8 workers for 5 s; worker i uses bases[i % len(bases)].
func rate(c *http.Client, bases ...string) float64 {
	const workers, dur = 8, 5 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		base := bases[w%len(bases)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if getOK(ctx, c, base+"/api/v1/namespaces/default") {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

// eksClient is an aws-sdk-go-v2 EKS client with the test keks's profile.
func eksClient(b *testing.B, e *harness.Env) *eks.Client {
	b.Setenv("AWS_CONFIG_FILE", filepath.Join(e.Dir, "aws-config"))
	b.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(e.Dir, "aws-credentials"))
	kc, err := client.New("keks")
	if err != nil {
		b.Fatal(err)
	}
	return eks.NewFromConfig(kc.Config)
}

// getOK GETs url and tells whether it was answered 200; the body is read
// so that the connection is kept.
func getOK(ctx context.Context, c *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
