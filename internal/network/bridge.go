// Package network manages the host network devices keks creates (one bridge
// per control-plane network, carrying the addresses of that cluster's
// control-plane instances and its endpoint), the directory that pins
// network namespaces, and runs iptables for whoever writes rules.
package network

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/vishvananda/netlink"
)

// EnsureBridge creates bridge name if it is missing, brings it up and gives
// it every address in addrs (idempotent).
func EnsureBridge(name string, addrs []netip.Prefix) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if !errors.As(err, &nf) {
			return fmt.Errorf("look up %s: %w", name, err)
		}
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}
		if err := netlink.LinkAdd(br); err != nil && !errors.Is(err, syscall.EEXIST) {
			return fmt.Errorf("create bridge %s: %w", name, err)
		}
		if link, err = netlink.LinkByName(name); err != nil {
			return fmt.Errorf("look up new bridge %s: %w", name, err)
		}
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("bring up %s: %w", name, err)
	}
	for _, p := range addrs {
		a := &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), 32)}}
		if err := netlink.AddrAdd(link, a); err != nil && !errors.Is(err, syscall.EEXIST) {
			return fmt.Errorf("add %s to %s: %w", p, name, err)
		}
	}
	return nil
}

// lookup finds a device; link is nil when there is none.
func lookup(name string) (netlink.Link, error) {
	link, err := netlink.LinkByName(name)
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("look up %s: %w", name, err)
	}
	return link, nil
}

// DeleteLink removes a device; a missing one is not an error.
func DeleteLink(name string) error {
	link, err := lookup(name)
	if link == nil {
		return err
	}
	if err := netlink.LinkDel(link); err != nil && !errors.Is(err, syscall.ENODEV) {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	return nil
}

// LinkExists reports whether a device exists.
func LinkExists(name string) bool {
	_, err := netlink.LinkByName(name)
	return err == nil
}

// DeleteAddress removes one address from a device; a missing device or
// address is not an error.
func DeleteAddress(name string, p netip.Prefix) error {
	link, err := lookup(name)
	if link == nil {
		return err
	}
	a := &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), 32)}}
	if err := netlink.AddrDel(link, a); err != nil && !errors.Is(err, syscall.EADDRNOTAVAIL) && !errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("remove %s from %s: %w", p, name, err)
	}
	return nil
}
