package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestReplicaFollowsOnlyItsOwnRuntime: a replica stands by only for a
// leader on its host and data directory, whose clusters it could adopt.
func TestReplicaFollowsOnlyItsOwnRuntime(t *testing.T) {
	self := replicaIdentity{Host: "h1", DataDir: "/var/lib/keks", PID: 2, Address: "127.0.0.1:4578"}
	value := func(id replicaIdentity) string {
		b, _ := json.Marshal(id)
		return string(b)
	}
	if err := self.canFollow(value(replicaIdentity{Host: "h1", DataDir: "/var/lib/keks", PID: 1, Address: "127.0.0.1:4577"})); err != nil {
		t.Fatalf("same host and data directory: %v", err)
	}
	for _, leader := range []string{
		value(replicaIdentity{Host: "h1", DataDir: "/var/lib/keks-other", PID: 1, Address: "127.0.0.1:4577"}),
		value(replicaIdentity{Host: "h2", DataDir: "/var/lib/keks", PID: 1, Address: "10.0.0.2:4577"}),
	} {
		err := self.canFollow(leader)
		if err == nil || !strings.Contains(err.Error(), "replicas must share its host and data directory") {
			t.Errorf("leader %s: %v", leader, err)
		}
	}
	if err := self.canFollow("keks server on h1, data directory /x, pid 1"); err == nil {
		t.Error("a leader value of another form was followed")
	}
}

// TestNewLeaderWaitsForTheDataDirectory: a new leader takes the data
// directory only once the former one (here a lock held in this process)
// lets go of it.
func TestNewLeaderWaitsForTheDataDirectory(t *testing.T) {
	dir := t.TempDir()
	release, err := lockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		unlock, err := lockDataDirWaiting(context.Background(), dir, slog.New(slog.DiscardHandler))
		if err == nil {
			defer unlock()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("took the data directory while it was held: %v", err)
	case <-time.After(800 * time.Millisecond):
	}
	release()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("did not take the data directory once it was let go")
	}
	ctx, cancel := context.WithCancel(context.Background())
	release, _ = lockDataDir(dir)
	defer release()
	cancel()
	if _, err := lockDataDirWaiting(ctx, dir, slog.New(slog.DiscardHandler)); !errors.Is(err, context.Canceled) {
		t.Fatalf("waiting with an ended context: %v", err)
	}
}
