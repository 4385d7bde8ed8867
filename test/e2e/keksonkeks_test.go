package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
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
	harness.Long(t, "about 15 minutes: a management cluster with storage, then a second keks's cluster in it, with a node on an agent host")
	harness.KeepTheMachineARouter(t)
	a := harness.New(t)
	m := a.NewManagement("management", "t3.large")
	t.Setenv("DOCKER_CONFIG", m.DockerConfig)
	b, agentsURL := harness.NewWithAgents(t, m.ServerArgs...)
	const hosted = "hosted"
	start := time.Now()
	b.Run(b.Keks, "build-kubernetes", "1.36", "1.37")
	b.Run("aws", "eks", "create-cluster", "--name", hosted, "--kubernetes-version", "1.36", "--role-arn", b.ClusterRole("hostedCluster"), "--resources-vpc-config", "subnetIds="+strings.Join(b.PrivateSubnets(), ","))
	if out, err := b.TryFor(10*time.Minute, "aws", "eks", "wait", "cluster-active", "--name", hosted); err != nil {
		t.Fatalf("the hosted cluster did not become ACTIVE: %v\n%s\nits pods:\n%s", err, out, a.Run("kubectl", "get", "pods", "-A", "-o", "wide"))
	}
	t.Logf("hosted cluster ACTIVE %s after create-cluster", time.Since(start).Round(100*time.Millisecond))
	namespaces := a.HostedNamespaces()
	if len(namespaces) != 1 {
		t.Fatalf("namespaces keks made in the management cluster: %v", namespaces)
	}
	uid := namespaces[0]
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the hosted control plane's objects in the management cluster:\n%s\nits events:\n%s",
				a.Run("kubectl", "-n", uid, "get", "pods,statefulsets,deployments,pvc", "-o", "wide"),
				tail(a.Run("kubectl", "-n", uid, "get", "events", "--sort-by", ".lastTimestamp"), 40))
		}
	})
	pods := a.Run("kubectl", "-n", uid, "get", "pods", "-o", "wide")
	t.Logf("its control plane in the management cluster:\n%s", pods)
	for _, want := range []string{"etcd-a-0", "etcd-b-0", "etcd-c-0", "apiserver-a-", "apiserver-b-"} {
		if !strings.Contains(pods, want) {
			t.Errorf("no pod %s in %s", want, uid)
		}
	}

	podUIDs := strings.Fields(a.Run("kubectl", "-n", uid, "get", "pods", "-o", "jsonpath={.items[*].metadata.uid}"))
	pids := harness.PodProcesses(podUIDs)
	var pss int64
	for _, pid := range pids {
		pss += supervisor.PSS(pid)
	}
	t.Logf("the hosted control plane: %d pods, %d processes, %.0f MiB PSS", len(podUIDs), len(pids), float64(pss)/(1<<20))

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
	// An etcd member that loses its volume comes back empty and is added
	// to its cluster again.
	a.Run("kubectl", "-n", uid, "delete", "pvc", "data-etcd-c-0", "--wait=false")
	a.Run("kubectl", "-n", uid, "delete", "pod", "etcd-c-0", "--wait=false")
	harness.Eventually(t, 4*time.Minute, "etcd-c back on a new volume and ready", func() error {
		if err := podsReady(a, uid, "keks.dev/member=etcd-c"); err != nil {
			return err
		}
		if out := a.Run("kubectl", "-n", uid, "logs", "etcd-c-0"); !strings.Contains(out, "adding it to the cluster again") {
			return fmt.Errorf("etcd-c-0 did not rejoin: %s", tail(out, 3))
		}
		return nil
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
	waitUpdate(t, b, hosted, id)
	ok, failed, first = stop()
	t.Logf("upgrade 1.36 -> 1.37 took %s; probe meanwhile: %d requests, %d failed", time.Since(start).Round(time.Second), ok+failed, failed)
	if failed > 0 {
		t.Errorf("requests during the upgrade: %d ok, %d failed (first: %s)", ok, failed, first)
	}
	// The update is Successful once every member's pods run 1.37; the
	// last API server pod replaced may still be draining its requests.
	harness.Eventually(t, time.Minute, "only 1.37 pods left", func() error {
		if v := a.Run("kubectl", "-n", uid, "get", "pods", "-o", `jsonpath={.items[*].metadata.labels.keks\.dev/kubernetes-version}`); strings.Join(strings.Fields(v), " ") != "1.37.2 1.37.2 1.37.2 1.37.2 1.37.2" {
			return fmt.Errorf("the control plane's pods run versions %q", v)
		}
		return nil
	})
	if v := b.Run("kubectl", "version", "-o", "json"); !strings.Contains(v, `"gitVersion": "v1.37.2"`) {
		t.Errorf("server version after the upgrade: %s", v)
	}

	// Nodes join the hosted cluster, and Lab 1 runs on it: its API
	// servers reach the kubelets (logs, exec) through keks's egress proxy.
	nodeRole := b.NodeRole("hostedNodes")
	b.Run("aws", append([]string{"eks", "create-nodegroup", "--cluster-name", hosted, "--nodegroup-name", "workers", "--node-role", nodeRole,
		"--scaling-config", "minSize=2,maxSize=2,desiredSize=2", "--subnets"}, b.PrivateSubnets()...)...)
	b.Run("aws", "eks", "wait", "nodegroup-active", "--cluster-name", hosted, "--nodegroup-name", "workers")
	// A node on an agent host, too: the API servers reach its kubelet
	// through the egress proxy on keks's host and the subnet's VXLAN
	// segment between keks's host and the agent's.
	agent := b.StartAgent(agentsURL, "us-east-1a")
	remoteSubnet := strings.TrimSpace(b.Run("aws", "ec2", "describe-subnets", "--filters", "Name=availability-zone,Values=us-east-1a",
		"Name=map-public-ip-on-launch,Values=false", "--query", "Subnets[0].SubnetId", "--output", "text"))
	b.Run("aws", "eks", "create-nodegroup", "--cluster-name", hosted, "--nodegroup-name", "remote", "--node-role", nodeRole,
		"--scaling-config", "minSize=1,maxSize=1,desiredSize=1", "--labels", "placement=agent", "--subnets", remoteSubnet)
	b.Run("aws", "eks", "wait", "nodegroup-active", "--cluster-name", hosted, "--nodegroup-name", "remote")
	waitNodes(t, b, 3)
	remoteID := strings.TrimSpace(b.Run("aws", "ec2", "describe-instances", "--filters", "Name=tag:eks:nodegroup-name,Values=remote", "Name=instance-state-name,Values=running",
		"--query", "Reservations[0].Instances[0].InstanceId", "--output", "text"))
	if _, err := os.Stat(filepath.Join(agent.Dir, "instances", remoteID)); err != nil {
		t.Errorf("the remote group's instance %s is not on the agent host: %v", remoteID, err)
	}
	waitDefaultServiceAccount(t, b, "default")
	b.Run("kubectl", "run", "remote", "--image=busybox", "--overrides", `{"spec":{"nodeSelector":{"placement":"agent"}}}`,
		"--command", "--", "/bin/busybox", "sh", "-c", "echo hello from the agent host; exec /bin/busybox sleep 3600")
	if out, err := b.Try("kubectl", "wait", "--for=condition=Ready", "pod/remote", "--timeout=120s"); err != nil {
		desc, _ := b.Try("kubectl", "describe", "pod", "remote")
		t.Fatalf("the pod on the agent host is not Ready: %v %s\n%s", err, out, tail(desc, 25))
	}
	if out, err := b.Try("kubectl", "logs", "remote"); err != nil || !strings.Contains(out, "hello from the agent host") {
		t.Errorf("logs of a pod on the agent host through the hosted API servers: %q %v", out, err)
	}
	if out, err := b.Try("kubectl", "exec", "remote", "--", "/bin/busybox", "hostname"); err != nil || strings.TrimSpace(out) != "remote" {
		t.Errorf("exec in a pod on the agent host through the hosted API servers: %q %v", out, err)
	}
	b.Run("kubectl", "delete", "pod", "remote", "--wait=false")
	b.Run("aws", "eks", "delete-nodegroup", "--cluster-name", hosted, "--nodegroup-name", "remote")
	b.Run("aws", "eks", "wait", "nodegroup-deleted", "--cluster-name", hosted, "--nodegroup-name", "remote")
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
	// Their EBS volumes are deleted within seconds of the namespace; the
	// PersistentVolume objects must go too (once seen left for 2 minutes:
	// what they still wait for is shown).
	if err := harness.Within(5*time.Minute, func() error {
		if out := strings.TrimSpace(a.Run("kubectl", "get", "pv", "-o", "name")); out != "" {
			return fmt.Errorf("persistent volumes left: %s", out)
		}
		return nil
	}); err != nil {
		t.Errorf("%v\n%s\nthe EBS CSI provisioner:\n%s", err,
			a.Run("kubectl", "get", "pv", "-o", `jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.metadata.deletionTimestamp} {.metadata.finalizers}{"\n"}{end}`),
			tail(a.Run("kubectl", "-n", "kube-system", "logs", "deploy/ebs-csi-controller", "-c", "csi-provisioner", "--tail", "60"), 60))
	}
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
