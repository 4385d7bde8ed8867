package network

import (
	"net"
	"net/netip"
)

// SourceToward is the address this host sends from to addr (an address or
// a name): a UDP "dial" sends nothing, it only asks the routing table.
func SourceToward(addr string) (netip.Addr, error) {
	c, err := net.Dial("udp", net.JoinHostPort(addr, "443"))
	if err != nil {
		return netip.Addr{}, err
	}
	defer c.Close()
	ap, err := netip.ParseAddrPort(c.LocalAddr().String())
	if err != nil {
		return netip.Addr{}, err
	}
	return ap.Addr().Unmap(), nil
}
