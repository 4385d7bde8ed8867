package insights

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func auditLine(stage, agent, resource, group, version, removed string, at time.Time, deprecated bool) string {
	ann := `"authorization.k8s.io/decision":"allow"`
	if deprecated {
		ann += `,"k8s.io/deprecated":"true"`
		if removed != "" {
			ann += `,"k8s.io/removed-release":"` + removed + `"`
		}
	}
	return `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","stage":"` + stage + `","requestURI":"/api/v1/` + resource +
		`","verb":"list","userAgent":"` + agent + `","objectRef":{"resource":"` + resource + `","apiGroup":"` + group + `","apiVersion":"` + version +
		`"},"stageTimestamp":"` + at.UTC().Format(time.RFC3339Nano) + `","annotations":{` + ann + `}}`
}

func TestAuditGivesClientStats(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	lines := []string{
		auditLine("ResponseComplete", "kubectl/v1.36.3 (linux/amd64)", "componentstatuses", "", "v1", "", now.Add(-2*time.Hour), true),
		auditLine("ResponseStarted", "kubectl/v1.36.3 (linux/amd64)", "componentstatuses", "", "v1", "", now.Add(-time.Hour), true),
		auditLine("ResponseComplete", "kubectl/v1.36.3 (linux/amd64)", "componentstatuses", "", "v1", "", now.Add(-time.Hour), true),
		auditLine("ResponseComplete", "old-tool/1.0", "componentstatuses", "", "v1", "", now.Add(-40*24*time.Hour), true),
		auditLine("ResponseComplete", "ci/2.0", "widgets", "example.k8s.io", "v1beta1", "1.37", now.Add(-time.Minute), true),
		auditLine("ResponseComplete", "kubectl/v1.36.3 (linux/amd64)", "pods", "", "v1", "", now, false),
		`not json "k8s.io/deprecated":"true"`,
	}
	if err := os.WriteFile(filepath.Join(dir, "audit-a.log"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, "1.36")
	f.s.Audit = AuditLog{Dir: func(context.Context, string) (string, error) { return dir, nil }}
	rec, err := f.s.Refresh(context.Background(), f.c)
	if err != nil {
		t.Fatal(err)
	}
	dep := byName(t, rec.Insights)["Deprecated APIs removed in Kubernetes v1.37"]
	if dep.Status != StatusError || len(dep.Deprecations) != 2 {
		t.Fatalf("insight %+v", dep)
	}
	cs := dep.Deprecations[0]
	if cs.Usage != "/api/v1/componentstatuses" || len(cs.ClientStats) != 1 || cs.ClientStats[0].UserAgent != "kubectl/v1.36.3 (linux/amd64)" ||
		cs.ClientStats[0].NumberOfRequestsLast30Days != 2 || !cs.ClientStats[0].LastRequestTime.Equal(now.Add(-time.Hour).UTC().Truncate(time.Nanosecond)) {
		t.Errorf("componentstatuses: %+v", cs)
	}
	if w := dep.Deprecations[1]; w.Usage != "/apis/example.k8s.io/v1beta1/widgets" || len(w.ClientStats) != 1 || w.ClientStats[0].UserAgent != "ci/2.0" {
		t.Errorf("widgets: %+v", w)
	}
}
