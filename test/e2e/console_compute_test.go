package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// TestConsoleCompute is the console's Compute tab on a live cluster: a
// managed node group added with the console's form, its node listed (with
// its node group, instance type, zone and Ready) on the tab and on the
// group's page, a Fargate profile added with the console and the pod it
// placed listed on its page, the Kubernetes error of a principal with no
// access entry shown in the table's place, and the group deleted with
// its typed name.
func TestConsoleCompute(t *testing.T) {
	harness.Long(t, "about 3 minutes with the cluster's deletion; internal/console's tests cover the pages without a live cluster")
	e := harness.New(t)
	const cluster = "console-compute"
	private := e.PrivateSubnets()
	e.Run("aws", "eks", "create-cluster", "--name", cluster, "--role-arn", e.ClusterRole("clusterRole"), "--resources-vpc-config", "subnetIds="+strings.Join(private, ","))
	nodeRole := e.NodeRole("nodeRole")
	podRole := e.FargateRole("fargatePods")
	e.Run("aws", "eks", "wait", "cluster-active", "--name", cluster)
	e.Run("aws", "eks", "update-kubeconfig", "--name", cluster)

	b := adminConsole(t, e)
	base := "/console/clusters/" + cluster

	// The form, as a browser without JavaScript sends it.
	_, form := b.get(base + "/nodegroups/create")
	if !strings.Contains(form, nodeRole) {
		t.Errorf("the form does not offer the node role %s", nodeRole)
	}
	resp, body := b.post(base+"/nodegroups/create", url.Values{"name": {"web"}, "role": {nodeRole}, "subnet": private[:1], "instancetype": {"t3.small"},
		"capacitytype": {"ON_DEMAND"}, "disksize": {"20"}, "desired": {"1"}, "min": {"1"}, "max": {"2"}, "labels": {"tier=web"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add node group: %d %s", resp.StatusCode, body)
	}
	start := time.Now()
	waitNodes(t, e, 1)
	t.Logf("node Ready %s after the form", time.Since(start).Round(100*time.Millisecond))
	zone := strings.TrimSpace(e.Run("kubectl", "get", "nodes", "-o", `jsonpath={.items[0].metadata.labels.topology\.kubernetes\.io/zone}`))
	node := strings.TrimSpace(e.Run("kubectl", "get", "nodes", "-o", `jsonpath={.items[0].metadata.name}`))

	harness.Eventually(t, 30*time.Second, "the node on the Compute tab", func() error {
		_, body := b.get(base + "/compute")
		for _, want := range []string{node, "Node group web", "t3.small", zone, `<span class="badge ok">Ready</span>`} {
			if !strings.Contains(body, want) {
				return fmt.Errorf("no %q on the tab", want)
			}
		}
		return nil
	})
	if _, body := b.get(base + "/nodegroups/web"); !strings.Contains(body, node) || !strings.Contains(body, "tier") {
		t.Errorf("node group page: no node %s", node)
	}

	// Fargate: a profile added with the console, a pod it places.
	resp, body = b.post(base+"/fargate/create", url.Values{"name": {"apps"}, "role": {podRole}, "selector-1-namespace": {"fargate"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add Fargate profile: %d %s", resp.StatusCode, body)
	}
	e.Run("aws", "eks", "wait", "fargate-profile-active", "--cluster-name", cluster, "--fargate-profile-name", "apps")
	e.Run("kubectl", "create", "namespace", "fargate")
	waitDefaultServiceAccount(t, e, "fargate")
	e.Run("kubectl", "-n", "fargate", "run", "hello", "--image="+registry+"/keks/hello:latest", "--restart=Never")
	e.Run("kubectl", "-n", "fargate", "wait", "--for=condition=Ready", "pod/hello", "--timeout=90s")
	if _, body := b.get(base + "/fargate/apps"); !strings.Contains(body, "<code>hello</code>") || !strings.Contains(body, "fargate-ip-") {
		t.Errorf("Fargate profile page: no pod hello on a Fargate node:\n%s", body)
	}
	if _, body := b.get(base + "/compute"); !strings.Contains(body, "<td>Fargate</td>") {
		t.Errorf("Compute tab: no Fargate node")
	}

	// A principal with EKS rights but no access entry: Kubernetes's
	// refusal in the Nodes table's place, the page itself fine.
	e.NewUser("viewer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"}]}`)
	vid, vsecret := computeAccessKey(t, e, "viewer")
	v := newConsoleClient(t, e)
	v.signIn(vid, vsecret)
	resp, body = v.get(base + "/compute")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="nodes-error"`) || !strings.Contains(body, "web") {
		t.Errorf("compute tab without an access entry: %d\n%s", resp.StatusCode, body)
	}

	// Delete with the typed name.
	resp, _ = b.post(base+"/nodegroups/web/delete", url.Values{"confirm": {"web"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if out := e.Run("aws", "eks", "describe-nodegroup", "--cluster-name", cluster, "--nodegroup-name", "web", "--query", "nodegroup.status", "--output", "text"); strings.TrimSpace(out) != "DELETING" {
		t.Errorf("after delete: %s", out)
	}
}

// computeAccessKey makes another access key for a user (NewUser keeps its own).
func computeAccessKey(t *testing.T, e *harness.Env, user string) (string, string) {
	var k struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	e.JSON(&k, "aws", "iam", "create-access-key", "--user-name", user)
	return k.AccessKey.AccessKeyId, k.AccessKey.SecretAccessKey
}
