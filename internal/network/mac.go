package network

import (
	"net"
	"net/netip"
)

// InstanceMAC is the MAC address of an instance's eth0, from its IPv4
// address: 0a:58 then the address's four bytes (locally administered,
// unicast). Addresses are unique within a subnet, so MACs are unique on
// its segment; and a host that knows a node's address on another host
// knows its MAC, so it never has to ask by ARP across the tunnel
// (internal/overlay: the answer would go to the anycast gateway MAC,
// which every host takes for its own).
func InstanceMAC(addr netip.Addr) net.HardwareAddr {
	a := addr.Unmap().As4()
	return net.HardwareAddr{0x0a, 0x58, a[0], a[1], a[2], a[3]}
}
