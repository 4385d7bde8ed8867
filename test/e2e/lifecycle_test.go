package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// TestVersionLifecycle: a cluster whose version leaves standard support
// with the STANDARD upgrade policy is upgraded by keks to the next minor,
// as EKS does; before that, its upgrade insights warn of a deprecated API
// its clients use. The clock moves with keks's --clock-offset.
func TestVersionLifecycle(t *testing.T) {
	harness.Long(t, "about 5 minutes: a cluster, its insights, a keks restart in August 2027 and the automatic upgrade")
	e := harness.New(t)
	const name, from, to = "lifecycle", "1.36", "1.37"
	// Built before the cluster is asked for: a cold build (minutes) would
	// outlast the CLI's wait for ACTIVE.
	e.Run(e.Keks, "build-kubernetes", from, to)
	e.Run("aws", "eks", "create-cluster", "--name", name, "--kubernetes-version", from, "--upgrade-policy", "supportType=STANDARD",
		"--role-arn", e.ClusterRole("lifecycleRole"), "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","),
		"--logging", `{"clusterLogging":[{"types":["audit"],"enabled":true}]}`)
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	e.Run("aws", "eks", "update-kubeconfig", "--name", name)

	// A client still calls a deprecated API.
	if out, err := e.Try("kubectl", "get", "componentstatuses"); err != nil || !strings.Contains(out, "etcd") {
		t.Fatalf("kubectl get componentstatuses: %v\n%s", err, out)
	}
	e.Run("aws", "eks", "start-insights-refresh", "--cluster-name", name)
	harness.Eventually(t, 2*time.Minute, "insights refreshed", func() error {
		if st := strings.TrimSpace(e.Run("aws", "eks", "describe-insights-refresh", "--cluster-name", name, "--query", "status", "--output", "text")); st != "COMPLETED" {
			return fmt.Errorf("refresh %s", st)
		}
		return nil
	})
	var insights struct {
		Insights []struct {
			ID, Name, KubernetesVersion string
			InsightStatus               struct{ Status string }
		}
	}
	e.JSON(&insights, "aws", "eks", "list-insights", "--cluster-name", name)
	deprecated := ""
	for _, in := range insights.Insights {
		t.Logf("insight %q for %s: %s", in.Name, in.KubernetesVersion, in.InsightStatus.Status)
		if in.KubernetesVersion != to {
			t.Errorf("insight %q is about %s, want %s", in.Name, in.KubernetesVersion, to)
		}
		if strings.Contains(in.Name, "Deprecated APIs") {
			deprecated = in.ID
			if in.InsightStatus.Status != "WARNING" {
				t.Errorf("deprecated APIs insight %s, want WARNING", in.InsightStatus.Status)
			}
		}
	}
	if deprecated == "" {
		t.Fatalf("no deprecated APIs insight among %d", len(insights.Insights))
	}
	var detail struct {
		Insight struct {
			CategorySpecificSummary struct {
				DeprecationDetails []struct {
					Usage       string
					ClientStats []struct{ UserAgent string }
				}
			}
		}
	}
	e.JSON(&detail, "aws", "eks", "describe-insight", "--cluster-name", name, "--id", deprecated)
	found := false
	for _, d := range detail.Insight.CategorySpecificSummary.DeprecationDetails {
		if strings.Contains(d.Usage, "componentstatuses") {
			found = true
			if len(d.ClientStats) == 0 || !strings.HasPrefix(d.ClientStats[0].UserAgent, "kubectl/") {
				t.Errorf("componentstatuses' clients: %+v", d.ClientStats)
			}
		}
	}
	if !found {
		b, _ := json.Marshal(detail)
		t.Errorf("describe-insight does not name componentstatuses: %s", b)
	}

	// August 2027: 1.36's standard support has ended.
	offset := time.Until(time.Date(2027, 8, 11, 0, 0, 0, 0, time.UTC)).Round(time.Hour)
	e.StopServer()
	e.AddServerArgs(fmt.Sprintf("--clock-offset=%s", offset))
	e.StartServer()
	if st := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster-versions", "--cluster-versions", from, "--query", "clusterVersions[0].versionStatus", "--output", "text")); st != "EXTENDED_SUPPORT" {
		t.Errorf("%s's status in August 2027: %s", from, st)
	}
	var id string
	harness.Eventually(t, 3*time.Minute, "an automatic upgrade", func() error {
		ids := strings.Fields(e.Run("aws", "eks", "list-updates", "--name", name, "--query", "updateIds", "--output", "text"))
		for _, u := range ids {
			if typ := strings.TrimSpace(e.Run("aws", "eks", "describe-update", "--name", name, "--update-id", u, "--query", "update.type", "--output", "text")); typ == "VersionUpdate" {
				id = u
				return nil
			}
		}
		return fmt.Errorf("updates %v", ids)
	})
	start := time.Now()
	waitUpdate(t, e, name, id)
	t.Logf("automatic upgrade %s -> %s successful %s after it was seen", from, to, time.Since(start).Round(time.Second))
	if v := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", name, "--query", "cluster.[status,version]", "--output", "text")); v != "ACTIVE\t"+to {
		t.Errorf("after the automatic upgrade: %q", v)
	}
	// 1.37 is in standard support until December 2027: no second upgrade.
	time.Sleep(70 * time.Second)
	versionUpdates := 0
	for _, u := range strings.Fields(e.Run("aws", "eks", "list-updates", "--name", name, "--query", "updateIds", "--output", "text")) {
		if typ := strings.TrimSpace(e.Run("aws", "eks", "describe-update", "--name", name, "--update-id", u, "--query", "update.type", "--output", "text")); typ == "VersionUpdate" {
			versionUpdates++
		}
	}
	if versionUpdates != 1 {
		t.Errorf("%d version updates, want 1", versionUpdates)
	}
	e.Run("aws", "eks", "delete-cluster", "--name", name)
	e.Run("aws", "eks", "wait", "cluster-deleted", "--name", name)
}
