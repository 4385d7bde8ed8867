package etcdmember

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
