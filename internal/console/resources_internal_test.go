package console

import (
	"strings"
	"testing"
	"time"

	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Every kind of the side list is in one group, once, with its API path.
func TestKindTable(t *testing.T) {
	want := []string{"Workloads", "Cluster", "Service and networking", "Config and secrets", "Storage", "Authentication", "Authorization", "Policy", "Extensions"}
	var got []string
	seen := map[string]bool{}
	for _, g := range kindGroups {
		got = append(got, g.Title)
		for _, k := range g.Kinds {
			if seen[k.Slug] {
				t.Errorf("kind %s listed twice", k.Slug)
			}
			seen[k.Slug] = true
			if k.Version == "" || k.Kind == "" || k.Title == "" {
				t.Errorf("kind %s: %+v", k.Slug, k)
			}
			if found, ok := kindBySlug(k.Slug); !ok || found.Slug != k.Slug {
				t.Errorf("kindBySlug(%s) = %+v %v", k.Slug, found, ok)
			}
		}
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("groups %q, want %q", got, want)
	}
	if len(seen) != 28 {
		t.Errorf("%d kinds, want 28", len(seen))
	}
	for _, tc := range []struct{ slug, ns, name, path string }{
		{"pods", "default", "", "/api/v1/namespaces/default/pods"},
		{"pods", "", "", "/api/v1/pods"},
		{"deployments", "lab", "web", "/apis/apps/v1/namespaces/lab/deployments/web"},
		{"nodes", "", "ip-10-0-0-1", "/api/v1/nodes/ip-10-0-0-1"},
		{"nodes", "ignored", "", "/api/v1/nodes"},
		{"clusterroles", "", "system:node", "/apis/rbac.authorization.k8s.io/v1/clusterroles/system:node"},
		{"customresourcedefinitions", "", "", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"},
	} {
		k, _ := kindBySlug(tc.slug)
		if p := k.apiPath(tc.ns, tc.name); p != tc.path {
			t.Errorf("%s %q %q: %s, want %s", tc.slug, tc.ns, tc.name, p, tc.path)
		}
	}
	if _, ok := kindBySlug("secrets/../pods"); ok {
		t.Error("a path found a kind")
	}
	if k, ok := kindOf("apps/v1", "ReplicaSet"); !ok || k.Slug != "replicasets" {
		t.Errorf("kindOf(apps/v1, ReplicaSet) = %v %v", k, ok)
	}
	if k, ok := kindOf("v1", "Node"); !ok || k.Slug != "nodes" {
		t.Errorf("kindOf(v1, Node) = %v %v", k, ok)
	}
}

func TestNames(t *testing.T) {
	for _, n := range []string{"web-7d4b9c", "system:controller:job-controller", "eks:addon-manager", "a.b"} {
		if !validName(n) {
			t.Errorf("%q refused", n)
		}
	}
	for _, n := range []string{"", ".", "..", "a/b", "a b", "<script>", strings.Repeat("a", 254), "a%2Fb"} {
		if validName(n) {
			t.Errorf("%q accepted", n)
		}
	}
	if validNamespace("Kube-System") || validNamespace("") || !validNamespace("kube-system") {
		t.Error("namespace validation")
	}
}

func TestClusterNotActive(t *testing.T) {
	name := "c1"
	if err := clusterNotActive(&ekstypes.Cluster{Name: &name, Status: ekstypes.ClusterStatusActive}); err != nil {
		t.Errorf("ACTIVE: %v", err)
	}
	err := clusterNotActive(&ekstypes.Cluster{Name: &name, Status: ekstypes.ClusterStatusCreating})
	se, status := explain(err)
	if !apierrors.IsConflict(err) || status != 409 || se.Code != "ClusterNotActive" || se.Message != "Cluster c1 is CREATING: its Kubernetes resources can be viewed once it is ACTIVE." {
		t.Errorf("CREATING: %v %d %+v", err, status, se)
	}
}

func TestRawViewDropsManagedFields(t *testing.T) {
	obj := map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p", "managedFields": []any{map[string]any{"manager": "kubectl"}}},
		"spec": map[string]any{"nodeName": "n1"}}
	js, err := rawView(obj, false)
	if err != nil || strings.Contains(js, "managedFields") || !strings.Contains(js, "\n  \"metadata\": {\n    \"name\": \"p\"") || !strings.Contains(js, `"nodeName": "n1"`) {
		t.Errorf("JSON: %v\n%s", err, js)
	}
	y, err := rawView(obj, true)
	if err != nil || strings.Contains(y, "managedFields") || !strings.Contains(y, "kind: Pod\n") {
		t.Errorf("YAML: %v\n%s", err, y)
	}
	// The object itself is left as it was.
	if _, ok := obj["metadata"].(map[string]any)["managedFields"]; !ok {
		t.Error("rawView changed the object")
	}
	if s, err := rawView(map[string]any{"metadata": "odd"}, false); err != nil || !strings.Contains(s, "odd") {
		t.Errorf("odd metadata: %v %s", err, s)
	}
}

func TestLogMerge(t *testing.T) {
	a := parseLogLines("web-1/app", []byte("2026-12-06T05:00:01.000000001Z listening on :8080\n2026-12-06T05:00:03Z second\ncontinued\n"))
	b := parseLogLines("web-2/app", []byte("2026-12-06T05:00:02.5Z listening on :8080\r\n2026-12-06T05:00:03Z also third\n\n"))
	if len(a) != 3 || a[2].Text != "continued" || !a[2].Time.Equal(a[1].Time) || len(b) != 2 || b[0].Text != "listening on :8080" {
		t.Fatalf("parsed: %+v %+v", a, b)
	}
	lines, cut := mergeLogLines([][]logLine{a, b}, 0)
	var got []string
	for _, l := range lines {
		got = append(got, l.Display(false))
	}
	want := []string{"[web-1/app] listening on :8080", "[web-2/app] listening on :8080", "[web-1/app] second", "[web-1/app] continued", "[web-2/app] also third"}
	if cut || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("merged:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	lines, cut = mergeLogLines([][]logLine{a, b}, 2)
	if !cut || len(lines) != 2 || lines[1].Text != "also third" {
		t.Errorf("newest 2: %+v %v", lines, cut)
	}
	if d := lines[1].Display(true); d != "2026-12-06T05:00:03.000Z [web-2/app] also third" {
		t.Errorf("with timestamp: %q", d)
	}
	if l := (logLine{Time: time.Time{}, Text: "x"}).Display(true); l != "x" {
		t.Errorf("no time: %q", l)
	}
}

func TestTailLines(t *testing.T) {
	for in, want := range map[string]int{"": 500, "1": 1, "200": 200, "5000": 5000, "999999": 5000} {
		if n, err := tailLines(in, 500); err != nil || n != want {
			t.Errorf("tail %q: %d %v", in, n, err)
		}
	}
	for _, in := range []string{"0", "-1", "x", "1e3", "99999999999999999999"} {
		if _, err := tailLines(in, 500); err == nil {
			t.Errorf("tail %q accepted", in)
		}
	}
}

func TestTableFill(t *testing.T) {
	raw := `{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"continue":"x"},
	"columnDefinitions":[{"name":"Name","type":"string","priority":0},{"name":"Ready","type":"string","priority":0},{"name":"Restarts","type":"integer","priority":0},{"name":"IP","type":"string","priority":1}],
	"rows":[{"cells":["web-1","1/1",0,"10.0.0.1"],"object":{"kind":"PartialObjectMetadata","metadata":{"name":"web-1","namespace":"lab"}}},
	        {"cells":["db-1","0/1",3,"10.0.0.2"],"object":{"kind":"PartialObjectMetadata","metadata":{"name":"db-1","namespace":"lab"}}}]}`
	k, _ := kindBySlug("pods")
	d := &resourcesTab{Cluster: "c", Kind: k, Q: "WEB"}
	if err := d.fill([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	if strings.Join(d.Columns, ",") != "Namespace,Name,Ready,Restarts,IP" || !d.More || !d.Loaded || d.Total != 2 || len(d.Rows) != 1 {
		t.Fatalf("%+v", d)
	}
	r := d.Rows[0]
	if strings.Join(r.Cells, ",") != "lab,web-1,1/1,0,10.0.0.1" || r.Href != "/console/clusters/c/resources/pods/lab/web-1" || r.LogsHref != "/console/clusters/c/logs/lab/pods/web-1" {
		t.Errorf("row %+v", r)
	}
	if err := (&resourcesTab{Kind: k}).fill([]byte(`{"kind":"PodList","items":[]}`)); err == nil || !strings.Contains(err.Error(), "PodList") {
		t.Errorf("a list taken for a table: %v", err)
	}
	if err := (&resourcesTab{Kind: k}).fill([]byte("<html>")); err == nil {
		t.Error("not a table accepted")
	}
}

func TestCustomKinds(t *testing.T) {
	for slug, want := range map[string]bool{"widgets.example.com": true, "volumesnapshots.snapshot.storage.k8s.io": true, "pods": false, "Widgets.example.com": false, "a..b": false, "x/y.z": false} {
		if customSlug(slug) != want {
			t.Errorf("customSlug(%q) = %v", slug, !want)
		}
	}
	crd := map[string]any{"metadata": map[string]any{"name": "widgets.example.com"},
		"spec": map[string]any{"group": "example.com", "scope": "Namespaced", "names": map[string]any{"plural": "widgets", "kind": "Widget"},
			"versions": []any{map[string]any{"name": "v1beta1", "served": true, "storage": false}, map[string]any{"name": "v1", "served": true, "storage": true}, map[string]any{"name": "v2", "served": false}}}}
	k, err := kindOfCRD(crd)
	if err != nil || k.Version != "v1" || !k.Namespaced || !k.Custom || k.Title != "Widget (widgets.example.com)" ||
		k.apiPath("lab", "w1") != "/apis/example.com/v1/namespaces/lab/widgets/w1" || k.GVR().Resource != "widgets" {
		t.Errorf("%+v %v %s", k, err, k.apiPath("lab", "w1"))
	}
	if href := objectHref("c", k, "lab", "w1"); href != "/console/clusters/c/resources/widgets.example.com/lab/w1" {
		t.Errorf("href %s", href)
	}
	if _, err := kindOfCRD(map[string]any{"metadata": map[string]any{"name": "x.y"}}); err == nil {
		t.Error("an empty definition gave a kind")
	}
}
