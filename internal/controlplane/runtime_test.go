package controlplane

import (
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// TestRuntimeChoice: the host runtime is the default; the kubernetes one
// needs a management cluster; a state an older keks stored (no runtime) is
// the host's; a runtime keks does not have is a clear error, at start and
// for a cluster made on it.
func TestRuntimeChoice(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, name := range []string{"", "host"} {
		c, err := New(Config{Runtime: name}, nil, nil, log)
		if err != nil || c.runtime.Name() != RuntimeHost {
			t.Fatalf("runtime %q: %v", name, err)
		}
	}
	if _, err := New(Config{Runtime: "kubernetes"}, nil, nil, log); err == nil || !strings.Contains(err.Error(), "--management-kubeconfig") {
		t.Fatalf("the kubernetes runtime without a management cluster: %v", err)
	}
	if _, err := New(Config{Runtime: "nomad"}, nil, nil, log); err == nil || !strings.Contains(err.Error(), `"nomad"`) {
		t.Fatalf("an unknown runtime: %v", err)
	}
	c, _ := New(Config{}, nil, nil, log)
	var old State
	if err := json.Unmarshal([]byte(`{"clusterUid":"u","clusterName":"old","region":"us-east-1","netIndex":4,"instances":[]}`), &old); err != nil {
		t.Fatal(err)
	}
	if rt, err := c.runtimeOf(&old); err != nil || rt.Name() != RuntimeHost {
		t.Fatalf("an older keks's state: %v", err)
	}
	if data, _ := json.Marshal(&old); strings.Contains(string(data), "runtime") {
		t.Fatalf("a state without a runtime is stored as %s", data)
	}
	if _, err := c.runtimeOf(&State{ClusterName: "elsewhere", Runtime: "kubernetes"}); err == nil || !strings.Contains(err.Error(), "elsewhere") {
		t.Fatalf("a cluster on a runtime keks does not have: %v", err)
	}
}

// TestNextRollout: nothing while any member is unhealthy; otherwise one
// member, in the skew policy's order.
func TestNextRollout(t *testing.T) {
	m := func(name, role string) Member {
		return Member{plannedInstance: plannedInstance{name: name, role: role}}
	}
	outdated := []Member{m("endpoint", RoleEndpoint), m("kube-scheduler-a", RoleScheduler), m("kube-apiserver-b", RoleAPIServer), m("etcd-c", RoleEtcd), m("etcd-a", RoleEtcd)}
	if _, ok := nextRollout(outdated, false); ok {
		t.Fatal("rolled while a member is unhealthy")
	}
	if _, ok := nextRollout(nil, true); ok {
		t.Fatal("rolled with nothing outdated")
	}
	if got, ok := nextRollout(outdated, true); !ok || got.name != "etcd-c" {
		t.Fatalf("rolled %s first", got.name)
	}
	if outdated[0].name != "endpoint" {
		t.Fatal("nextRollout reordered its argument")
	}
}
