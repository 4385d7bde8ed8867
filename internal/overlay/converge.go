package overlay

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/keksdev/keks/internal/network"
)

// routeProtocol marks the pod routes Converge makes (RTPROT numbers below
// 256 that no routing daemon uses), so that it finds its stale ones
// without keeping state, and never takes a local node's route.
const routeProtocol netlink.RouteProtocol = 0x4b

// zeroMAC is the forwarding entry that floods broadcast, multicast and
// unknown frames to a peer.
var zeroMAC = net.HardwareAddr{0, 0, 0, 0, 0, 0}

// Converge makes the host's (the calling thread's network namespace's)
// overlay d, idempotently, and returns the bridges it joins: they must
// stay while joined, even without a local instance in them, so that the
// routes via their nodes resolve. What it made for subnets no longer in
// d goes: their VXLAN devices (with their forwarding entries), pod routes
// and neighbor entries; the bridges are the caller's.
func Converge(d *Desired) (joined []string, err error) {
	var errs []error
	wantVxlan := map[string]bool{}
	if len(d.Subnets) > 0 {
		if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644); err != nil {
			return nil, fmt.Errorf("let the host forward: %w", err)
		}
	}
	for i := range d.Subnets {
		s := &d.Subnets[i]
		wantVxlan[VxlanName(s.Bridge)] = true
		if err := joinSubnet(d.Local, s, d.Routes); err != nil {
			errs = append(errs, fmt.Errorf("join subnet %s: %w", s.ID, err))
			continue
		}
		joined = append(joined, s.Bridge)
	}
	if err := removeStale(wantVxlan, d.Routes); err != nil {
		errs = append(errs, err)
	}
	src, err := sourceFor(d.SourceIn)
	if err != nil {
		errs = append(errs, err)
	}
	if err := routePods(d.Routes, src); err != nil {
		errs = append(errs, err)
	}
	if err := routeKeks(d); err != nil {
		errs = append(errs, err)
	}
	return joined, errors.Join(errs...)
}

// joinSubnet makes the subnet's bridge (with the anycast gateway), its
// VXLAN port, the forwarding entries to its peers and its nodes there,
// and the neighbor entries of those nodes.
func joinSubnet(local netip.Addr, s *DesiredSubnet, routes []DesiredRoute) error {
	if err := network.EnsureBridge(s.Bridge, []netip.Prefix{s.Gateway}); err != nil {
		return err
	}
	br, err := netlink.LinkByName(s.Bridge)
	if err != nil {
		return err
	}
	// The gateway's MAC is the subnet's on every host (package comment).
	if mac := GatewayMAC(s.ID); !bytes.Equal(br.Attrs().HardwareAddr, mac) {
		if err := netlink.LinkSetHardwareAddr(br, mac); err != nil {
			return fmt.Errorf("set %s's MAC to %s: %w", s.Bridge, mac, err)
		}
	}
	vx, err := ensureVxlan(VxlanName(s.Bridge), s.VNI, local, br.Attrs().Index)
	if err != nil {
		return err
	}
	var nodes []DesiredRoute
	for _, r := range routes {
		if r.Bridge == s.Bridge {
			nodes = append(nodes, r)
		}
	}
	if err := syncFDB(vx, fdbWant(s.Peers, nodes)); err != nil {
		return err
	}
	return syncNeighbors(br, nodes)
}

// ensureVxlan makes the VXLAN device name a port of the bridge, up, with
// the VNI and source; one made otherwise is made again.
func ensureVxlan(name string, vni int, local netip.Addr, bridge int) (netlink.Link, error) {
	link, err := netlink.LinkByName(name)
	if err == nil {
		if vx, ok := link.(*netlink.Vxlan); !ok || vx.VxlanId != vni || !vx.SrcAddr.Equal(local.AsSlice()) || vx.Port != Port {
			if err := netlink.LinkDel(link); err != nil {
				return nil, fmt.Errorf("remove %s to make it again: %w", name, err)
			}
			link = nil
		}
	} else if !errors.As(err, new(netlink.LinkNotFoundError)) {
		return nil, fmt.Errorf("look up %s: %w", name, err)
	} else {
		link = nil
	}
	if link == nil {
		vx := &netlink.Vxlan{LinkAttrs: netlink.LinkAttrs{Name: name, MasterIndex: bridge}, VxlanId: vni,
			SrcAddr: local.AsSlice(), Port: Port, Learning: true}
		if err := netlink.LinkAdd(vx); err != nil && !errors.Is(err, syscall.EEXIST) {
			return nil, fmt.Errorf("create %s (VNI %d from %s): %w", name, vni, local, err)
		}
		if link, err = netlink.LinkByName(name); err != nil {
			return nil, fmt.Errorf("look up new %s: %w", name, err)
		}
	}
	if link.Attrs().MasterIndex != bridge {
		if err := netlink.LinkSetMasterByIndex(link, bridge); err != nil {
			return nil, fmt.Errorf("enslave %s: %w", name, err)
		}
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return nil, fmt.Errorf("bring up %s: %w", name, err)
	}
	return link, nil
}

// fdbEntry is a permanent forwarding entry of a VXLAN device: frames to
// MAC go to the host at Dst.
type fdbEntry struct {
	MAC string
	Dst netip.Addr
}

// fdbWant are a subnet's forwarding entries: flooding to every peer, and
// each node on another host's MAC to its host.
func fdbWant(peers []netip.Addr, nodes []DesiredRoute) []fdbEntry {
	var out []fdbEntry
	for _, p := range peers {
		out = append(out, fdbEntry{MAC: zeroMAC.String(), Dst: p})
	}
	for _, n := range nodes {
		out = append(out, fdbEntry{MAC: network.InstanceMAC(n.Via).String(), Dst: n.Peer})
	}
	return out
}

// diff is what to remove from have and add to it to make it want.
func diff[T comparable](have, want []T) (remove, add []T) {
	for _, h := range have {
		if !slices.Contains(want, h) {
			remove = append(remove, h)
		}
	}
	for _, w := range want {
		if !slices.Contains(have, w) && !slices.Contains(add, w) {
			add = append(add, w)
		}
	}
	return remove, add
}

// syncFDB makes the device's permanent entries want; learned ones stay.
func syncFDB(vx netlink.Link, want []fdbEntry) error {
	list, err := netlink.NeighList(vx.Attrs().Index, unix.AF_BRIDGE)
	if err != nil {
		return fmt.Errorf("list forwarding entries of %s: %w", vx.Attrs().Name, err)
	}
	var have []fdbEntry
	for _, n := range list {
		if a, ok := netip.AddrFromSlice(n.IP); ok && n.State&netlink.NUD_PERMANENT != 0 {
			have = append(have, fdbEntry{MAC: n.HardwareAddr.String(), Dst: a.Unmap()})
		}
	}
	remove, add := diff(have, want)
	entry := func(e fdbEntry) *netlink.Neigh {
		mac, _ := net.ParseMAC(e.MAC)
		return &netlink.Neigh{LinkIndex: vx.Attrs().Index, Family: unix.AF_BRIDGE, Flags: netlink.NTF_SELF,
			State: netlink.NUD_PERMANENT, HardwareAddr: mac, IP: e.Dst.AsSlice()}
	}
	for _, e := range remove {
		if err := netlink.NeighDel(entry(e)); err != nil && !errors.Is(err, syscall.ENOENT) {
			return fmt.Errorf("remove forwarding entry %s dst %s of %s: %w", e.MAC, e.Dst, vx.Attrs().Name, err)
		}
	}
	for _, e := range add {
		// Appended: the flood entry has one MAC for several peers.
		if err := netlink.NeighAppend(entry(e)); err != nil && !errors.Is(err, syscall.EEXIST) {
			return fmt.Errorf("add forwarding entry %s dst %s to %s: %w", e.MAC, e.Dst, vx.Attrs().Name, err)
		}
	}
	return nil
}

// syncNeighbors makes the bridge's permanent neighbor entries those of
// the nodes on other hosts: the host never asks for them by ARP. Entries
// the kernel learned (local instances) are not permanent, and stay.
func syncNeighbors(br netlink.Link, nodes []DesiredRoute) error {
	have, err := permanentNeighbors(br)
	if err != nil {
		return err
	}
	var want []netip.Addr
	for _, n := range nodes {
		want = append(want, n.Via)
	}
	remove, add := diff(have, want)
	for _, a := range remove {
		n := &netlink.Neigh{LinkIndex: br.Attrs().Index, Family: unix.AF_INET, IP: a.AsSlice()}
		if err := netlink.NeighDel(n); err != nil && !errors.Is(err, syscall.ENOENT) {
			return fmt.Errorf("remove neighbor %s of %s: %w", a, br.Attrs().Name, err)
		}
	}
	for _, a := range add {
		n := &netlink.Neigh{LinkIndex: br.Attrs().Index, Family: unix.AF_INET, State: netlink.NUD_PERMANENT,
			IP: a.AsSlice(), HardwareAddr: network.InstanceMAC(a)}
		if err := netlink.NeighSet(n); err != nil {
			return fmt.Errorf("neighbor %s on %s: %w", a, br.Attrs().Name, err)
		}
	}
	return nil
}

func permanentNeighbors(br netlink.Link) ([]netip.Addr, error) {
	list, err := netlink.NeighList(br.Attrs().Index, unix.AF_INET)
	if err != nil {
		return nil, fmt.Errorf("list neighbors of %s: %w", br.Attrs().Name, err)
	}
	var out []netip.Addr
	for _, n := range list {
		if a, ok := netip.AddrFromSlice(n.IP); ok && n.State&netlink.NUD_PERMANENT != 0 {
			out = append(out, a.Unmap())
		}
	}
	return out, nil
}

// removeStale removes the VXLAN devices of subnets no longer joined, and
// the permanent neighbor entries on subnet bridges that are not joined.
func removeStale(wantVxlan map[string]bool, routes []DesiredRoute) error {
	links, err := netlink.LinkList()
	if err != nil {
		return fmt.Errorf("list devices: %w", err)
	}
	joined := map[string]bool{}
	for _, r := range routes {
		joined[r.Bridge] = true
	}
	for b := range wantVxlan {
		joined["ks"+strings.TrimPrefix(b, vxlanPrefix)] = true
	}
	var errs []error
	for _, l := range links {
		name := l.Attrs().Name
		switch {
		case strings.HasPrefix(name, vxlanPrefix) && l.Type() == "vxlan" && !wantVxlan[name]:
			if err := netlink.LinkDel(l); err != nil {
				errs = append(errs, fmt.Errorf("remove %s: %w", name, err))
			}
		case bridgeShape.MatchString(name) && l.Type() == "bridge" && !joined[name]:
			if err := syncNeighbors(l, nil); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// routePods routes each remote node's pods via its address on its bridge,
// and removes the routes made for nodes no longer listed. A range already
// routed otherwise (a local node's: pod ranges of different VPCs may
// meet) is left alone.
func routePods(routes []DesiredRoute, src netip.Addr) error {
	have, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Protocol: routeProtocol}, netlink.RT_FILTER_PROTOCOL)
	if err != nil {
		return fmt.Errorf("list pod routes: %w", err)
	}
	want := map[netip.Prefix]bool{}
	var errs []error
	for _, r := range routes {
		want[r.Pods] = true
		br, err := netlink.LinkByName(r.Bridge)
		if err == nil && src.IsValid() {
			want[netip.PrefixFrom(r.Via, 32)] = true
			if err := routeNode(r, br, src); err != nil {
				errs = append(errs, err)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("route %s: bridge %s: %w", r.Pods, r.Bridge, err))
			continue
		}
		dst := &net.IPNet{IP: r.Pods.Addr().AsSlice(), Mask: net.CIDRMask(r.Pods.Bits(), 32)}
		if other, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Dst: dst}, netlink.RT_FILTER_DST); err == nil &&
			slices.ContainsFunc(other, func(o netlink.Route) bool { return o.Protocol != routeProtocol }) {
			errs = append(errs, fmt.Errorf("pods %s of node %s: the range is routed to a node of this host", r.Pods, r.Via))
			continue
		}
		route := &netlink.Route{Dst: dst, Gw: r.Via.AsSlice(), LinkIndex: br.Attrs().Index, Protocol: routeProtocol}
		if src.IsValid() {
			route.Src = src.AsSlice()
		}
		if err := netlink.RouteReplace(route); err != nil {
			errs = append(errs, fmt.Errorf("route %s via %s dev %s: %w", r.Pods, r.Via, r.Bridge, err))
		}
	}
	errs = append(errs, removeUnwanted(have, want, "pod route"))
	return errors.Join(errs...)
}

// removeUnwanted deletes the routes of have whose destination want lacks.
func removeUnwanted(have []netlink.Route, want map[netip.Prefix]bool, what string) error {
	var errs []error
	for _, h := range have {
		if h.Dst == nil {
			continue
		}
		p, ok := netip.AddrFromSlice(h.Dst.IP)
		ones, _ := h.Dst.Mask.Size()
		if ok && !want[netip.PrefixFrom(p.Unmap(), ones)] {
			if err := netlink.RouteDel(&h); err != nil && !errors.Is(err, syscall.ESRCH) {
				errs = append(errs, fmt.Errorf("remove %s %s: %w", what, h.Dst, err))
			}
		}
	}
	return errors.Join(errs...)
}
