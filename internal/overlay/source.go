package overlay

import (
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
)

// On keks's own host the subnet bridges carry the anycast gateway address,
// which every joined host has: a connection keks's host opens to a node on
// another host from that address (the kernel's choice for the bridge's
// range: an API server's to a kubelet) is answered to the node's own
// host. So keks's host reaches remote nodes, and their pods, from an
// address of its control-plane networks, which agent hosts route back to
// it (HostNetwork.KeksRanges).

// sourceFor is the host's lowest address inside the first of in that
// holds one (the zero Addr when none does): the control-plane range while
// API servers run on the host, else the registry's address, where keks's
// egress proxy dials from for API servers in a management cluster.
func sourceFor(in []netip.Prefix) (netip.Addr, error) {
	if len(in) == 0 {
		return netip.Addr{}, nil
	}
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("list the host's addresses: %w", err)
	}
	for _, p := range in {
		var inside []netip.Addr
		for _, a := range addrs {
			if ip, ok := netip.AddrFromSlice(a.IP); ok && p.Contains(ip.Unmap()) {
				inside = append(inside, ip.Unmap())
			}
		}
		if len(inside) > 0 {
			return slices.MinFunc(inside, netip.Addr.Compare), nil
		}
	}
	return netip.Addr{}, nil // no control plane here yet: nothing to answer
}

// routeNode routes a remote node's own address on its bridge from src.
func routeNode(r DesiredRoute, br netlink.Link, src netip.Addr) error {
	route := &netlink.Route{Dst: &net.IPNet{IP: r.Via.AsSlice(), Mask: net.CIDRMask(32, 32)}, LinkIndex: br.Attrs().Index,
		Scope: netlink.SCOPE_LINK, Src: src.AsSlice(), Protocol: routeProtocol}
	if err := netlink.RouteReplace(route); err != nil {
		return fmt.Errorf("route node %s on %s from %s: %w", r.Via, r.Bridge, src, err)
	}
	return nil
}
