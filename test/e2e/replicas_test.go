package e2e

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// TestReplicas is issue 16's check of keks in replicas over one external
// etcd: two replicas (same data directory, different listen addresses);
// CreateCluster through the standby, which forwards it; the leader killed
// while the cluster is CREATING; the standby leads within the lease and
// finishes it: ACTIVE, kubectl works, one etcd cluster of 3 members. API
// calls through it during the failover succeed (the AWS CLI retries by
// itself). Then the killed replica comes back as a standby, the leader
// stops, and it takes over the running cluster without restarting a
// process; the cluster is deleted through the other and nothing is left.
func TestReplicas(t *testing.T) {
	etcd := harness.StartEtcd(t)
	a := harness.New(t, "--etcd-endpoints", etcd)
	b := a.Replica("b")
	if !logSays(a.LogFile(), "keks replica leads the store") || !logSays(b.LogFile(), "keks replica standing by") {
		t.Fatal("replica a should lead and b stand by")
	}
	const name = "replicas"
	role := b.ClusterRole("eksClusterRole")
	subnets := b.PrivateSubnets()
	if len(subnets) != 3 {
		t.Fatalf("want 3 private subnets, got %v", subnets)
	}
	start := time.Now()
	b.Run("aws", "eks", "create-cluster", "--name", name, "--role-arn", role, "--resources-vpc-config", "subnetIds="+strings.Join(subnets, ","))

	// Mid-CreateCluster: once the leader has started control-plane processes.
	harness.Eventually(t, 2*time.Minute, "control-plane processes started", func() error {
		for _, in := range b.Instances(name) {
			if in.PID != 0 {
				return nil
			}
		}
		return fmt.Errorf("none yet")
	})
	if st := strings.TrimSpace(b.Run("aws", "eks", "describe-cluster", "--name", name, "--query", "cluster.status", "--output", "text")); st != "CREATING" {
		t.Fatalf("status when the leader is killed: %s, want CREATING", st)
	}

	probe := probeAPI(b)
	killed := time.Now()
	a.KillServer()
	t.Logf("killed the leader (replica a) %s after CreateCluster", killed.Sub(start).Round(time.Second))
	harness.Eventually(t, 30*time.Second, "replica b leads", func() error {
		if !logSays(b.LogFile(), "keks replica leads the store") {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	t.Logf("replica b leads %s after the kill", time.Since(killed).Round(100*time.Millisecond))

	b.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	t.Logf("cluster ACTIVE %s after CreateCluster", time.Since(start).Round(time.Second))
	longest, failed := probe()
	t.Logf("API calls through b during the failover: longest %s, %d failed", longest.Round(10*time.Millisecond), failed)
	if failed > 0 {
		t.Errorf("%d API calls through b failed during the failover", failed)
	}

	b.Run("aws", "eks", "update-kubeconfig", "--name", name)
	if out := b.Run("kubectl", "get", "--raw", "/readyz"); strings.TrimSpace(out) != "ok" {
		t.Fatalf("/readyz: %q", out)
	}
	etcdMembers := 0
	before := map[string]int{}
	for _, in := range b.Instances(name) {
		if !in.Running || !in.Healthy {
			t.Fatalf("instance not healthy: %+v", in)
		}
		if in.Role == "etcd" {
			etcdMembers++
		}
		before[in.Name] = in.PID
	}
	if etcdMembers != 3 {
		t.Fatalf("%d etcd members, want 3 (one etcd cluster)", etcdMembers)
	}
	if out := b.Run("kubectl", "get", "--raw", "/healthz/etcd"); strings.TrimSpace(out) != "ok" {
		t.Fatalf("etcd health through the API server: %q", out)
	}

	// Restart loses nothing: a comes back as a standby; b stops; a leads
	// and adopts the running control plane.
	a.StartServer()
	// A kubeconfig made through a standby presigns get-token for the
	// standby's address; the clusters' authenticators accept every replica's.
	a.Run("aws", "eks", "update-kubeconfig", "--name", name)
	harness.Eventually(t, 30*time.Second, "kubectl with a token presigned for the standby", func() error {
		out, err := a.Try("kubectl", "get", "--raw", "/readyz")
		if err != nil || strings.TrimSpace(out) != "ok" {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	})
	b.StopServer()
	harness.Eventually(t, 30*time.Second, "replica a leads again", func() error {
		_, err := a.Try("aws", "eks", "describe-cluster", "--name", name)
		return err
	})
	if st := strings.TrimSpace(a.Run("aws", "eks", "describe-cluster", "--name", name, "--query", "cluster.status", "--output", "text")); st != "ACTIVE" {
		t.Fatalf("status after the second failover: %s", st)
	}
	time.Sleep(5 * time.Second) // a few reconciler passes
	for _, in := range a.Instances(name) {
		if before[in.Name] != in.PID {
			t.Fatalf("%s was restarted (pid %d -> %d) instead of adopted", in.Name, before[in.Name], in.PID)
		}
	}

	// Fencing: the leader a hangs past its lease. b leads but waits for
	// the data directory until a, let go on, finds its leadership lost
	// (its writes meanwhile refused) and exits non-zero.
	b.StartServer()
	probe = probeAPI(b)
	a.PauseServer()
	paused := time.Now()
	time.Sleep(2 * leaseTTL)
	a.ResumeServer()
	code, exited := a.ServerExit(30 * time.Second)
	if !exited || code == 0 || !logSays(a.LogFile(), "lost leadership of the store") {
		t.Fatalf("replica a after losing its lease while paused: exited %v with %d; want a non-zero exit saying it lost leadership", exited, code)
	}
	t.Logf("replica a, paused %s, exited with %d once let go on; its writes refused meanwhile: %d", time.Since(paused).Round(100*time.Millisecond), code,
		strings.Count(readLog(a.LogFile()), "no longer the leader"))
	if st := strings.TrimSpace(b.Run("aws", "eks", "describe-cluster", "--name", name, "--query", "cluster.status", "--output", "text")); st != "ACTIVE" {
		t.Fatalf("status after the fenced failover: %s", st)
	}
	longest, failed = probe()
	t.Logf("API calls through b while a hung and after: longest %s, %d failed", longest.Round(10*time.Millisecond), failed)
	time.Sleep(5 * time.Second)
	for _, in := range b.Instances(name) {
		if before[in.Name] != in.PID {
			t.Fatalf("%s was restarted (pid %d -> %d) instead of adopted", in.Name, before[in.Name], in.PID)
		}
	}

	// Delete through b; a comes back as a standby first, so the leader b
	// keeps the host slot when it stops (another replica may need it).
	a.StartServer()
	b.Run("aws", "eks", "delete-cluster", "--name", name)
	b.Run("aws", "eks", "wait", "cluster-deleted", "--name", name)
	if left := a.Leftovers(); len(left) > 0 {
		t.Fatalf("left after deleting the cluster:\n%s", strings.Join(left, "\n"))
	}
}

// probeAPI calls the API through e until the returned function is called,
// one call at a time, and reports the longest call (the AWS CLI's own
// retries included) and how many failed.
func probeAPI(e *harness.Env) func() (time.Duration, int) {
	var mu sync.Mutex
	var longest time.Duration
	failed := 0
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			default:
			}
			t0 := time.Now()
			_, err := e.TryFor(time.Minute, "aws", "eks", "list-clusters")
			d := time.Since(t0)
			mu.Lock()
			longest = max(longest, d)
			if err != nil {
				failed++
			}
			mu.Unlock()
			time.Sleep(200 * time.Millisecond)
		}
	}()
	return func() (time.Duration, int) {
		close(done)
		<-finished
		mu.Lock()
		defer mu.Unlock()
		return longest, failed
	}
}

func logSays(file, line string) bool { return strings.Contains(readLog(file), line) }

func readLog(file string) string {
	b, _ := os.ReadFile(file)
	return string(b)
}

// leaseTTL is keks's leader lease (server.leaderTTL).
const leaseTTL = 5 * time.Second
