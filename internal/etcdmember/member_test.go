package etcdmember

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
)

// TestCommandLine: the flags are read from etcd's command line, the other
// members' client URLs derived from their peer URLs, and a rejoin replaces
// the bootstrap flags in place.
func TestCommandLine(t *testing.T) {
	args := []string{"/usr/local/bin/etcd", "--name=etcd-b", "--data-dir=/var/lib/etcd/data",
		"--initial-cluster=etcd-a=https://etcd-a-0.etcd.ns.svc.cluster.local:2380,etcd-b=https://etcd-b-0.etcd.ns.svc.cluster.local:2380,etcd-c=https://etcd-c-0.etcd.ns.svc.cluster.local:2380",
		"--initial-cluster-state=new", "--initial-advertise-peer-urls=https://etcd-b-0.etcd.ns.svc.cluster.local:2380", "--cert-file=/c", "--key-file=/k", "--trusted-ca-file=/ca"}
	f := Parse(args)
	if f.Name != "etcd-b" || f.DataDir != "/var/lib/etcd/data" || f.InitialClusterState != "new" || f.CertFile != "/c" || f.KeyFile != "/k" || f.CA != "/ca" {
		t.Fatalf("parsed %+v", f)
	}
	if got := strings.Join(otherClientURLs(f), " "); got != "https://etcd-a-0.etcd.ns.svc.cluster.local:2379 https://etcd-c-0.etcd.ns.svc.cluster.local:2379" {
		t.Fatalf("other members: %s", got)
	}
	out := withFlags(args, map[string]string{"initial-cluster-state": "existing", "initial-cluster": "etcd-a=https://a:2380,etcd-b=https://b:2380"})
	joined := strings.Join(out, " ")
	if strings.Count(joined, "--initial-cluster-state=") != 1 || !strings.Contains(joined, "--initial-cluster-state=existing") ||
		strings.Count(joined, "--initial-cluster=") != 1 || out[0] != "/usr/local/bin/etcd" {
		t.Fatalf("rejoin command line: %v", out)
	}
	dir := t.TempDir()
	if hasData(dir) {
		t.Fatal("an empty directory has data")
	}
	if err := os.MkdirAll(filepath.Join(dir, "member", "wal"), 0o700); err != nil {
		t.Fatal(err)
	}
	if !hasData(dir) {
		t.Fatal("a member's directory has no data")
	}
}

// TestDecide: a member without data is removed only if it ran before; one
// that sat out its cluster's bootstrap starts as bootstrapped.
func TestDecide(t *testing.T) {
	peer := func(n string) string { return "https://etcd-" + n + "-0.etcd.ns.svc.cluster.local:2380" }
	f := Flags{Name: "etcd-b", AdvertisePeerURL: peer("b"),
		InitialCluster: "etcd-a=" + peer("a") + ",etcd-b=" + peer("b") + ",etcd-c=" + peer("c")}
	started := func(id uint64, n string) *etcdserverpb.Member {
		return &etcdserverpb.Member{ID: id, Name: "etcd-" + n, PeerURLs: []string{peer(n)}, ClientURLs: []string{"https://x:2379"}}
	}
	a, c := started(1, "a"), started(3, "c")
	for _, tc := range []struct {
		name string
		b    *etcdserverpb.Member
		want step
	}{
		{"late to the bootstrap", &etcdserverpb.Member{ID: 2, Name: "etcd-b", PeerURLs: []string{peer("b")}}, keepBootstrap},
		{"lost its volume", started(2, "b"), removeAndAdd},
		{"added again, never started", &etcdserverpb.Member{ID: 9, PeerURLs: []string{peer("b")}}, joinAsListed},
		{"removed, not added again", nil, add},
	} {
		members := []*etcdserverpb.Member{a, c}
		if tc.b != nil {
			members = append(members, tc.b)
		}
		if got, _ := decide(members, f); got != tc.want {
			t.Errorf("%s: step %d, want %d", tc.name, got, tc.want)
		}
	}
	added := []*etcdserverpb.Member{a, c, {ID: 9, PeerURLs: []string{peer("b")}}, {ID: 7, PeerURLs: []string{peer("d")}}}
	f.InitialCluster += ",etcd-d=" + peer("d")
	if got, want := initialCluster(added, 9, f), "etcd-a="+peer("a")+",etcd-b="+peer("b")+",etcd-c="+peer("c")+",etcd-d="+peer("d"); got != want {
		t.Errorf("initial cluster %s, want %s", got, want)
	}
}
