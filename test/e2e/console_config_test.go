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

// TestConsoleConfig creates a cluster from the console's form, waits for
// it to run, turns control-plane logging on and reads the API server's
// events on the console, adds an add-on, and deletes the cluster by its
// typed name.
func TestConsoleConfig(t *testing.T) {
	harness.Long(t, "a cluster run and deleted from the console, about 2 minutes; internal/console's tests cover its forms without a control plane")
	e := harness.New(t)
	role := e.ClusterRole("consoleClusterRole")
	b := adminConsole(t, e)
	if resp, body := b.get("/console/clusters/create"); resp.StatusCode != http.StatusOK || !strings.Contains(body, role) {
		t.Fatalf("create page: %d %s", resp.StatusCode, body)
	}
	const cluster = "from-console"
	resp, body := b.post("/console/clusters/create", url.Values{"name": {cluster}, "role": {role}, "subnets": e.PrivateSubnets(),
		"endpoint": {"public"}, "authmode": {"API_AND_CONFIG_MAP"}, "logging": {"api"}, "tags": {"made-by=console"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	start := time.Now()
	e.Run("aws", "eks", "wait", "cluster-active", "--name", cluster)
	t.Logf("ACTIVE %s after the form", time.Since(start).Round(time.Second))
	if _, body := b.get("/console/clusters/" + cluster); !strings.Contains(body, ">ACTIVE<") {
		t.Errorf("cluster page: %s", body)
	}
	// The API server's log, read on the console from CloudWatch Logs.
	harness.Eventually(t, 90*time.Second, "API server events on the console", func() error {
		_, body := b.get("/console/clusters/" + cluster + "/observability/logs/api")
		if !strings.Contains(body, "kube-apiserver-") || !strings.Contains(body, `class="logline"`) {
			return fmt.Errorf("no events yet")
		}
		return nil
	})
	for _, p := range []string{"networking", "addons", "access", "observability", "updates", "tags"} {
		if resp, body := b.get("/console/clusters/" + cluster + "/" + p); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
	if resp, body := b.post("/console/clusters/"+cluster+"/addons/add", url.Values{"addon": {"metrics-server"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("add metrics-server: %d %s", resp.StatusCode, body)
	}
	if resp, body := b.post("/console/clusters/"+cluster+"/observability/logging", url.Values{"logging": {"api", "audit"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("logging: %d %s", resp.StatusCode, body)
	}
	harness.Eventually(t, 90*time.Second, "the logging update Successful", func() error {
		_, body := b.get("/console/clusters/" + cluster + "/updates")
		if !strings.Contains(body, "LoggingUpdate") || strings.Contains(body, "InProgress") {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	if resp, _ := b.post("/console/clusters/"+cluster+"/delete", url.Values{"confirm": {"wrong"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("delete with a wrong name: %d", resp.StatusCode)
	}
	if resp, body := b.post("/console/clusters/"+cluster+"/delete", url.Values{"confirm": {cluster}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", resp.StatusCode, body)
	}
	e.Run("aws", "eks", "wait", "cluster-deleted", "--name", cluster)
}
