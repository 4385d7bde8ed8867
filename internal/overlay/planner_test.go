package overlay

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/store/storetest"
)

// TestPlannerFor plans from the store: the subnet's VNI is handed out,
// an agent's underlay is its first address, and keks's the source toward
// the agent.
func TestPlannerFor(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e2 := &ec2.Service{Store: storetest.Open(t)}
	vpc, err := e2.CreateVPC(ctx, "us-east-1", "111122223333", "10.0.0.0/16", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	sn, err := e2.CreateSubnet(ctx, ec2.Subnet{VPCID: vpc.ID, CIDR: "10.0.1.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	all := []ec2.Instance{
		{ID: "i-1", SubnetID: sn.ID, PrivateIP: "10.0.1.10", State: ec2.StateRunning},
		{ID: "i-2", SubnetID: sn.ID, PrivateIP: "10.0.1.20", State: ec2.StatePending, Host: "host-b"},
		{ID: "i-3", SubnetID: sn.ID, PrivateIP: "10.0.1.30", State: ec2.StateTerminated, Host: "host-c"},
	}
	p := &Planner{EC2: e2,
		Hosts: func(context.Context) (map[string][]string, error) {
			return map[string][]string{"host-b": {"192.168.0.12", "fd00::12"}, "host-c": {"192.168.0.13"}}, nil
		},
		SourceToward: func(a netip.Addr) (netip.Addr, error) {
			if a != netip.MustParseAddr("192.168.0.12") {
				t.Errorf("source asked toward %s, want host-b's 192.168.0.12", a)
			}
			return netip.MustParseAddr("192.168.0.1"), nil
		}}
	p.ControlPlane = []netip.Prefix{netip.MustParsePrefix("198.18.0.0/19")}
	vni, err := e2.SubnetVNI(ctx, sn.ID)
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]HostNetwork{
		KeksHost: {Local: "192.168.0.1", Subnets: []JoinedSubnet{{ID: sn.ID, Bridge: BridgeName(sn.ID), CIDR: "10.0.1.0/24",
			Gateway: "10.0.1.1/24", VNI: vni, Peers: []string{"192.168.0.12"}}},
			PodRoutes: []PodRoute{{PodCIDR: all[1].PodCIDR(), Via: "10.0.1.20", Bridge: BridgeName(sn.ID), Peer: "192.168.0.12"}}},
		"host-b": {Local: "192.168.0.12", Subnets: []JoinedSubnet{{ID: sn.ID, Bridge: BridgeName(sn.ID), CIDR: "10.0.1.0/24",
			Gateway: "10.0.1.1/24", VNI: vni, Peers: []string{"192.168.0.1"}}},
			PodRoutes: []PodRoute{{PodCIDR: all[0].PodCIDR(), Via: "10.0.1.10", Bridge: BridgeName(sn.ID), Peer: "192.168.0.1"}}},
	} {
		got, err := p.For(ctx, host, all)
		if err != nil {
			t.Fatal(err)
		}
		if got == nil || got.Local != want.Local || len(got.Subnets) != 1 || got.Subnets[0].VNI != want.Subnets[0].VNI ||
			got.Subnets[0].Peers[0] != want.Subnets[0].Peers[0] || len(got.PodRoutes) != 1 || got.PodRoutes[0] != want.PodRoutes[0] {
			t.Errorf("For(%q) = %+v, want %+v", host, got, want)
		}
	}
	// An agent host routes keks's control-plane networks to keks; keks's own host does not.
	if got, _ := p.For(ctx, "host-b", all); len(got.KeksRanges) != 1 || got.KeksRanges[0] != "198.18.0.0/19" || got.KeksVia != "192.168.0.1" {
		t.Errorf("host-b's routes to keks: %v via %q", got.KeksRanges, got.KeksVia)
	}
	if got, _ := p.For(ctx, KeksHost, all); len(got.KeksRanges) != 0 {
		t.Errorf("keks's own host routes %v to itself", got.KeksRanges)
	}
	// Every instance on keks's host: no plan, and no agent host is asked.
	p.Hosts = nil
	if got, err := p.For(ctx, KeksHost, all[:1]); got != nil || err != nil {
		t.Errorf("For with no instance on agents = %+v, %v; want none", got, err)
	}
}
