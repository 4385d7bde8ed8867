package controlplane

import (
	"net"
	"net/netip"

	"github.com/keksdev/keks/internal/eks"
)

// endpointSources are the load balancer source ranges of a control plane's
// endpoint Service: what the host runtime's endpoint admits, with keks's
// own source being the address keks reaches the endpoint from. keks's
// egress proxy (webhooks, kubelets) and the NAT of instances on keks's
// host leave from that address too. Until the endpoint has an address,
// nil: nothing listens behind it yet.
func (k *kubeRuntime) endpointSources(cl *eks.Cluster, st *State) []string {
	if st.Endpoint == "" {
		return nil
	}
	src, err := sourceToward(st.Endpoint)
	if err != nil {
		k.log.Warn("cannot tell keks's address toward the endpoint; it admits every source until then", "cluster", cl.Name, "endpoint", st.Endpoint, "err", err)
		return nil
	}
	return endpointSources(k.cfg, cl, src.String())
}

// sourceToward is the address this host sends from to addr: a UDP "dial"
// sends nothing, it only asks the routing table.
func sourceToward(addr string) (netip.Addr, error) {
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
