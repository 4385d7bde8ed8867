package overlay

import (
	"maps"
	"net/netip"
	"slices"
	"strings"
)

// KeksHost is keks's own host among hosts: instances with no Host.
const KeksHost = ""

// Node is an active instance (pending, running or shutting down) as the
// plan sees it.
type Node struct {
	Host    string // agent host id, or KeksHost
	Subnet  string
	Address netip.Addr
	PodCIDR netip.Prefix
}

// Subnet is what the plan needs of a subnet.
type Subnet struct {
	ID, VPC string
	CIDR    netip.Prefix
	Gateway netip.Addr
	VNI     int
}

// Plan is the network of host among nodes:
//   - a host joins every subnet with a node anywhere in the VPCs it has a
//     node in (its pods' and nodes' traffic to any of them is routed
//     through the subnet's bridge on the host);
//   - keks's host also joins every subnet with a node on an agent host
//     (its API servers reach kubelets, its egress proxy and load balancers
//     reach nodes);
//   - a subnet's peers are the other hosts that join it; only subnets with
//     a peer are listed (one host alone needs no tunnel);
//   - the pod routes are those of the nodes on other hosts in the listed
//     subnets.
//
// underlay is each host's underlay address as host sees it (KeksHost's:
// the address keks reaches host from); a host without one takes no part.
// It returns nil when host itself has none or joins nothing.
func Plan(host string, nodes []Node, subnets map[string]Subnet, underlay map[string]netip.Addr) *HostNetwork {
	local, ok := underlay[host]
	if !ok || !local.IsValid() {
		return nil
	}
	vpcsOf := map[string]map[string]bool{} // host -> VPCs it has a node in
	onAgents := map[string]bool{}          // subnets with a node on an agent host
	for _, n := range nodes {
		sn, ok := subnets[n.Subnet]
		if !ok {
			continue
		}
		if vpcsOf[n.Host] == nil {
			vpcsOf[n.Host] = map[string]bool{}
		}
		vpcsOf[n.Host][sn.VPC] = true
		if n.Host != KeksHost {
			onAgents[n.Subnet] = true
		}
	}
	joins := func(h, subnet string) bool {
		if _, ok := underlay[h]; !ok || !underlay[h].IsValid() {
			return false
		}
		return vpcsOf[h][subnets[subnet].VPC] || (h == KeksHost && onAgents[subnet])
	}
	hosts := make([]string, 0, len(vpcsOf)+1)
	for h := range vpcsOf {
		hosts = append(hosts, h)
	}
	if !slices.Contains(hosts, KeksHost) {
		hosts = append(hosts, KeksHost) // joins by onAgents without nodes of its own
	}
	slices.Sort(hosts)
	active := map[string]bool{}
	for _, n := range nodes {
		if _, ok := subnets[n.Subnet]; ok {
			active[n.Subnet] = true
		}
	}
	net := &HostNetwork{Local: local.String()}
	listed := map[string]bool{}
	for _, id := range slices.Sorted(maps.Keys(active)) {
		if !joins(host, id) {
			continue
		}
		var peers []string
		for _, h := range hosts {
			if h != host && joins(h, id) {
				if p := underlay[h].String(); p != local.String() && !slices.Contains(peers, p) {
					peers = append(peers, p)
				}
			}
		}
		if len(peers) == 0 {
			continue
		}
		slices.Sort(peers)
		sn := subnets[id]
		listed[id] = true
		net.Subnets = append(net.Subnets, JoinedSubnet{ID: id, Bridge: BridgeName(id), CIDR: sn.CIDR.String(),
			Gateway: netip.PrefixFrom(sn.Gateway, sn.CIDR.Bits()).String(), VNI: sn.VNI, Peers: peers})
	}
	for _, n := range nodes {
		if n.Host == host || !listed[n.Subnet] {
			continue
		}
		peer, ok := underlay[n.Host]
		if !ok || !peer.IsValid() {
			continue
		}
		net.PodRoutes = append(net.PodRoutes, PodRoute{PodCIDR: n.PodCIDR.String(), Via: n.Address.String(),
			Bridge: BridgeName(n.Subnet), Peer: peer.String()})
	}
	slices.SortFunc(net.PodRoutes, func(a, b PodRoute) int { return strings.Compare(a.Via+a.Bridge, b.Via+b.Bridge) })
	if len(net.Subnets) == 0 {
		return nil
	}
	return net
}
