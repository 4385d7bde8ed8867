package insights

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/store/storetest"
)

// fakeSource is a cluster's metrics and nodes, as the test sets them.
type fakeSource struct {
	uses  []DeprecatedUse
	nodes []Node
	err   error
}

func (f *fakeSource) DeprecatedAPIs(context.Context, string) ([]DeprecatedUse, error) {
	return f.uses, f.err
}
func (f *fakeSource) Nodes(context.Context, string) ([]Node, error) { return f.nodes, f.err }

type fixture struct {
	s   *Service
	src *fakeSource
	now time.Time
	c   *eks.Cluster
}

const region = "us-east-1"

func newFixture(t *testing.T, version string) *fixture {
	t.Helper()
	st := storetest.Open(t)
	ctx := context.Background()
	f := &fixture{src: &fakeSource{}, now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	e := &eks.Service{Store: st, Now: func() time.Time { return f.now }}
	f.s = New(st, e, f.src, slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.c = &eks.Cluster{Name: "c1", UID: "uid-1", Region: region, ARN: "arn:aws:eks:us-east-1:111122223333:cluster/c1",
		Spec: eks.ClusterSpec{Version: version}, Status: eks.Status{Phase: eks.StatusActive}}
	if err := st.Create(ctx, eks.ClusterPrefix+region+"/c1", f.c); err != nil {
		t.Fatal(err)
	}
	for _, a := range []eks.Addon{
		{Name: "kube-proxy", ClusterUID: f.c.UID, Version: "v1.36.3-eksbuild.1", ARN: "arn:aws:eks:us-east-1:111122223333:addon/c1/kube-proxy/x"},
		{Name: "vpc-cni", ClusterUID: f.c.UID, Version: "v1.20.4-eksbuild.1", ARN: "arn:aws:eks:us-east-1:111122223333:addon/c1/vpc-cni/y"},
	} {
		if err := st.Create(ctx, "eks/addons/"+f.c.UID+"/"+a.Name, &a); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func byName(t *testing.T, ins []Insight) map[string]Insight {
	t.Helper()
	out := map[string]Insight{}
	for _, in := range ins {
		out[in.Name] = in
	}
	return out
}

func TestParseDeprecatedAPIs(t *testing.T) {
	page := []byte(`# HELP apiserver_requested_deprecated_apis [STABLE] Gauge of deprecated APIs that have been requested.
# TYPE apiserver_requested_deprecated_apis gauge
apiserver_requested_deprecated_apis{group="",removed_release="",resource="componentstatuses",subresource="",version="v1"} 1
apiserver_requested_deprecated_apis{group="flowcontrol.apiserver.k8s.io",removed_release="1.32",resource="flowschemas",subresource="status",version="v1beta3"} 1
apiserver_requested_deprecated_apis{group="x",removed_release="",resource="zero",subresource="",version="v1"} 0
apiserver_requested_deprecated_apis{group="broken
apiserver_request_total{code="200"} 7
`)
	got := ParseDeprecatedAPIs(page)
	want := []DeprecatedUse{
		{Version: "v1", Resource: "componentstatuses"},
		{Group: "flowcontrol.apiserver.k8s.io", Version: "v1beta3", Resource: "flowschemas", Subresource: "status", RemovedRelease: "1.32"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestRefreshChecksTheNextVersion(t *testing.T) {
	f := newFixture(t, "1.36")
	ctx := context.Background()
	f.src.uses = []DeprecatedUse{
		{Version: "v1", Resource: "componentstatuses"},
		{Version: "v1", Resource: "endpoints"}, // the control plane's own
		{Group: "example.k8s.io", Version: "v1beta1", Resource: "widgets", RemovedRelease: "1.37"},
		{Group: "example.k8s.io", Version: "v1beta2", Resource: "gadgets", RemovedRelease: "1.39"},
	}
	f.src.nodes = []Node{{Name: "old", KubeletVersion: "v1.33.9"}, {Name: "edge", KubeletVersion: "v1.34.4"}, {Name: "new", KubeletVersion: "v1.36.3"}}
	rec, err := f.s.Refresh(ctx, f.c)
	if err != nil {
		t.Fatal(err)
	}
	got := byName(t, rec.Insights)
	if len(got) != 3 {
		t.Fatalf("insights %v", got)
	}
	dep := got["Deprecated APIs removed in Kubernetes v1.37"]
	if dep.Status != StatusError || dep.KubernetesVersion != "1.37" || dep.Category != CategoryUpgradeReadiness || len(dep.Deprecations) != 3 {
		t.Fatalf("deprecated APIs insight %+v", dep)
	}
	var usages []string
	for _, d := range dep.Deprecations {
		usages = append(usages, d.Usage+" "+d.StopServingVersion)
	}
	if want := []string{"/api/v1/componentstatuses ", "/apis/example.k8s.io/v1beta1/widgets 1.37", "/apis/example.k8s.io/v1beta2/gadgets 1.39"}; !slices.Equal(usages, want) {
		t.Errorf("usages %q, want %q", usages, want)
	}
	skew := got["Kubelet version skew"]
	if skew.Status != StatusError || len(skew.Resources) != 2 || skew.Resources[0].KubernetesResourceURI != "/api/v1/nodes/edge" ||
		skew.Resources[0].Status != StatusWarning || skew.Resources[1].Status != StatusError {
		t.Errorf("kubelet skew insight %+v", skew)
	}
	add := got["Amazon EKS add-on version compatibility"]
	if add.Status != StatusError || len(add.Addons) != 1 || add.Addons[0].Name != "kube-proxy" ||
		!slices.Equal(add.Addons[0].CompatibleVersions, []string{"v1.37.2-eksbuild.1"}) {
		t.Errorf("add-on insight %+v", add)
	}

	// A second refresh: same ids; what the restarted API servers no longer
	// report is remembered; a status that did not change keeps its
	// transition time, one that did gets the refresh's.
	f.src.uses = nil
	f.src.nodes = []Node{{Name: "new", KubeletVersion: "v1.36.3"}}
	first := f.now
	f.now = f.now.Add(time.Hour)
	rec2, err := f.s.Refresh(ctx, f.c)
	if err != nil {
		t.Fatal(err)
	}
	got2 := byName(t, rec2.Insights)
	if d := got2[dep.Name]; d.ID != dep.ID || d.Status != StatusError || !d.LastTransitionTime.Equal(first) || !d.LastRefreshTime.Equal(f.now) {
		t.Errorf("deprecated APIs after a gauge reset: %+v", d)
	}
	if s := got2[skew.Name]; s.ID != skew.ID || s.Status != StatusPassing || !s.LastTransitionTime.Equal(f.now) {
		t.Errorf("kubelet skew after the old nodes left: %+v", s)
	}
	// Past 30 days the old use no longer counts.
	f.now = f.now.Add(31 * 24 * time.Hour)
	rec3, _ := f.s.Refresh(ctx, f.c)
	if d := byName(t, rec3.Insights)[dep.Name]; d.Status != StatusPassing || len(d.Deprecations) != 0 {
		t.Errorf("deprecated APIs 31 days later: %+v", d)
	}
}

func TestUnreachableClusterIsUnknown(t *testing.T) {
	f := newFixture(t, "1.36")
	f.src.err = errors.New("connection refused")
	ins, _, err := f.s.List(context.Background(), region, "c1", Filter{}, 0, "")
	if err != nil {
		t.Fatalf("list: %v, want insights with UNKNOWN", err)
	}
	got := byName(t, ins)
	if got["Deprecated APIs removed in Kubernetes v1.37"].Status != StatusUnknown || got["Kubelet version skew"].Status != StatusUnknown {
		t.Errorf("insights %+v", got)
	}
}

func TestListFilterPagingDescribe(t *testing.T) {
	f := newFixture(t, "1.37")
	ctx := context.Background()
	f.src.uses = []DeprecatedUse{{Version: "v1", Resource: "componentstatuses"}}
	all, next, err := f.s.List(ctx, region, "c1", Filter{}, 0, "")
	if err != nil || next != "" || len(all) != 3 {
		t.Fatalf("list: %d %q %v", len(all), next, err)
	}
	// 1.38 is not offered: the add-on check cannot tell.
	if got := byName(t, all); got["Amazon EKS add-on version compatibility"].Status != StatusUnknown ||
		got["Deprecated APIs removed in Kubernetes v1.38"].Status != StatusWarning {
		t.Errorf("insights on the newest version: %+v", got)
	}
	warn, _, _ := f.s.List(ctx, region, "c1", Filter{Statuses: []string{StatusWarning}}, 0, "")
	if len(warn) != 1 || warn[0].Name != "Deprecated APIs removed in Kubernetes v1.38" {
		t.Errorf("WARNING only: %+v", warn)
	}
	none, _, _ := f.s.List(ctx, region, "c1", Filter{KubernetesVersions: []string{"1.37"}}, 0, "")
	if len(none) != 0 {
		t.Errorf("for 1.37: %+v", none)
	}
	p1, tok, _ := f.s.List(ctx, region, "c1", Filter{}, 2, "")
	p2, tok2, _ := f.s.List(ctx, region, "c1", Filter{}, 2, tok)
	if len(p1) != 2 || tok == "" || len(p2) != 1 || tok2 != "" {
		t.Errorf("pages %d %q %d %q", len(p1), tok, len(p2), tok2)
	}
	d, err := f.s.Describe(ctx, region, "c1", all[0].ID)
	if err != nil || d.ID != all[0].ID {
		t.Errorf("describe: %+v %v", d, err)
	}
	if _, err := f.s.Describe(ctx, region, "c1", "nope"); err == nil {
		t.Error("describe of an unknown id: no error")
	}
	if _, _, err := f.s.List(ctx, region, "missing", Filter{}, 0, ""); err == nil {
		t.Error("list of a missing cluster: no error")
	}
}

func TestStartRefreshRunsOnTheWorker(t *testing.T) {
	f := newFixture(t, "1.36")
	ctx := context.Background()
	if _, err := f.s.DescribeRefresh(ctx, region, "c1"); err == nil {
		t.Error("describe refresh before any: no error")
	}
	st, err := f.s.StartRefresh(ctx, region, "c1")
	if err != nil || st.Status != RefreshInProgress {
		t.Fatalf("start: %+v %v", st, err)
	}
	f.s.pass(ctx)
	st, err = f.s.DescribeRefresh(ctx, region, "c1")
	if err != nil || st.Status != RefreshCompleted || st.EndedAt.IsZero() {
		t.Fatalf("after the worker's pass: %+v %v", st, err)
	}
	// A deleted cluster's record goes on the next pass.
	if err := f.s.store.Delete(ctx, eks.ClusterPrefix+region+"/c1"); err != nil {
		t.Fatal(err)
	}
	f.s.pass(ctx)
	recs, _ := f.s.store.ListRaw(ctx, Prefix)
	if len(recs) != 0 {
		t.Errorf("%d records left of a deleted cluster", len(recs))
	}
}

func TestBeforeUpgradeNamesWhatIsNotPassing(t *testing.T) {
	f := newFixture(t, "1.36")
	f.src.nodes = []Node{{Name: "n", KubeletVersion: "v1.36.3"}}
	got, err := f.s.BeforeUpgrade(context.Background(), f.c, "1.37")
	if err != nil || !slices.Equal(got, []string{"Amazon EKS add-on version compatibility: ERROR"}) {
		t.Errorf("not passing: %q %v", got, err)
	}
	var rec Record
	if _, err := f.s.store.Get(context.Background(), recordKey(f.c.UID), &rec); err != nil || rec.BeforeUpgrade == nil ||
		rec.BeforeUpgrade.To != "1.37" || !slices.Equal(rec.BeforeUpgrade.NotPassing, got) {
		t.Errorf("recorded: %+v %v", rec.BeforeUpgrade, err)
	}
}
