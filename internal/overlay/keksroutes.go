package overlay

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// keksRouteProtocol marks the routes to keks's control-plane networks,
// apart from the pod routes, so that each set's stale routes are found
// without state.
const keksRouteProtocol netlink.RouteProtocol = 0x4c

// routeKeks routes keks's control-plane networks the way the host reaches
// keks's underlay address: via that address when it is on a link of the
// host, else via the router toward it; and removes such routes no longer
// wanted.
func routeKeks(d *Desired) error {
	have, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Protocol: keksRouteProtocol}, netlink.RT_FILTER_PROTOCOL)
	if err != nil {
		return fmt.Errorf("list routes to keks: %w", err)
	}
	want := map[netip.Prefix]bool{}
	var errs []error
	gw, link, err := nextHop(d.KeksVia)
	if err != nil && len(d.KeksRanges) > 0 {
		errs = append(errs, err)
	}
	for _, r := range d.KeksRanges {
		want[r] = true
		if err != nil {
			continue
		}
		route := &netlink.Route{Dst: &net.IPNet{IP: r.Addr().AsSlice(), Mask: net.CIDRMask(r.Bits(), 32)}, Gw: gw.AsSlice(), LinkIndex: link, Protocol: keksRouteProtocol}
		if err := netlink.RouteReplace(route); err != nil {
			errs = append(errs, fmt.Errorf("route %s via %s toward keks at %s: %w", r, gw, d.KeksVia, err))
		}
	}
	errs = append(errs, removeUnwanted(have, want, "route to keks"))
	return errors.Join(errs...)
}

// nextHop is the gateway and link the host sends to addr by: addr itself
// on a link of the host's, or the router its route names.
func nextHop(addr netip.Addr) (netip.Addr, int, error) {
	if !addr.IsValid() {
		return netip.Addr{}, 0, errors.New("no address of keks to route its networks to")
	}
	routes, err := netlink.RouteGet(addr.AsSlice())
	if err != nil || len(routes) == 0 {
		return netip.Addr{}, 0, fmt.Errorf("no route to keks at %s: %v", addr, err)
	}
	r := routes[0]
	if gw, ok := netip.AddrFromSlice(r.Gw); ok && gw.IsValid() && !gw.IsUnspecified() {
		return gw.Unmap(), r.LinkIndex, nil
	}
	return addr, r.LinkIndex, nil
}
