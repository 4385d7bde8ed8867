package main

import (
	"errors"
	"net"
	"syscall"

	"github.com/vishvananda/netlink"
)

// linkName is the dummy device that holds the agent's address, as AWS's
// agent names it.
const linkName = "pod-id-link0"

// placement is where the agent put its address, to take it away again.
type placement struct {
	link string
	addr *netlink.Addr
}

// ensureAddress puts address on the node, so that what the node's pods send
// to it is delivered to the agent: on a dummy link of its own, or on the
// loopback device where the kernel has no dummy devices.
func ensureAddress(address string) (*placement, error) {
	ip := net.ParseIP(address)
	if ip == nil {
		return nil, errors.New("not an IP address")
	}
	bits := 32
	if ip.To4() == nil {
		bits = 128
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}}
	name := linkName
	link, err := netlink.LinkByName(name)
	if err != nil {
		dummy := &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: linkName}}
		err = netlink.LinkAdd(dummy)
		switch {
		case errors.Is(err, syscall.EOPNOTSUPP):
			name = "lo"
		case err != nil && !errors.Is(err, syscall.EEXIST):
			return nil, err
		}
		if link, err = netlink.LinkByName(name); err != nil {
			return nil, err
		}
	}
	if err := netlink.AddrReplace(link, addr); err != nil {
		return nil, err
	}
	return &placement{link: name, addr: addr}, netlink.LinkSetUp(link)
}

// remove takes the address away: the agent's link, or its address on lo.
func (p *placement) remove() error {
	link, err := netlink.LinkByName(p.link)
	if err != nil {
		return nil
	}
	if p.link == linkName {
		return netlink.LinkDel(link)
	}
	if err := netlink.AddrDel(link, p.addr); err != nil && !errors.Is(err, syscall.EADDRNOTAVAIL) {
		return err
	}
	return nil
}
