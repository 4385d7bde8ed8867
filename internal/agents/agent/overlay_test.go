package agent

import (
	"context"
	"slices"
	"testing"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/overlay"
)

// TestConvergeJoinsTheOverlay: the host joins the subnets keks planned
// before its instances run; a joined subnet's bridge stays without a local
// instance, and goes once the host no longer joins it; a plan that does
// not check is not made.
func TestConvergeJoinsTheOverlay(t *testing.T) {
	f := newFakeHost()
	c := newTestConverger(t, testEnv(t), f)
	// The instance's subnet and another of its VPC, where this host has
	// no instance but keks's host has a node.
	network := &overlay.HostNetwork{Local: "192.168.0.11", Subnets: []overlay.JoinedSubnet{
		{ID: "subnet-00000123456789ab", Bridge: "ks0123456789ab", CIDR: "172.31.0.0/20", Gateway: "172.31.0.1/20", VNI: 4096, Peers: []string{"192.168.0.1"}},
		{ID: "subnet-00000000000000b1", Bridge: "ks0000000000b1", CIDR: "172.31.16.0/20", Gateway: "172.31.16.1/20", VNI: 4097, Peers: []string{"192.168.0.1"}},
	}, PodRoutes: []overlay.PodRoute{{PodCIDR: "100.64.64.128/26", Via: "172.31.16.10", Bridge: "ks0000000000b1", Peer: "192.168.0.1"}}}
	as := &agents.Assignments{Revision: "1", Instances: []agents.AssignedInstance{assigned(id1)}, Network: network}
	c.converge(context.Background(), as)
	events, _ := f.take()
	if want := []string{"rules 172.31.0.0/20 10.100.0.0/16", "overlay ks0123456789ab,ks0000000000b1, 1 pod routes", "run " + id1}; !slices.Equal(events, want) {
		t.Errorf("events %q, want %q", events, want)
	}

	// The instance went: the host still joins both subnets (keks's host
	// and its node stay), so no bridge goes.
	gone := assigned(id1)
	gone.Want = agents.WantTerminated
	c.converge(context.Background(), &agents.Assignments{Revision: "2", Instances: []agents.AssignedInstance{gone}, Network: network})
	if events, _ := f.take(); slices.ContainsFunc(events, func(e string) bool { return e == "delete bridge ks0000000000b1" || e == "delete bridge ks0123456789ab" }) {
		t.Errorf("a joined subnet's bridge went: %q", events)
	}

	// A plan that does not check changes nothing.
	bad := *network
	bad.Local = "not an address"
	c.converge(context.Background(), &agents.Assignments{Revision: "3", Network: &bad})
	if events, _ := f.take(); slices.ContainsFunc(events, func(e string) bool { return e == "delete bridge ks0000000000b1" }) {
		t.Errorf("a plan that does not check removed a bridge: %q", events)
	}

	// Joined no more: the bridge of the subnet without an instance goes
	// (the fake leaves the instance's directory, which keeps its own).
	c.converge(context.Background(), &agents.Assignments{Revision: "4"})
	if events, _ := f.take(); !slices.Contains(events, "delete bridge ks0000000000b1") {
		t.Errorf("a bridge kept once no longer joined: %q", events)
	}
}
