package controlplane

import (
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/eks"
)

func TestParseLoadSumsTheMetricsItNeeds(t *testing.T) {
	text := `# HELP apiserver_request_total Counter of apiserver requests
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",group="",resource="namespaces",scope="resource",subresource="",verb="GET",version="v1"} 1500
apiserver_request_total{code="201",component="apiserver",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"} 2.5e+01
apiserver_request_total_other{a="b"} 999
apiserver_current_inflight_requests{request_kind="mutating"} 3
apiserver_current_inflight_requests{request_kind="readOnly"} 7
apiserver_storage_objects{resource="nodes"} 120
apiserver_storage_objects{resource="pods"} 4000
`
	s, err := parseLoad(strings.NewReader(text), time.Unix(10, 0))
	if err != nil {
		t.Fatal(err)
	}
	if s.requests != 1525 || s.inflight != 10 || s.nodes != 120 {
		t.Fatalf("sample = %+v", s)
	}
	if _, err := parseLoad(strings.NewReader("apiserver_request_total{a=\"b\"} NaNx\n"), time.Now()); err == nil {
		t.Fatal("a malformed value was accepted")
	}
}

func TestObserveRatesEachAPIServerAgainstItsOwnLastSample(t *testing.T) {
	h := &loadHistory{}
	t0 := time.Unix(1000, 0)
	if _, ok := h.observe(map[string]loadSample{"kube-apiserver-a": {at: t0, requests: 100}}); ok {
		t.Fatal("a first sample gave a rate")
	}
	l, ok := h.observe(map[string]loadSample{
		"kube-apiserver-a": {at: t0.Add(10 * time.Second), requests: 1100, inflight: 4},
		"kube-apiserver-b": {at: t0.Add(10 * time.Second), requests: 50, inflight: 1}, // new: no rate yet
	})
	if !ok || l.rate != 100 || l.inflight != 5 {
		t.Fatalf("load = %+v ok=%v", l, ok)
	}
	// A restarted server's counter goes back: no negative rate.
	l, _ = h.observe(map[string]loadSample{
		"kube-apiserver-a": {at: t0.Add(20 * time.Second), requests: 10},
		"kube-apiserver-b": {at: t0.Add(20 * time.Second), requests: 550},
	})
	if l.rate != 50 {
		t.Fatalf("rate after a restart = %v, want 50", l.rate)
	}
}

func TestWantFollowsRateInflightAndNodes(t *testing.T) {
	p := DefaultScalingPolicy
	for _, c := range []struct {
		load  clusterLoad
		seats float64
		want  int
	}{
		{clusterLoad{rate: 20}, 600, 2},
		{clusterLoad{rate: 250}, 600, 3},
		{clusterLoad{rate: 10000}, 600, maxAPIServers},
		{clusterLoad{rate: 250}, 850, 2}, // a tier-xl API server takes 142/s
		{clusterLoad{rate: 300}, 850, 3},
		{clusterLoad{rate: 250}, 1700, 2},
		{clusterLoad{inflight: 700}, 600, 3},
		{clusterLoad{nodes: 150}, 600, 3},
		{clusterLoad{nodes: 5000}, 600, 5},
	} {
		if got, why := p.want(c.load, apiServerCount, c.seats); got != c.want {
			t.Errorf("want(%+v, seats %v) = %d (%s), want %d", c.load, c.seats, got, why, c.want)
		}
	}
}

func TestDecideScalesUpOnlyOnSustainedLoadAndDownAfterTheWindow(t *testing.T) {
	p := DefaultScalingPolicy
	h := &loadHistory{}
	t0 := time.Unix(0, 0)
	// Passes come a little later than sampleInterval: 10.3 s apart.
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * 1030 * time.Millisecond) }
	n := 2
	step := func(s, wanted int) int {
		n, _ = p.decide(h, recommendation{at: at(s), servers: wanted}, n, apiServerCount)
		return n
	}
	// Quiet for a while, then a spike of one sample: no change.
	for s := 0; s <= 60; s += 10 {
		step(s, 2)
	}
	if step(70, 4) != 2 || step(80, 2) != 2 {
		t.Fatal("one busy sample scaled the control plane")
	}
	// Busy for the scale-up window: up to the least the window wanted.
	step(90, 4)
	step(100, 3)
	if got := step(110, 4); got != 3 {
		t.Fatalf("after 20 s of load n = %d, want 3 (the least of the window)", got)
	}
	step(120, 4)
	if got := step(130, 4); got != 4 {
		t.Fatalf("n = %d, want 4", got)
	}
	// Load gone: nothing until the scale-down window holds no busy sample.
	for s := 140; s <= 130+110; s += 10 {
		if step(s, 2) != 4 {
			t.Fatalf("scaled down at %d s, inside the window", s)
		}
	}
	if got := step(260, 2); got != 2 {
		t.Fatalf("after the window n = %d, want 2", got)
	}
}

func TestDecideRaisesToTheFloorAtOnce(t *testing.T) {
	h := &loadHistory{}
	if n, _ := DefaultScalingPolicy.decide(h, recommendation{at: time.Now(), servers: 2}, 1, apiServerCount); n != apiServerCount {
		t.Fatalf("n = %d", n)
	}
}

func TestPlanAddsAPIServersWithTheirAuthenticatorsOnly(t *testing.T) {
	pl := newHostPlacement(t.TempDir(), "uid", 3, 4)
	roles := map[string]int{}
	names := map[string]bool{}
	for _, p := range plan(pl, "us-east-1") {
		roles[p.role]++
		names[p.name] = true
	}
	if roles[RoleAPIServer] != 4 || roles[RoleAuthenticator] != 4 || roles[RoleControllerManager] != 2 || roles[RoleScheduler] != 2 || roles[RoleEtcd] != 3 {
		t.Fatalf("roles = %v", roles)
	}
	if !names["kube-apiserver-d"] || names["kube-scheduler-c"] {
		t.Fatalf("names = %v", names)
	}
	if a := pl.APIServers(); a[3] != pl.net.addr(14) {
		t.Fatalf("fourth API server at %s", a[3])
	}
}

func TestRemovedAndForget(t *testing.T) {
	st := &State{Instances: []Instance{{Name: "kube-apiserver-a"}, {Name: "kube-apiserver-c"}, {Name: "authenticator-c"}}}
	got := removed(st, []Member{{plannedInstance: plannedInstance{name: "kube-apiserver-a"}}})
	if len(got) != 2 || got[0].Name != "kube-apiserver-c" {
		t.Fatalf("removed = %v", got)
	}
	st.forget(map[string]bool{"kube-apiserver-c": true, "authenticator-c": true})
	if len(st.Instances) != 1 || st.Instances[0].Name != "kube-apiserver-a" {
		t.Fatalf("instances = %v", st.Instances)
	}
	if (&State{APIServers: 9}).apiServerInstances() != maxAPIServers || (&State{}).apiServerInstances() != apiServerCount {
		t.Fatal("apiServerInstances does not clamp")
	}
}

func TestEtcdQuotaDoublesAsTheDatabaseNearsIt(t *testing.T) {
	for _, c := range []struct {
		size, quota, want int64
		raised            bool
	}{
		{1 << 30, 2 << 30, 2 << 30, false},
		{1500 << 20, 2 << 30, 4 << 30, true},
		{7 << 30, 8 << 30, 8 << 30, false}, // etcd's suggested maximum
		{6 << 30, 6 << 30, 8 << 30, true},
	} {
		if got, raised := raisedQuota(c.size, c.quota); got != c.want || raised != c.raised {
			t.Errorf("raisedQuota(%d, %d) = %d, %v; want %d, %v", c.size, c.quota, got, raised, c.want, c.raised)
		}
	}
	cl := &eks.Cluster{}
	st := &State{EtcdQuotaBytes: 4 << 30}
	members := []Member{{plannedInstance: plannedInstance{role: RoleEtcd}, Flags: map[string]string{}}, {plannedInstance: plannedInstance{role: RoleAPIServer}, Flags: map[string]string{}}}
	applyEtcdQuota(members, st, cl)
	if members[0].Flags["quota-backend-bytes"] != "4294967296" || len(members[1].Flags) != 0 {
		t.Fatalf("flags %v %v", members[0].Flags, members[1].Flags)
	}
	if st.etcdQuota(cl) != 4<<30 || (&State{}).etcdQuota(cl) != 2<<30 {
		t.Fatal("etcdQuota")
	}
}

// Samples 30 s apart (a calm control plane): one busy sample is not 20 s
// of load, since the calm one before it was still in force.
func TestDecideWaitsOutTheWindowWhenSamplesAreSparse(t *testing.T) {
	p := DefaultScalingPolicy
	h := &loadHistory{}
	t0 := time.Unix(0, 0)
	n := 2
	for _, r := range []recommendation{{at: t0, servers: 2}, {at: t0.Add(30 * time.Second), servers: 2}, {at: t0.Add(60 * time.Second), servers: 4}} {
		n, _ = p.decide(h, r, n, apiServerCount)
	}
	if n != 2 {
		t.Fatalf("one busy sample after calm ones gave %d API servers", n)
	}
	n, _ = p.decide(h, recommendation{at: t0.Add(70 * time.Second), servers: 4}, n, apiServerCount)
	if n != 2 {
		t.Fatalf("10 s of load gave %d API servers", n)
	}
	n, _ = p.decide(h, recommendation{at: t0.Add(80 * time.Second), servers: 4}, n, apiServerCount)
	if n != 4 {
		t.Fatalf("20 s of load gave %d API servers, want 4", n)
	}
}
