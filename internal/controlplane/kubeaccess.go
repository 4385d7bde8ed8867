package controlplane

import (
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/network"
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
	src, err := network.SourceToward(st.Endpoint)
	if err != nil {
		k.log.Warn("cannot tell keks's address toward the endpoint; it admits every source until then", "cluster", cl.Name, "endpoint", st.Endpoint, "err", err)
		return nil
	}
	return endpointSources(k.cfg, cl, src.String())
}
