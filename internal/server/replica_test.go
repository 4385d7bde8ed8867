package server

import (
	"encoding/json"
	"strings"
	"testing"
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
