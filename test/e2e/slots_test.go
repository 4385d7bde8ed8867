package e2e

import (
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/hostslot"
	"github.com/keksdev/keks/test/harness"
)

// TestTwoServersShareTheHost runs two keks servers with different data
// directories side by side. The second takes the next host slot and runs in
// a network namespace of its own, so its default VPC, node and pod addresses
// repeat the first's while its endpoint, load balancers and registry get
// addresses of their own that the host reaches. Stopped with nothing left,
// it takes its namespace, link, routes and rules with it.
func TestTwoServersShareTheHost(t *testing.T) {
	harness.Long(t, "about 3 minutes: a second server in its own slot and namespace beside the first")
	a := harness.New(t)
	b := harness.New(t)
	servers := []*harness.Env{a, b}
	slotOf := func(e *harness.Env) string {
		data, err := os.ReadFile(filepath.Join(e.Dir, "data", "slot"))
		if err != nil {
			t.Fatalf("the data directory records no slot: %v", err)
		}
		return strings.TrimSpace(string(data))
	}
	if slotOf(a) == slotOf(b) {
		t.Fatalf("both servers hold slot %s", slotOf(a))
	}
	const name = "shared-host"
	for _, e := range servers {
		e.Run("aws", "eks", "create-cluster", "--name", name, "--role-arn", e.ClusterRole("slotsCluster"),
			"--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	}
	for _, e := range servers {
		e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
		e.Run("aws", "eks", "create-nodegroup", "--cluster-name", name, "--nodegroup-name", "one", "--node-role", e.NodeRole("slotsNode"),
			"--subnets", e.PrivateSubnets()[0], "--scaling-config", "minSize=1,maxSize=1,desiredSize=1")
	}
	endpoints := map[string]bool{}
	for _, e := range servers {
		e.Run("aws", "eks", "wait", "nodegroup-active", "--cluster-name", name, "--nodegroup-name", "one")
		e.Run("aws", "eks", "update-kubeconfig", "--name", name)
		endpoint := strings.TrimPrefix(strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", name, "--query", "cluster.endpoint", "--output", "text")), "https://")
		endpoints[endpoint] = true
		// Both default VPCs are 172.31.0.0/16: the nodes may share addresses.
		ip := netip.MustParseAddr(strings.TrimSpace(e.Run("kubectl", "get", "nodes", "-o", "jsonpath={.items[0].status.addresses[?(@.type==\"InternalIP\")].address}")))
		if !netip.MustParsePrefix("172.31.0.0/16").Contains(ip) {
			t.Fatalf("node address %s is not in the default VPC", ip)
		}
		// Each server's own registry serves its nodes.
		n, _ := strconv.Atoi(slotOf(e))
		image := hostslot.Slot(n).RegistryAddress().String() + "/keks/hello"
		e.Run("kubectl", "run", "hello", "--image="+image, "--port=8080")
		e.Run("kubectl", "wait", "--for=condition=Ready", "pod/hello", "--timeout=120s")
		// The host reaches each server's load balancers.
		e.Run("kubectl", "expose", "pod", "hello", "--type=LoadBalancer", "--port=80", "--target-port=8080")
		var lb string
		deadline := time.Now().Add(90 * time.Second)
		for lb == "" && time.Now().Before(deadline) {
			lb = strings.TrimSpace(e.Run("kubectl", "get", "service", "hello", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"))
			time.Sleep(time.Second)
		}
		var page string
		for time.Now().Before(deadline) {
			out, err := exec.Command("curl", "-sf", "-m", "3", "http://"+lb+"/").Output()
			if page = string(out); err == nil {
				break
			}
			time.Sleep(time.Second)
		}
		if !strings.Contains(page, "Hello from hello") {
			t.Fatalf("load balancer %s of slot %s answered %q", lb, slotOf(e), page)
		}
		t.Logf("slot %s: endpoint %s, node %s, image %s, load balancer %s", slotOf(e), endpoint, ip, image, lb)
	}
	if len(endpoints) != 2 {
		t.Fatalf("the two clusters share an endpoint address: %v", endpoints)
	}

	// The second server, stopped with nothing left, gives its slot back and
	// leaves nothing of its namespace on the host.
	slot := slotOf(b)
	b.DeleteClusters()
	b.StopServer()
	ns := "keks-s" + slot
	if out, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(out), ns) {
		t.Errorf("namespace %s is left: %s", ns, out)
	}
	if exec.Command("ip", "link", "show", ns).Run() == nil {
		t.Errorf("link %s is left", ns)
	}
	if out, _ := exec.Command("iptables-save").Output(); strings.Contains(string(out), "keks slot "+ns) {
		t.Errorf("host rules of %s are left", ns)
	}
	if _, err := os.Stat(filepath.Join("/var/lib/keks-slots", slot)); err == nil {
		t.Errorf("slot %s is still held", slot)
	}
	// The first server's cluster is untouched.
	if out := a.Run("kubectl", "get", "--raw", "/readyz"); strings.TrimSpace(out) != "ok" {
		t.Fatalf("the first server's cluster after the second stopped: %q", out)
	}
}
