package overlay

import (
	"fmt"
	"net/netip"

	"github.com/keksdev/keks/internal/ec2"
)

// Desired is a host network checked: everything in it may name a device,
// an address or a route.
type Desired struct {
	Local   netip.Addr
	Subnets []DesiredSubnet
	Routes  []DesiredRoute
	// KeksRanges are routed via KeksVia (HostNetwork.KeksRanges).
	KeksRanges []netip.Prefix
	KeksVia    netip.Addr
	// SourceIn, on keks's own host, holds the source of what the host
	// sends to nodes on other hosts (sourceFor): keks's control-plane
	// networks, then its registry address, which agent hosts route back
	// to keks. Never from the wire.
	SourceIn []netip.Prefix
}

// DesiredSubnet is a joined subnet, checked.
type DesiredSubnet struct {
	ID, Bridge string
	Gateway    netip.Prefix // the gateway address with the subnet's length
	VNI        int
	Peers      []netip.Addr
}

// DesiredRoute is a node on another host, checked.
type DesiredRoute struct {
	Pods   netip.Prefix
	Via    netip.Addr
	Bridge string
	Peer   netip.Addr
}

// maxJoined bounds what one host is asked to make: a plan is of a few
// subnets and nodes, not a flood of devices.
const maxJoined, maxRoutes, maxPeers = 1024, 16384, 1024

// Check turns a host network from the wire into Desired, refusing it
// whole if any part does not check (nil is no network: nothing joined).
func Check(n *HostNetwork) (*Desired, error) {
	d := &Desired{}
	if n == nil {
		return d, nil
	}
	if len(n.Subnets) > maxJoined || len(n.PodRoutes) > maxRoutes {
		return nil, fmt.Errorf("a host network of %d subnets and %d pod routes is too large", len(n.Subnets), len(n.PodRoutes))
	}
	local, err := ipv4(n.Local, "local underlay address")
	if err != nil {
		return nil, err
	}
	d.Local = local
	cidrs := map[string]netip.Prefix{}
	for _, s := range n.Subnets {
		if !subnetShape.MatchString(s.ID) || s.Bridge != BridgeName(s.ID) {
			return nil, fmt.Errorf("subnet %q with bridge %q: not a subnet id and its bridge", s.ID, s.Bridge)
		}
		if _, dup := cidrs[s.Bridge]; dup {
			return nil, fmt.Errorf("subnet %s listed twice", s.ID)
		}
		cidr, err := netip.ParsePrefix(s.CIDR)
		gw, gerr := netip.ParsePrefix(s.Gateway)
		if err != nil || gerr != nil || !cidr.Addr().Is4() || cidr != cidr.Masked() || gw.Bits() != cidr.Bits() || !cidr.Contains(gw.Addr()) {
			return nil, fmt.Errorf("subnet %s: range %q and gateway %q do not check", s.ID, s.CIDR, s.Gateway)
		}
		if s.VNI < 1 || s.VNI > ec2.MaxVNI {
			return nil, fmt.Errorf("subnet %s: VNI %d is not from 1 to %d", s.ID, s.VNI, ec2.MaxVNI)
		}
		if len(s.Peers) > maxPeers {
			return nil, fmt.Errorf("subnet %s: %d peers are too many", s.ID, len(s.Peers))
		}
		js := DesiredSubnet{ID: s.ID, Bridge: s.Bridge, Gateway: gw, VNI: s.VNI}
		for _, p := range s.Peers {
			a, err := ipv4(p, "peer of subnet "+s.ID)
			if err != nil {
				return nil, err
			}
			js.Peers = append(js.Peers, a)
		}
		cidrs[s.Bridge] = cidr
		d.Subnets = append(d.Subnets, js)
	}
	for _, r := range n.PodRoutes {
		cidr, ok := cidrs[r.Bridge]
		pods, err := netip.ParsePrefix(r.PodCIDR)
		via, verr := netip.ParseAddr(r.Via)
		if !ok || err != nil || verr != nil || !pods.Addr().Is4() || pods != pods.Masked() || !cidr.Contains(via) {
			return nil, fmt.Errorf("pod route %s via %s on %s: not pods via a node of a joined subnet", r.PodCIDR, r.Via, r.Bridge)
		}
		peer, err := ipv4(r.Peer, "host of node "+r.Via)
		if err != nil {
			return nil, err
		}
		d.Routes = append(d.Routes, DesiredRoute{Pods: pods, Via: via, Bridge: r.Bridge, Peer: peer})
	}
	if err := checkKeksRanges(n, d); err != nil {
		return nil, err
	}
	return d, nil
}

// keksNetworks holds every control-plane network a keks server gives out
// (hostslot: 198.18.0.0/15): a plan may route no more than those to keks.
var keksNetworks = netip.MustParsePrefix("198.18.0.0/15")

func checkKeksRanges(n *HostNetwork, d *Desired) error {
	if len(n.KeksRanges) == 0 {
		return nil
	}
	if len(n.KeksRanges) > maxPeers {
		return fmt.Errorf("%d ranges of keks's are too many", len(n.KeksRanges))
	}
	via, err := ipv4(n.KeksVia, "keks's underlay address")
	if err != nil {
		return err
	}
	d.KeksVia = via
	for _, r := range n.KeksRanges {
		p, err := netip.ParsePrefix(r)
		if err != nil || !p.Addr().Is4() || p != p.Masked() || p.Bits() < keksNetworks.Bits() || !keksNetworks.Contains(p.Addr()) {
			return fmt.Errorf("keks range %q is not a network inside %s", r, keksNetworks)
		}
		d.KeksRanges = append(d.KeksRanges, p)
	}
	return nil
}

func ipv4(s, what string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() || a.IsUnspecified() || a.IsMulticast() {
		return netip.Addr{}, fmt.Errorf("%s %q is not a unicast IPv4 address", what, s)
	}
	return a, nil
}
