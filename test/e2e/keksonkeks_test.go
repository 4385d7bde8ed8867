package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/supervisor"
	"github.com/keksdev/keks/test/harness"
)

// TestKeksOnKeks: a keks cluster on the host runtime is the management
// cluster of a second keks whose control planes run on the kubernetes
// runtime. The second keks's CreateCluster (AWS CLI) becomes ACTIVE with
// its etcd members and API servers as pods in a namespace of the
// management cluster; kubectl works through its endpoint; nodes join it;
// deleting an API server pod and an etcd pod fails no request through the
// endpoint; deleting the cluster leaves nothing in the management cluster.
func TestKeksOnKeks(t *testing.T) {
	harness.Long(t, "about 10 minutes: a management cluster with storage, then a second keks's cluster in it")
	a := harness.New(t)
	const mgmt = "management"
	a.Run("aws", "eks", "create-cluster", "--name", mgmt, "--role-arn", a.ClusterRole("mgmtCluster"), "--resources-vpc-config", "subnetIds="+strings.Join(a.PrivateSubnets(), ","))
	nodeRole := a.NodeRole("mgmtNodes")
	a.Run("aws", "eks", "wait", "cluster-active", "--name", mgmt)
	a.Run("aws", "eks", "update-kubeconfig", "--name", mgmt)
	a.Run("aws", append([]string{"eks", "create-nodegroup", "--cluster-name", mgmt, "--nodegroup-name", "hosts", "--node-role", nodeRole,
		"--scaling-config", "minSize=3,maxSize=3,desiredSize=3", "--instance-types", "t3.large", "--subnets"}, a.PrivateSubnets()...)...)
	a.Run("aws", "eks", "create-addon", "--cluster-name", mgmt, "--addon-name", "aws-ebs-csi-driver", "--service-account-role-arn", ebsCSIRole(t, a, mgmt))
	a.Run("aws", "eks", "wait", "nodegroup-active", "--cluster-name", mgmt, "--nodegroup-name", "hosts")
	a.Run("aws", "eks", "wait", "addon-active", "--cluster-name", mgmt, "--addon-name", "aws-ebs-csi-driver")
	a.Run("kubectl", "annotate", "storageclass", "gp3", "storageclass.kubernetes.io/is-default-class=true", "--overwrite")

	// keks B pushes its control-plane images to A's ECR, and runs them with
	// a service account of the management cluster, as an operator would.
	repo := strings.TrimSpace(a.Run("aws", "ecr", "create-repository", "--repository-name", "keks/control-plane", "--query", "repository.repositoryUri", "--output", "text"))
	password := strings.TrimSpace(a.Run("aws", "ecr", "get-login-password"))
	docker := t.TempDir()
	auths := map[string]any{"auths": map[string]any{strings.SplitN(repo, "/", 2)[0]: map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte("AWS:" + password))}}}
	writeJSON(t, filepath.Join(docker, "config.json"), auths)
	t.Setenv("DOCKER_CONFIG", docker)
	a.Run("kubectl", "-n", "kube-system", "create", "serviceaccount", "keks-b")
	a.Run("kubectl", "create", "clusterrolebinding", "keks-b", "--clusterrole=cluster-admin", "--serviceaccount=kube-system:keks-b")
	saToken := strings.TrimSpace(a.Run("kubectl", "-n", "kube-system", "create", "token", "keks-b", "--duration=24h"))
	endpoint := strings.TrimSpace(a.Run("aws", "eks", "describe-cluster", "--name", mgmt, "--query", "cluster.endpoint", "--output", "text"))
	ca := strings.TrimSpace(a.Run("aws", "eks", "describe-cluster", "--name", mgmt, "--query", "cluster.certificateAuthority.data", "--output", "text"))
	mgmtKubeconfig := filepath.Join(t.TempDir(), "management.kubeconfig")
	if err := os.WriteFile(mgmtKubeconfig, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: management, cluster: {server: %q, certificate-authority-data: %q}}]
users: [{name: keks-b, user: {token: %q}}]
contexts: [{name: management, context: {cluster: management, user: keks-b}}]
current-context: management
`, endpoint, ca, saToken)), 0o600); err != nil {
		t.Fatal(err)
	}

	b := harness.New(t, "--control-plane-runtime=kubernetes", "--management-kubeconfig="+mgmtKubeconfig,
		"--control-plane-images="+repo, "--control-plane-images-ca="+filepath.Join(a.Dir, "data", "pki", "ca.crt"))
	const hosted = "hosted"
	start := time.Now()
	b.Run(b.Keks, "build-kubernetes", "1.36", "1.37")
	b.Run("aws", "eks", "create-cluster", "--name", hosted, "--kubernetes-version", "1.36", "--role-arn", b.ClusterRole("hostedCluster"), "--resources-vpc-config", "subnetIds="+strings.Join(b.PrivateSubnets(), ","))
	if out, err := b.TryFor(10*time.Minute, "aws", "eks", "wait", "cluster-active", "--name", hosted); err != nil {
		t.Fatalf("the hosted cluster did not become ACTIVE: %v\n%s\nits pods:\n%s", err, out, a.Run("kubectl", "get", "pods", "-A", "-o", "wide"))
	}
	t.Logf("hosted cluster ACTIVE %s after create-cluster", time.Since(start).Round(100*time.Millisecond))
	uid := hostedNamespace(t, a)
	pods := a.Run("kubectl", "-n", uid, "get", "pods", "-o", "wide")
	t.Logf("its control plane in the management cluster:\n%s", pods)
	for _, want := range []string{"etcd-a-0", "etcd-b-0", "etcd-c-0", "apiserver-a-", "apiserver-b-"} {
		if !strings.Contains(pods, want) {
			t.Errorf("no pod %s in %s", want, uid)
		}
	}

	podUIDs := strings.Fields(a.Run("kubectl", "-n", uid, "get", "pods", "-o", "jsonpath={.items[*].metadata.uid}"))
	n, pss := podProcesses(podUIDs)
	t.Logf("the hosted control plane: %d pods, %d processes, %.0f MiB PSS", len(podUIDs), n, float64(pss)/(1<<20))

	b.Run("aws", "eks", "update-kubeconfig", "--name", hosted)
	if out := b.Run("kubectl", "get", "--raw", "/version"); !strings.Contains(out, "gitVersion") {
		t.Fatalf("kubectl through the hosted endpoint: %s", out)
	}
	b.Run("kubectl", "get", "namespaces")

	// Pods of the control plane deleted under a probe of 20 requests/s,
	// each on a new connection: every request through the endpoint succeeds.
	token := strings.TrimSpace(b.Run("aws", "eks", "get-token", "--cluster-name", hosted, "--query", "status.token", "--output", "text"))
	hostedCA := strings.TrimSpace(b.Run("aws", "eks", "describe-cluster", "--name", hosted, "--query", "cluster.certificateAuthority.data", "--output", "text"))
	hostedEndpoint := strings.TrimSpace(b.Run("aws", "eks", "describe-cluster", "--name", hosted, "--query", "cluster.endpoint", "--output", "text"))
	stop := rateProbe(t, hostedEndpoint+"/api/v1/namespaces/default", hostedCA, token, 20)
	a.Run("kubectl", "-n", uid, "delete", "pod", "-l", "keks.dev/member=apiserver-a", "--wait=false")
	harness.Eventually(t, 3*time.Minute, "apiserver-a replaced and ready", func() error {
		return podsReady(a, uid, "keks.dev/member=apiserver-a")
	})
	a.Run("kubectl", "-n", uid, "delete", "pod", "etcd-b-0", "--wait=false")
	harness.Eventually(t, 3*time.Minute, "etcd-b replaced and ready", func() error {
		return podsReady(a, uid, "keks.dev/member=etcd-b")
	})
	time.Sleep(5 * time.Second)
	ok, failed, first := stop()
	t.Logf("during the pod deletions: %d requests, %d failed", ok+failed, failed)
	if failed > 0 || ok < 100 {
		t.Errorf("requests during the pod deletions: %d ok, %d failed (first: %s)", ok, failed, first)
	}

	// An upgrade rolls the pods (etcd members one at a time, API servers
	// surge first) under the same probe.
	token = strings.TrimSpace(b.Run("aws", "eks", "get-token", "--cluster-name", hosted, "--query", "status.token", "--output", "text"))
	stop = rateProbe(t, hostedEndpoint+"/api/v1/namespaces/default", hostedCA, token, 20)
	start = time.Now()
	id := strings.TrimSpace(b.Run("aws", "eks", "update-cluster-version", "--name", hosted, "--kubernetes-version", "1.37", "--query", "update.id", "--output", "text"))
	harness.Eventually(t, 10*time.Minute, "upgrade successful", func() error {
		st := strings.TrimSpace(b.Run("aws", "eks", "describe-update", "--name", hosted, "--update-id", id, "--query", "update.status", "--output", "text"))
		if st == "Failed" {
			t.Fatalf("update failed: %s", b.Run("aws", "eks", "describe-update", "--name", hosted, "--update-id", id))
		}
		if st != "Successful" {
			return fmt.Errorf("update %s", st)
		}
		return nil
	})
	ok, failed, first = stop()
	t.Logf("upgrade 1.36 -> 1.37 took %s; probe meanwhile: %d requests, %d failed", time.Since(start).Round(time.Second), ok+failed, failed)
	if failed > 0 {
		t.Errorf("requests during the upgrade: %d ok, %d failed (first: %s)", ok, failed, first)
	}
	if v := a.Run("kubectl", "-n", uid, "get", "pods", "-o", `jsonpath={.items[*].metadata.labels.keks\.dev/kubernetes-version}`); strings.Join(strings.Fields(v), " ") != "1.37.2 1.37.2 1.37.2 1.37.2 1.37.2" {
		t.Errorf("the control plane's pods run versions %q", v)
	}
	if v := b.Run("kubectl", "version", "-o", "json"); !strings.Contains(v, `"gitVersion": "v1.37.2"`) {
		t.Errorf("server version after the upgrade: %s", v)
	}

	// Nodes join the hosted cluster, and Lab 1 runs on it: its API
	// servers reach the kubelets (logs, exec) through keks's egress proxy.
	b.Run("aws", append([]string{"eks", "create-nodegroup", "--cluster-name", hosted, "--nodegroup-name", "workers", "--node-role", b.NodeRole("hostedNodes"),
		"--scaling-config", "minSize=2,maxSize=2,desiredSize=2", "--subnets"}, b.PrivateSubnets()...)...)
	b.Run("aws", "eks", "wait", "nodegroup-active", "--cluster-name", hosted, "--nodegroup-name", "workers")
	waitNodes(t, b, 2)
	t.Run("Lab 1", func(t *testing.T) { lab1Workloads(t, b.With(t)) })
	t.Run("control-plane logs", func(t *testing.T) { controlPlaneLogs(t, b.With(t), hosted) })

	// Deleting it leaves nothing in the management cluster.
	b.Run("aws", "eks", "delete-nodegroup", "--cluster-name", hosted, "--nodegroup-name", "workers")
	b.Run("aws", "eks", "wait", "nodegroup-deleted", "--cluster-name", hosted, "--nodegroup-name", "workers")
	b.Run("aws", "eks", "delete-cluster", "--name", hosted)
	b.Run("aws", "eks", "wait", "cluster-deleted", "--name", hosted)
	if out, err := a.Try("kubectl", "get", "namespace", uid); err == nil {
		t.Errorf("namespace %s is still there: %s", uid, out)
	}
	harness.Eventually(t, 2*time.Minute, "the etcd volumes gone", func() error {
		if out := strings.TrimSpace(a.Run("kubectl", "get", "pv", "-o", "name")); out != "" {
			return fmt.Errorf("persistent volumes left: %s", out)
		}
		return nil
	})
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// hostedNamespace is the one namespace keks B made in the management cluster.
func hostedNamespace(t *testing.T, a *harness.Env) string {
	t.Helper()
	out := strings.Fields(a.Run("kubectl", "get", "namespaces", "-l", "app.kubernetes.io/managed-by=keks", "-o", "jsonpath={.items[*].metadata.name}"))
	if len(out) != 1 {
		t.Fatalf("namespaces keks made in the management cluster: %v", out)
	}
	return out[0]
}

// podsReady: every pod the selector names is Ready, and one at least is.
func podsReady(e *harness.Env, ns, selector string) error {
	out, err := e.Try("kubectl", "-n", ns, "get", "pods", "-l", selector, "-o", "jsonpath={range .items[*]}{.metadata.deletionTimestamp}/{.status.conditions[?(@.type==\"Ready\")].status} {end}")
	if err != nil {
		return err
	}
	f := strings.Fields(out)
	if len(f) == 0 {
		return fmt.Errorf("no pod")
	}
	for _, s := range f {
		if s != "/True" {
			return fmt.Errorf("pods: %s", out)
		}
	}
	return nil
}

// rateProbe GETs url with a bearer token, perSecond times a second, each
// request on a new connection, until stop, which returns how many
// succeeded and failed, and the first failure.
func rateProbe(t *testing.T, url, caData, token string, perSecond int) (stop func() (ok, failed int, first string)) {
	t.Helper()
	ca, err := base64.StdEncoding.DecodeString(caData)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{RootCAs: pool}}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var ok, failed int
	var first string
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(time.Second / time.Duration(perSecond))
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("%s", resp.Status)
					}
				}
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					failed++
					if first == "" {
						first = time.Now().Format("15:04:05.000") + " " + err.Error()
					}
				} else {
					ok++
				}
			}()
		}
	}()
	return func() (int, int, string) {
		close(done)
		<-finished
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return ok, failed, first
	}
}

// podProcesses counts the processes of the pods with these UIDs on this
// host (by their cgroups) and sums their proportional set sizes.
func podProcesses(podUIDs []string) (n int, pss int64) {
	procs, _ := filepath.Glob("/proc/[0-9]*/cgroup")
	for _, f := range procs {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, u := range podUIDs {
			if strings.Contains(string(data), u) || strings.Contains(string(data), strings.ReplaceAll(u, "-", "_")) {
				pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
				if p := supervisor.PSS(pid); p > 0 {
					n++
					pss += p
				}
				break
			}
		}
	}
	return n, pss
}
