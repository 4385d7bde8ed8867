// Package overlay joins a subnet's bridges on different hosts into one
// layer-2 segment (scale-out step 7a): on each host that joins a subnet, a
// VXLAN device kx<last 12 of the subnet id> with the subnet's VNI
// (ec2.Service.SubnetVNI) is a port of the subnet's bridge, and the
// bridge's forwarding database floods to every other joined host. Every
// host routes the pod ranges of nodes on other hosts via the nodes'
// addresses on those bridges.
//
// Every joined host's bridge carries the subnet's gateway address with
// the same MAC (GatewayMAC, an anycast gateway as EVPN's distributed
// gateway): an instance's traffic to its gateway stays on its own host,
// so it leaves through that host's NAT and reaches that host's metadata
// redirect, wherever an ARP answer came from. The price: a host must not
// ARP for a node on another host (the answer would go to the gateway MAC,
// which the node's own host takes for itself), so hosts keep a permanent
// neighbor entry for each such node with the MAC its address gives it
// (network.InstanceMAC), and a forwarding entry sending that MAC to its
// host.
//
// MTU: VXLAN adds 50 bytes to each frame, and instances keep their MTU of
// 1500, so the underlay between hosts must carry 1550-byte packets, or the
// kernel fragments the outer packets (slower, and lost where fragments
// are dropped).
//
// Plan (pure) says what each host joins; Converge makes a host so.
package overlay
