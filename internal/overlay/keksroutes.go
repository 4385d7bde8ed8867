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

// routeKeks routes keks's control-plane networks via keks's underlay
// address, and removes such routes no longer wanted.
func routeKeks(d *Desired) error {
	have, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Protocol: keksRouteProtocol}, netlink.RT_FILTER_PROTOCOL)
	if err != nil {
		return fmt.Errorf("list routes to keks: %w", err)
	}
	want := map[netip.Prefix]bool{}
	var errs []error
	for _, r := range d.KeksRanges {
		want[r] = true
		route := &netlink.Route{Dst: &net.IPNet{IP: r.Addr().AsSlice(), Mask: net.CIDRMask(r.Bits(), 32)}, Gw: d.KeksVia.AsSlice(), Protocol: keksRouteProtocol}
		if err := netlink.RouteReplace(route); err != nil {
			errs = append(errs, fmt.Errorf("route %s via keks at %s: %w", r, d.KeksVia, err))
		}
	}
	errs = append(errs, removeUnwanted(have, want, "route to keks"))
	return errors.Join(errs...)
}
