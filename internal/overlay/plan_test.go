package overlay

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestPlan(t *testing.T) {
	// VPC a: subnets a1, a2; VPC b: subnet b1; VPC c: subnet c1.
	subnets := map[string]Subnet{}
	for _, s := range []struct{ id, vpc, cidr string }{
		{"subnet-0000000000a1", "vpc-a", "10.0.1.0/24"}, {"subnet-0000000000a2", "vpc-a", "10.0.2.0/24"},
		{"subnet-0000000000b1", "vpc-b", "10.0.1.0/24"}, {"subnet-0000000000c1", "vpc-c", "10.9.0.0/24"},
	} {
		p := netip.MustParsePrefix(s.cidr)
		subnets[s.id] = Subnet{ID: s.id, VPC: s.vpc, CIDR: p, Gateway: p.Addr().Next(), VNI: 4096 + len(subnets)}
	}
	node := func(host, subnet, addr, pods string) Node {
		return Node{Host: host, Subnet: subnet, Address: netip.MustParseAddr(addr), PodCIDR: netip.MustParsePrefix(pods)}
	}
	underlay := map[string]netip.Addr{KeksHost: netip.MustParseAddr("192.168.0.1"),
		"host-1": netip.MustParseAddr("192.168.0.11"), "host-2": netip.MustParseAddr("192.168.0.12")}
	nodes := []Node{
		node(KeksHost, "subnet-0000000000a1", "10.0.1.10", "100.64.16.128/26"),
		node("host-1", "subnet-0000000000a2", "10.0.2.20", "100.64.33.0/26"),
		node("host-2", "subnet-0000000000b1", "10.0.1.30", "100.64.17.128/26"),
		node(KeksHost, "subnet-0000000000c1", "10.9.0.5", "100.64.0.64/26"), // keks's alone: no tunnel
	}
	a1 := JoinedSubnet{ID: "subnet-0000000000a1", Bridge: "ks0000000000a1", CIDR: "10.0.1.0/24", Gateway: "10.0.1.1/24"}
	a2 := JoinedSubnet{ID: "subnet-0000000000a2", Bridge: "ks0000000000a2", CIDR: "10.0.2.0/24", Gateway: "10.0.2.1/24"}
	b1 := JoinedSubnet{ID: "subnet-0000000000b1", Bridge: "ks0000000000b1", CIDR: "10.0.1.0/24", Gateway: "10.0.1.1/24"}
	with := func(s JoinedSubnet, peers ...string) JoinedSubnet {
		s.VNI, s.Peers = subnets[s.ID].VNI, peers
		return s
	}
	for _, tc := range []struct {
		name, host string
		nodes      []Node
		underlay   map[string]netip.Addr
		want       *HostNetwork
	}{
		{name: "keks joins its VPCs' subnets and those with nodes on agents", host: KeksHost, nodes: nodes, underlay: underlay,
			want: &HostNetwork{Local: "192.168.0.1",
				Subnets: []JoinedSubnet{with(a1, "192.168.0.11"), with(a2, "192.168.0.11"), with(b1, "192.168.0.12")},
				PodRoutes: []PodRoute{
					{PodCIDR: "100.64.17.128/26", Via: "10.0.1.30", Bridge: "ks0000000000b1", Peer: "192.168.0.12"},
					{PodCIDR: "100.64.33.0/26", Via: "10.0.2.20", Bridge: "ks0000000000a2", Peer: "192.168.0.11"},
				}}},
		{name: "an agent joins every active subnet of its VPCs, also without a node in it", host: "host-1", nodes: nodes, underlay: underlay,
			want: &HostNetwork{Local: "192.168.0.11",
				Subnets:   []JoinedSubnet{with(a1, "192.168.0.1"), with(a2, "192.168.0.1")},
				PodRoutes: []PodRoute{{PodCIDR: "100.64.16.128/26", Via: "10.0.1.10", Bridge: "ks0000000000a1", Peer: "192.168.0.1"}}}},
		{name: "an agent alone in its VPC but for keks", host: "host-2", nodes: nodes, underlay: underlay,
			want: &HostNetwork{Local: "192.168.0.12", Subnets: []JoinedSubnet{with(b1, "192.168.0.1")}}},
		{name: "two agents in one subnet", host: "host-2", underlay: underlay,
			nodes: []Node{node("host-1", "subnet-0000000000b1", "10.0.1.7", "100.64.16.192/26"), node("host-2", "subnet-0000000000b1", "10.0.1.30", "100.64.17.128/26")},
			want: &HostNetwork{Local: "192.168.0.12", Subnets: []JoinedSubnet{with(b1, "192.168.0.1", "192.168.0.11")},
				PodRoutes: []PodRoute{{PodCIDR: "100.64.16.192/26", Via: "10.0.1.7", Bridge: "ks0000000000b1", Peer: "192.168.0.11"}}}},
		{name: "a host with no node joins nothing", host: "host-3", nodes: nodes,
			underlay: map[string]netip.Addr{KeksHost: netip.MustParseAddr("192.168.0.1"), "host-3": netip.MustParseAddr("192.168.0.13")}},
		{name: "keks alone needs no tunnel", host: KeksHost, nodes: nodes[:1], underlay: underlay},
		{name: "a host without an underlay address takes no part", host: "host-1", nodes: nodes,
			underlay: map[string]netip.Addr{KeksHost: netip.MustParseAddr("192.168.0.1")}},
		{name: "a peer without an underlay address is left out", host: KeksHost, nodes: nodes,
			underlay: map[string]netip.Addr{KeksHost: netip.MustParseAddr("192.168.0.1"), "host-2": netip.MustParseAddr("192.168.0.12")},
			want: &HostNetwork{Local: "192.168.0.1", Subnets: []JoinedSubnet{with(b1, "192.168.0.12")},
				PodRoutes: []PodRoute{{PodCIDR: "100.64.17.128/26", Via: "10.0.1.30", Bridge: "ks0000000000b1", Peer: "192.168.0.12"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Plan(tc.host, tc.nodes, subnets, tc.underlay); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Plan(%q) =\n%+v\nwant\n%+v", tc.host, got, tc.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	if b := BridgeName("subnet-0123456789abcdef0"); b != "ks56789abcdef0" || VxlanName(b) != "kx56789abcdef0" {
		t.Errorf("bridge %s, vxlan %s", b, VxlanName(b))
	}
	m := GatewayMAC("subnet-0123456789abcdef0")
	if m[0] != 0x02 || m.String() != GatewayMAC("subnet-0123456789abcdef0").String() || m.String() == GatewayMAC("subnet-0123456789abcdef1").String() {
		t.Errorf("gateway MAC %s: want 02:…, stable, and another for another subnet", m)
	}
}
