package overlay

import (
	"net/netip"
	"reflect"
	"testing"
)

func goodNetwork() *HostNetwork {
	return &HostNetwork{Local: "192.168.0.1",
		Subnets: []JoinedSubnet{{ID: "subnet-0000000000a1", Bridge: "ks0000000000a1", CIDR: "10.0.1.0/24",
			Gateway: "10.0.1.1/24", VNI: 4096, Peers: []string{"192.168.0.11"}}},
		PodRoutes: []PodRoute{{PodCIDR: "100.64.16.128/26", Via: "10.0.1.10", Bridge: "ks0000000000a1", Peer: "192.168.0.11"}}}
}

func TestCheck(t *testing.T) {
	d, err := Check(goodNetwork())
	if err != nil {
		t.Fatal(err)
	}
	want := &Desired{Local: netip.MustParseAddr("192.168.0.1"),
		Subnets: []DesiredSubnet{{ID: "subnet-0000000000a1", Bridge: "ks0000000000a1", Gateway: netip.MustParsePrefix("10.0.1.1/24"),
			VNI: 4096, Peers: []netip.Addr{netip.MustParseAddr("192.168.0.11")}}},
		Routes: []DesiredRoute{{Pods: netip.MustParsePrefix("100.64.16.128/26"), Via: netip.MustParseAddr("10.0.1.10"),
			Bridge: "ks0000000000a1", Peer: netip.MustParseAddr("192.168.0.11")}}}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("Check = %+v, want %+v", d, want)
	}
	n := goodNetwork()
	n.KeksRanges, n.KeksVia = []string{"198.18.32.0/19"}, "192.168.0.2"
	if d, err := Check(n); err != nil || len(d.KeksRanges) != 1 || d.KeksRanges[0] != netip.MustParsePrefix("198.18.32.0/19") || d.KeksVia != netip.MustParseAddr("192.168.0.2") {
		t.Errorf("keks's ranges: %+v, %v", d, err)
	}
	if d, err := Check(nil); err != nil || len(d.Subnets)+len(d.Routes) != 0 {
		t.Errorf("Check(nil) = %+v, %v; want nothing joined", d, err)
	}
	for name, spoil := range map[string]func(n *HostNetwork){
		"a bridge that is not the subnet's": func(n *HostNetwork) { n.Subnets[0].Bridge = "eth0" },
		"a device name in the subnet id":    func(n *HostNetwork) { n.Subnets[0].ID = "subnet-../../eth0" },
		"a gateway outside the subnet":      func(n *HostNetwork) { n.Subnets[0].Gateway = "10.0.2.1/24" },
		"a VNI beyond 24 bits":              func(n *HostNetwork) { n.Subnets[0].VNI = 1 << 24 },
		"a peer that is not an address":     func(n *HostNetwork) { n.Subnets[0].Peers = []string{"host"} },
		"a multicast local address":         func(n *HostNetwork) { n.Local = "239.1.1.1" },
		"a route via another subnet":        func(n *HostNetwork) { n.PodRoutes[0].Via = "10.0.2.10" },
		"a route on a bridge not joined":    func(n *HostNetwork) { n.PodRoutes[0].Bridge = "ks0000000000b1" },
		"a route's range not masked":        func(n *HostNetwork) { n.PodRoutes[0].PodCIDR = "100.64.16.129/26" },
		"a subnet twice":                    func(n *HostNetwork) { n.Subnets = append(n.Subnets, n.Subnets[0]) },
		"everything routed to keks":         func(n *HostNetwork) { n.KeksRanges, n.KeksVia = []string{"0.0.0.0/0"}, "192.168.0.2" },
		"a keks range outside its networks": func(n *HostNetwork) { n.KeksRanges, n.KeksVia = []string{"10.0.0.0/8"}, "192.168.0.2" },
		"keks ranges without keks":          func(n *HostNetwork) { n.KeksRanges = []string{"198.18.0.0/19"} },
	} {
		n := goodNetwork()
		spoil(n)
		if _, err := Check(n); err == nil {
			t.Errorf("%s: checked", name)
		}
	}
}

func TestDiffFDB(t *testing.T) {
	p1, p2, p3 := netip.MustParseAddr("192.168.0.11"), netip.MustParseAddr("192.168.0.12"), netip.MustParseAddr("192.168.0.13")
	want := fdbWant([]netip.Addr{p1, p2}, []DesiredRoute{{Via: netip.MustParseAddr("10.0.1.10"), Peer: p1}})
	if w := (fdbEntry{MAC: "0a:58:0a:00:01:0a", Dst: p1}); !reflect.DeepEqual(want[2], w) {
		t.Errorf("node entry %+v, want %+v", want[2], w)
	}
	have := []fdbEntry{{MAC: "00:00:00:00:00:00", Dst: p1}, {MAC: "00:00:00:00:00:00", Dst: p3}, {MAC: "0a:58:0a:00:01:0a", Dst: p2}}
	remove, add := diff(have, want)
	if wr := have[1:]; !reflect.DeepEqual(remove, wr) {
		t.Errorf("remove %+v, want %+v", remove, wr)
	}
	if wa := []fdbEntry{want[1], want[2]}; !reflect.DeepEqual(add, wa) {
		t.Errorf("add %+v, want %+v", add, wa)
	}
}
