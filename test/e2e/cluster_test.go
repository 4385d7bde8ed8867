// Package e2e holds the end-to-end tests: a real keks server driven by the AWS CLI and kubectl.
package e2e

import (
	"fmt"
	"github.com/keksdev/keks/test/harness"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestClusterWithAWSCLIAndKubectl is the acceptance run: create an HA
// cluster with the AWS CLI, use it with kubectl, kill an API server under
// load, restart keks, delete the cluster and find nothing left.
func TestClusterWithAWSCLIAndKubectl(t *testing.T) {
	idp := newTestIssuer(t)
	e := harness.New(t, "--identity-provider-ca-file", idp.CAFile)
	const name = "e2e"

	role := e.ClusterRole("eksClusterRole")
	subnets := e.PrivateSubnets()
	if len(subnets) != 3 {
		t.Fatalf("want 3 private subnets, got %v", subnets)
	}
	start := time.Now()
	e.Run("aws", "eks", "create-cluster", "--name", name, "--role-arn", role, "--resources-vpc-config", "subnetIds="+strings.Join(subnets, ","),
		"--control-plane-scaling-config", "tier=tier-xl")
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	t.Logf("cluster ACTIVE (as seen by the waiter) after %s", time.Since(start).Round(time.Second))

	var desc struct {
		Cluster struct {
			Status, Endpoint, Version, PlatformVersion string
			Identity                                   struct{ Oidc struct{ Issuer string } }
			CertificateAuthority                       struct{ Data string }
		}
	}
	e.JSON(&desc, "aws", "eks", "describe-cluster", "--name", name)
	c := desc.Cluster
	if c.Status != "ACTIVE" || !strings.HasPrefix(c.Endpoint, "https://") || c.CertificateAuthority.Data == "" || c.Identity.Oidc.Issuer == "" {
		t.Fatalf("describe-cluster: %+v", c)
	}

	// The OIDC issuer serves discovery and keys, as IRSA verifiers need.
	var disco struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	e.JSON(&disco, "curl", "-sf", "--cacert", filepath.Join(e.Dir, "data", "pki", "ca.crt"), c.Identity.Oidc.Issuer+"/.well-known/openid-configuration")
	if disco.Issuer != c.Identity.Oidc.Issuer || disco.JWKSURI != c.Identity.Oidc.Issuer+"/keys" {
		t.Fatalf("discovery document: %+v", disco)
	}

	e.Run("aws", "eks", "update-kubeconfig", "--name", name)
	if out := e.Run("kubectl", "get", "--raw", "/readyz"); strings.TrimSpace(out) != "ok" {
		t.Fatalf("/readyz: %q", out)
	}
	who := e.Run("kubectl", "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
	if !strings.HasSuffix(who, ":user/admin") {
		t.Fatalf("kubectl auth whoami: %q", who)
	}
	eps := e.Run("kubectl", "get", "endpoints", "kubernetes", "-o", "jsonpath={.subsets[*].addresses[*].ip}")
	if len(strings.Fields(eps)) < 2 {
		t.Fatalf("kubernetes endpoints: want at least 2 API servers, got %q", eps)
	}
	if v := e.Run("kubectl", "version", "-o", "json"); !strings.Contains(v, `"gitVersion": "v1.37.2"`) {
		t.Fatalf("server version: %s", v)
	}
	// The same with keks's own CLI instead of the AWS CLI.
	e.Run(e.Keks, "update-kubeconfig", "--name", name, "--alias", "keks-cli")
	if who2 := e.Run("kubectl", "--context", "keks-cli", "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"); who2 != who {
		t.Fatalf("keks get-token user %q, aws get-token user %q", who2, who)
	}
	e.Run("kubectl", "config", "use-context", "arn:aws:eks:us-east-1:"+strings.Split(who, ":")[4]+":cluster/"+name)

	// Every control-plane instance is visible to the operator, spread over zones.
	zones := map[string]bool{}
	for _, in := range e.Instances(name) {
		if !in.Healthy || !in.Running || in.PID == 0 || in.Address == "" {
			t.Fatalf("instance not healthy: %+v", in)
		}
		if in.Role == "kube-apiserver" || in.Role == "etcd" {
			zones[in.Zone] = true
		}
	}
	if len(zones) != 3 {
		t.Fatalf("control plane spans %d zones, want 3", len(zones))
	}

	t.Run("web identity from the cluster's issuer", func(t *testing.T) { webIdentity(t, e.With(t), c.Identity.Oidc.Issuer) })
	t.Run("OIDC identity provider", func(t *testing.T) { identityProviderConfig(t, e.With(t), name, idp) })
	t.Run("provisioned control plane tier", func(t *testing.T) { scalingTier(t, e.With(t), name) })
	t.Run("scaling tier changed under load", func(t *testing.T) { scalingTierChange(t, e.With(t), name) })
	t.Run("control-plane logs in CloudWatch Logs", func(t *testing.T) { controlPlaneLogs(t, e.With(t), name) })
	t.Run("kill an API server under load", func(t *testing.T) { killAPIServer(t, e.With(t), name) })
	t.Run("kill an etcd member", func(t *testing.T) { killEtcdMember(t, e.With(t), name) })
	t.Run("freeze an etcd member", func(t *testing.T) { freezeEtcdMember(t, e.With(t), name) })
	t.Run("restart keks", func(t *testing.T) { restartKeks(t, e.With(t), name) })
	t.Run("delete leaves nothing", func(t *testing.T) { deleteCluster(t, e.With(t), name, c.Endpoint) })
}

func killAPIServer(t *testing.T, e *harness.Env, name string) {
	victim := e.Instance(name, "kube-apiserver-a")
	stop := e.Load("kubectl", "get", "namespace", "default", "-o", "name")
	time.Sleep(2 * time.Second)
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed kube-apiserver-a (pid %d)", victim.PID)
	harness.Eventually(t, 60*time.Second, "kube-apiserver-a replaced", func() error {
		in := e.Instance(name, "kube-apiserver-a")
		if in.PID == victim.PID || !in.Healthy || in.Replaced < 1 {
			return fmt.Errorf("still %+v", in)
		}
		return nil
	})
	time.Sleep(2 * time.Second)
	r := stop()
	t.Logf("kubectl requests during the kill and replacement: %d succeeded, %d failed", r.OK, r.Failed)
	if r.Failed > 0 {
		t.Fatalf("%d kubectl requests failed; first: %s", r.Failed, r.FirstError)
	}
	if r.OK < 10 {
		t.Fatalf("only %d requests ran", r.OK)
	}
}

func killEtcdMember(t *testing.T, e *harness.Env, name string) {
	e.Run("kubectl", "create", "configmap", "before-etcd-kill", "--from-literal=k=v")
	victim := e.Instance(name, "etcd-b")
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Two members keep quorum: writes go on while etcd-b is down (after an
	// election of about a second if etcd-b led).
	harness.Eventually(t, 30*time.Second, "write while etcd-b is down", func() error {
		_, err := e.Try("kubectl", "create", "configmap", "during-etcd-kill", "--from-literal=k=v", "--request-timeout=5s")
		if err != nil && strings.Contains(err.Error(), "already exists") {
			return nil
		}
		return err
	})
	harness.Eventually(t, 60*time.Second, "etcd-b replaced", func() error {
		in := e.Instance(name, "etcd-b")
		if in.PID == victim.PID || !in.Healthy {
			return fmt.Errorf("still %+v", in)
		}
		return nil
	})
	for _, cm := range []string{"before-etcd-kill", "during-etcd-kill"} {
		if v := e.Run("kubectl", "get", "configmap", cm, "-o", "jsonpath={.data.k}"); v != "v" {
			t.Fatalf("configmap %s after the etcd member came back: %q", cm, v)
		}
	}
}

// freezeEtcdMember stops a member with SIGSTOP: the process lives but no
// longer answers, and keks must notice and replace it.
func freezeEtcdMember(t *testing.T, e *harness.Env, name string) {
	victim := e.Instance(name, "etcd-c")
	if err := syscall.Kill(victim.PID, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(victim.PID, syscall.SIGCONT) //nolint:errcheck // it may be gone already
	// If the frozen member led, writes wait for a new election (about a second), as with real etcd.
	// kube-apiserver's etcd client spreads requests over all members, and one
	// sent to the frozen member hangs until that member is replaced; a client
	// with a timeout tries again and lands on a live one, as quorum allows.
	harness.Eventually(t, 30*time.Second, "write while etcd-c is frozen", func() error {
		_, err := e.Try("kubectl", "create", "configmap", "during-etcd-freeze", "--from-literal=k=v", "--request-timeout=5s")
		if err != nil && strings.Contains(err.Error(), "already exists") {
			return nil
		}
		return err
	})
	harness.Eventually(t, 90*time.Second, "frozen etcd-c replaced", func() error {
		in := e.Instance(name, "etcd-c")
		if in.PID == victim.PID || !in.Healthy {
			return fmt.Errorf("still %+v", in)
		}
		return nil
	})
	if v := e.Run("kubectl", "get", "configmap", "during-etcd-freeze", "-o", "jsonpath={.data.k}"); v != "v" {
		t.Fatalf("configmap written while etcd-c was frozen: %q", v)
	}
}

func restartKeks(t *testing.T, e *harness.Env, name string) {
	before := map[string]int{}
	for _, in := range e.Instances(name) {
		before[in.Name] = in.PID
	}
	e.StopServer()
	// While keks is down the control plane keeps serving through its endpoint,
	// and IAM tokens keep working: the authenticators verify them on their own.
	for i := 0; i < 3; i++ {
		if out := e.Run("kubectl", "get", "namespace", "default", "-o", "name"); strings.TrimSpace(out) != "namespace/default" {
			t.Fatalf("kubectl while keks is down: %q", out)
		}
	}
	e.StartServer()
	if out := e.Run("kubectl", "get", "--raw", "/readyz"); strings.TrimSpace(out) != "ok" {
		t.Fatalf("/readyz after restart: %q", out)
	}
	for _, in := range e.Instances(name) {
		if before[in.Name] != in.PID {
			t.Fatalf("%s was restarted (pid %d -> %d) instead of re-adopted", in.Name, before[in.Name], in.PID)
		}
	}
	if st := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", name, "--query", "cluster.status", "--output", "text")); st != "ACTIVE" {
		t.Fatalf("status after restart: %s", st)
	}
}

func deleteCluster(t *testing.T, e *harness.Env, name, endpoint string) {
	e.Run("aws", "eks", "delete-cluster", "--name", name)
	e.Run("aws", "eks", "wait", "cluster-deleted", "--name", name)
	clusters := filepath.Join(e.Dir, "data", "clusters")
	// Processes: none whose command line names this test's data directory, but keks itself.
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), clusters) {
			t.Errorf("process left: %s: %s", p, strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	// Network: the control-plane bridge, its addresses and listening ports are gone.
	ip := strings.TrimPrefix(endpoint, "https://")
	prefix := ip[:strings.LastIndex(ip, ".")+1]
	if out := e.Run("ip", "-o", "addr"); strings.Contains(out, prefix) {
		t.Errorf("addresses left: %s", grep(out, prefix))
	}
	if out := e.Run("ip", "-o", "link"); strings.Contains(out, "keks-cp") {
		t.Errorf("bridges left: %s", grep(out, "keks-cp"))
	}
	if out := e.Run("ss", "-ltn"); strings.Contains(out, prefix) {
		t.Errorf("listening sockets left: %s", grep(out, prefix))
	}
	// Files and mounts.
	if entries, _ := os.ReadDir(clusters); len(entries) != 0 {
		t.Errorf("files left in %s: %d entries", clusters, len(entries))
	}
	if b, _ := os.ReadFile("/proc/mounts"); strings.Contains(string(b), e.Dir) {
		t.Errorf("mounts left: %s", grep(string(b), e.Dir))
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
