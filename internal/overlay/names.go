package overlay

import (
	"crypto/sha256"
	"net"
	"regexp"
)

// Port is VXLAN's IANA port.
const Port = 4789

// vxlanPrefix names the VXLAN devices: kx<last 12 of the subnet id>, as
// the subnet's bridge is ks<the same>.
const vxlanPrefix = "kx"

// BridgeName names the bridge that plays a subnet on a host.
func BridgeName(subnetID string) string { return "ks" + subnetID[len(subnetID)-12:] }

// VxlanName names the VXLAN device of a subnet's bridge.
func VxlanName(bridge string) string { return vxlanPrefix + bridge[2:] }

// bridgeShape is a subnet bridge's name: it names devices and routes, so
// a name from the wire must have it before it is used.
var bridgeShape = regexp.MustCompile(`^ks[0-9a-f]{12}$`)

// subnetShape is a subnet id as ec2 makes them.
var subnetShape = regexp.MustCompile(`^subnet-[0-9a-f]{12,17}$`)

// GatewayMAC is the MAC of a subnet's bridge on every host: locally
// administered, unicast, 02 then five bytes of the SHA-256 of the subnet
// id. The same on every host, so an instance's gateway is always its own
// host's bridge (see the package comment).
func GatewayMAC(subnetID string) net.HardwareAddr {
	sum := sha256.Sum256([]byte(subnetID))
	return net.HardwareAddr{0x02, sum[0], sum[1], sum[2], sum[3], sum[4]}
}
