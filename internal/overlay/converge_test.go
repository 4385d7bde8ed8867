package overlay

import (
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/keksdev/keks/internal/network"
)

// inThrowawayNetns runs f on a locked thread in a new, unnamed network
// namespace, which goes when the test ends: it never touches the host's.
func inThrowawayNetns(t *testing.T, f func()) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, for a network namespace of its own")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	ns, err := netns.New() // moves this thread into it
	if err != nil {
		t.Skipf("no network namespace: %v", err)
	}
	defer ns.Close()
	defer netns.Set(orig) //nolint:errcheck
	if ns.Equal(orig) {
		t.Fatal("still in the host's network namespace")
	}
	f()
}

func TestConvergeInANetns(t *testing.T) {
	inThrowawayNetns(t, func() {
		// The underlay address, on lo: the namespace has no other device.
		lo, err := netlink.LinkByName("lo")
		if err != nil {
			t.Fatal(err)
		}
		if err := netlink.AddrAdd(lo, &netlink.Addr{IPNet: &net.IPNet{IP: net.IPv4(192, 0, 2, 1), Mask: net.CIDRMask(32, 32)}}); err != nil {
			t.Fatal(err)
		}
		if err := netlink.LinkSetUp(lo); err != nil {
			t.Fatal(err)
		}
		n := goodNetwork()
		n.Local = "192.0.2.1"
		n.Subnets[0].Peers = []string{"192.0.2.2", "192.0.2.3"}
		n.PodRoutes[0].Peer = "192.0.2.2"
		converge := func(n *HostNetwork) []string {
			t.Helper()
			d, err := Check(n)
			if err != nil {
				t.Fatal(err)
			}
			joined, err := Converge(d)
			if err != nil {
				t.Fatal(err)
			}
			return joined
		}
		for range 2 { // idempotent
			if joined := converge(n); !slices.Equal(joined, []string{"ks0000000000a1"}) {
				t.Errorf("joined %q", joined)
			}
		}
		br, err := netlink.LinkByName("ks0000000000a1")
		if err != nil {
			t.Fatal(err)
		}
		if br.Attrs().HardwareAddr.String() != GatewayMAC("subnet-0000000000a1").String() {
			t.Errorf("bridge MAC %s, want the gateway's %s", br.Attrs().HardwareAddr, GatewayMAC("subnet-0000000000a1"))
		}
		link, err := netlink.LinkByName("kx0000000000a1")
		if err != nil {
			t.Fatal(err)
		}
		if vx, ok := link.(*netlink.Vxlan); !ok || vx.VxlanId != 4096 || vx.Port != Port || !vx.SrcAddr.Equal(net.IPv4(192, 0, 2, 1)) || vx.MasterIndex != br.Attrs().Index {
			t.Errorf("vxlan device %+v", link)
		}
		fdb := func() []fdbEntry {
			list, err := netlink.NeighList(link.Attrs().Index, unix.AF_BRIDGE)
			if err != nil {
				t.Fatal(err)
			}
			var out []fdbEntry
			for _, e := range list {
				if a, ok := netip.AddrFromSlice(e.IP); ok && e.State&netlink.NUD_PERMANENT != 0 {
					out = append(out, fdbEntry{MAC: e.HardwareAddr.String(), Dst: a.Unmap()})
				}
			}
			return out
		}
		p2, p3 := netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("192.0.2.3")
		want := []fdbEntry{{"00:00:00:00:00:00", p2}, {"00:00:00:00:00:00", p3}, {"0a:58:0a:00:01:0a", p2}}
		if got := fdb(); len(got) != len(want) || !containsAll(got, want) {
			t.Errorf("forwarding entries %+v, want %+v", got, want)
		}
		if got, _ := permanentNeighbors(br); !slices.Equal(got, []netip.Addr{netip.MustParseAddr("10.0.1.10")}) {
			t.Errorf("permanent neighbors %v", got)
		}
		routes, _ := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Protocol: routeProtocol}, netlink.RT_FILTER_PROTOCOL)
		if len(routes) != 1 || routes[0].Dst.String() != "100.64.16.128/26" || !routes[0].Gw.Equal(net.IPv4(10, 0, 1, 10)) {
			t.Errorf("pod routes %+v", routes)
		}

		// A peer and the node left: their entries and the route go.
		n.Subnets[0].Peers, n.PodRoutes = []string{"192.0.2.2"}, nil
		converge(n)
		if got := fdb(); !slices.Equal(got, []fdbEntry{{"00:00:00:00:00:00", p2}}) {
			t.Errorf("forwarding entries %+v after a peer and the node left", got)
		}
		if got, _ := permanentNeighbors(br); len(got) != 0 {
			t.Errorf("permanent neighbors %v after the node left", got)
		}
		if routes, _ := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Protocol: routeProtocol}, netlink.RT_FILTER_PROTOCOL); len(routes) != 0 {
			t.Errorf("pod routes %+v after the node left", routes)
		}

		// Nothing joined: the VXLAN device goes, the bridge is the caller's.
		if joined := converge(nil); len(joined) != 0 {
			t.Errorf("joined %q", joined)
		}
		if _, err := netlink.LinkByName("kx0000000000a1"); err == nil {
			t.Error("vxlan device kept")
		}
		_ = network.DeleteLink("ks0000000000a1")
	})
}

func containsAll[T comparable](have, want []T) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// keks's networks are routed the way keks's underlay address is reached:
// via that address on a shared link, else via the router toward it (agents
// and keks on different links; seen with keks and an agent in host slots
// of their own).
func TestKeksRangesFollowTheRouteToKeks(t *testing.T) {
	inThrowawayNetns(t, func() {
		// A veth pair stands for the host's link (no dummy devices here).
		pair := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "underlay0"}, PeerName: "underlay1"}
		if err := netlink.LinkAdd(pair); err != nil {
			t.Fatal(err)
		}
		peer, _ := netlink.LinkByName("underlay1")
		if err := netlink.LinkSetUp(peer); err != nil {
			t.Fatal(err)
		}
		link, _ := netlink.LinkByName("underlay0")
		if err := netlink.AddrAdd(link, &netlink.Addr{IPNet: &net.IPNet{IP: net.IPv4(10, 9, 0, 1), Mask: net.CIDRMask(24, 32)}}); err != nil {
			t.Fatal(err)
		}
		if err := netlink.LinkSetUp(link); err != nil {
			t.Fatal(err)
		}
		if err := netlink.RouteAdd(&netlink.Route{Gw: net.IPv4(10, 9, 0, 254), LinkIndex: link.Attrs().Index}); err != nil {
			t.Fatal(err)
		}
		routed := func(via string) string {
			t.Helper()
			d := &Desired{KeksRanges: []netip.Prefix{netip.MustParsePrefix("198.18.32.0/19")}, KeksVia: netip.MustParseAddr(via)}
			if err := routeKeks(d); err != nil {
				t.Fatal(err)
			}
			routes, _ := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Protocol: keksRouteProtocol}, netlink.RT_FILTER_PROTOCOL)
			if len(routes) != 1 || routes[0].Dst.String() != "198.18.32.0/19" {
				t.Fatalf("routes to keks %+v", routes)
			}
			return routes[0].Gw.String()
		}
		if gw := routed("192.0.2.50"); gw != "10.9.0.254" {
			t.Errorf("keks on another link: its networks via %s, want the router 10.9.0.254", gw)
		}
		if gw := routed("10.9.0.7"); gw != "10.9.0.7" {
			t.Errorf("keks on the same link: its networks via %s, want keks at 10.9.0.7", gw)
		}
	})
}
