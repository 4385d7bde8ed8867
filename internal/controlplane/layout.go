package controlplane

import (
	"fmt"
	"net/netip"

	"github.com/keksdev/keks/internal/ec2"
)

// Roles of control-plane processes.
const (
	RoleEtcd              = "etcd"
	RoleAPIServer         = "kube-apiserver"
	RoleControllerManager = "kube-controller-manager"
	RoleScheduler         = "kube-scheduler"
	RoleEndpoint          = "endpoint"
	RoleAuthenticator     = "authenticator"
)

// cpNetwork is a cluster's control-plane cpNetwork: a /24 of 198.18.0.0/15 on a
// bridge of its own. .1 is the bridge (the host's side: the public side of
// the endpoint), .2 where keks's own clients come from, .10 the endpoint,
// .11-.12 the API server instances, .21-.23 the etcd members.
type cpNetwork struct {
	index  int
	prefix netip.Prefix
}

func newNetwork(index int) cpNetwork {
	a := netip.AddrFrom4([4]byte{198, byte(18 + index/256), byte(index % 256), 0})
	return cpNetwork{index: index, prefix: netip.PrefixFrom(a, 24)}
}

func (n cpNetwork) addr(host byte) string {
	b := n.prefix.Addr().As4()
	b[3] = host
	return netip.AddrFrom4(b).String()
}

func (n cpNetwork) bridge() string { return fmt.Sprintf("keks-cp%d", n.index) }

func (n cpNetwork) endpoint() string { return n.addr(10) }

// keksSource is the address keks's own health probes and clients use: EKS
// itself reaches a control plane whatever its endpoint access says.
func (n cpNetwork) keksSource() string { return n.addr(2) }

// plannedInstance is one process the layout calls for.
type plannedInstance struct {
	name, role, zone, address string
}

// apiServerCount and etcdCount are EKS's minimums: two API server instances
// in distinct zones and three etcd members across three zones. Under load
// the autoscaler adds API server instances, up to maxAPIServers.
const (
	apiServerCount = 2
	etcdCount      = 3
	maxAPIServers  = 5
)

func plan(pl Placement, region string) []plannedInstance {
	zones := ec2.Zones(region)
	var out []plannedInstance
	for i, ip := range pl.EtcdMembers() {
		out = append(out, plannedInstance{fmt.Sprintf("etcd-%c", 'a'+i), RoleEtcd, zones[i].Name, ip})
	}
	for i, ip := range pl.APIServers() {
		z := zones[i%len(zones)].Name
		out = append(out,
			plannedInstance{fmt.Sprintf("authenticator-%c", 'a'+i), RoleAuthenticator, z, ip},
			plannedInstance{fmt.Sprintf("kube-apiserver-%c", 'a'+i), RoleAPIServer, z, ip},
		)
		if i >= apiServerCount {
			// An instance added for load serves requests only: the
			// controller manager and the scheduler elect one leader, and
			// a third candidate would add nothing but its own cost.
			continue
		}
		out = append(out,
			plannedInstance{fmt.Sprintf("kube-controller-manager-%c", 'a'+i), RoleControllerManager, z, ip},
			plannedInstance{fmt.Sprintf("kube-scheduler-%c", 'a'+i), RoleScheduler, z, ip},
		)
	}
	return append(out, plannedInstance{"endpoint", RoleEndpoint, zones[0].Name, pl.Endpoint()})
}

func etcdMembers(n cpNetwork) []string {
	var out []string
	for i := 0; i < etcdCount; i++ {
		out = append(out, n.addr(byte(21+i)))
	}
	return out
}

// apiServerAddrs are the first count API server addresses (.11 up; etcd's
// start at .21, so maxAPIServers must stay below 10).
func apiServerAddrs(n cpNetwork, count int) []string {
	var out []string
	for i := 0; i < count; i++ {
		out = append(out, n.addr(byte(11+i)))
	}
	return out
}
