package instance

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/keksdev/keks/internal/network"
)

const netnsDir = network.NetnsDir

// nsPath is where a named network namespace is bind-mounted, as `ip netns` does.
func nsPath(name string) string { return filepath.Join(netnsDir, name) }

// ensureNetns creates a named network namespace if it does not exist.
func ensureNetns(name string) error {
	if _, err := os.Stat(nsPath(name)); err == nil {
		return nil
	}
	if err := network.PrepareNetnsDir(); err != nil {
		return err
	}
	// NewNamed moves the thread into the new namespace; onThread moves it back.
	return onThread(func() error {
		h, err := netns.NewNamed(name)
		if err != nil {
			return fmt.Errorf("create netns %s: %w", name, err)
		}
		return h.Close()
	})
}

// onThread runs f on a locked OS thread and puts the thread back in its
// network namespace afterwards, whatever f switched to.
func onThread(f func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return err
	}
	defer orig.Close()
	defer netns.Set(orig) //nolint:errcheck
	return f()
}

// deleteNetns removes a named network namespace; a missing one is fine.
func deleteNetns(name string) error {
	if _, err := os.Stat(nsPath(name)); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := netns.DeleteNamed(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete netns %s: %w", name, err)
	}
	return nil
}

// inNetns runs f with the calling thread in namespace name.
func inNetns(name string, f func() error) error {
	return onThread(func() error {
		h, err := netns.GetFromName(name)
		if err != nil {
			return fmt.Errorf("open netns %s: %w", name, err)
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			return err
		}
		return f()
	})
}

// plug connects namespace ns to bridge with a veth pair: hostIf on the host
// side, eth0 inside with addr/prefix and a default route via gw.
func plug(ns, hostIf, bridge string, addr netip.Prefix, gw netip.Addr) error {
	br, err := netlink.LinkByName(bridge)
	if err != nil {
		return fmt.Errorf("bridge %s: %w", bridge, err)
	}
	if _, err := netlink.LinkByName(hostIf); err != nil {
		// eth0's MAC follows from its address, so hosts across the
		// overlay know it without ARP (network.InstanceMAC).
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: hostIf, MasterIndex: br.Attrs().Index}, PeerName: hostIf + "p",
			PeerHardwareAddr: network.InstanceMAC(addr.Addr())}
		if err := netlink.LinkAdd(veth); err != nil && !errors.Is(err, syscall.EEXIST) {
			return fmt.Errorf("create veth %s: %w", hostIf, err)
		}
		peer, err := netlink.LinkByName(hostIf + "p")
		if err != nil {
			return err
		}
		h, err := netns.GetFromName(ns)
		if err != nil {
			return err
		}
		defer h.Close()
		if err := netlink.LinkSetNsFd(peer, int(h)); err != nil {
			return fmt.Errorf("move veth into %s: %w", ns, err)
		}
	}
	host, err := netlink.LinkByName(hostIf)
	if err != nil {
		return err
	}
	if err := netlink.LinkSetUp(host); err != nil {
		return err
	}
	macChanged := false
	err = inNetns(ns, func() error {
		lo, err := netlink.LinkByName("lo")
		if err == nil {
			_ = netlink.LinkSetUp(lo)
		}
		in, err := netlink.LinkByName(hostIf + "p")
		if err == nil {
			if err := netlink.LinkSetName(in, "eth0"); err != nil {
				return err
			}
		}
		eth, err := netlink.LinkByName("eth0")
		if err != nil {
			return fmt.Errorf("eth0 in %s: %w", ns, err)
		}
		// An instance made before MACs followed addresses gets its MAC now
		// (a veth changes it live); neighbors that knew the old one ask
		// again within seconds, and the host's own entry goes below.
		if mac := network.InstanceMAC(addr.Addr()); !bytes.Equal(eth.Attrs().HardwareAddr, mac) {
			if err := netlink.LinkSetHardwareAddr(eth, mac); err != nil {
				return fmt.Errorf("set eth0's MAC in %s: %w", ns, err)
			}
			macChanged = true
		}
		a := &netlink.Addr{IPNet: &net.IPNet{IP: addr.Addr().AsSlice(), Mask: net.CIDRMask(addr.Bits(), 32)}}
		if err := netlink.AddrAdd(eth, a); err != nil && !errors.Is(err, syscall.EEXIST) {
			return err
		}
		if err := netlink.LinkSetUp(eth); err != nil {
			return err
		}
		r := &netlink.Route{LinkIndex: eth.Attrs().Index, Gw: gw.AsSlice()}
		if err := netlink.RouteAdd(r); err != nil && !errors.Is(err, syscall.EEXIST) {
			return fmt.Errorf("default route in %s: %w", ns, err)
		}
		return nil
	})
	if err == nil && macChanged {
		// The host's neighbor entry still names the old MAC.
		_ = netlink.NeighDel(&netlink.Neigh{LinkIndex: br.Attrs().Index, IP: addr.Addr().AsSlice()})
	}
	return err
}

// ensureSubnetBridge makes the bridge that plays a subnet, with the
// subnet's gateway address (the first host) on the host side.
func ensureSubnetBridge(bridge string, gw netip.Prefix) error {
	if err := network.EnsureBridge(bridge, []netip.Prefix{gw}); err != nil {
		return err
	}
	return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644)
}

func podRoute(s *Spec) (*netlink.Route, error) {
	_, dst, err := net.ParseCIDR(s.PodCIDR)
	if err != nil {
		return nil, fmt.Errorf("pod CIDR %q: %w", s.PodCIDR, err)
	}
	return &netlink.Route{Dst: dst, Gw: s.Address.Addr().AsSlice()}, nil
}

func routePods(s *Spec) error {
	r, err := podRoute(s)
	if err != nil {
		return err
	}
	if err := netlink.RouteReplace(r); err != nil {
		return fmt.Errorf("route %s via %s: %w", s.PodCIDR, s.Address.Addr(), err)
	}
	return nil
}

func unroutePods(s *Spec) {
	if r, err := podRoute(s); err == nil {
		_ = netlink.RouteDel(r)
	}
}
