package placement

import (
	"context"
	"runtime"

	"github.com/keksdev/keks/internal/agents"
)

// MaxVCPUs is the most vCPUs an instance of zone can have: the largest
// Ready agent host that declares the zone, or keks's own host when none
// does. A node's kubelet gives its pods a cpuset of all the vCPUs its
// machine shows, which the kernel refuses beyond the host's CPUs, so a
// larger instance could never run.
func (p *Placer) MaxVCPUs(ctx context.Context, zone string) int {
	local := runtime.NumCPU()
	if p == nil || p.Hosts == nil {
		return local
	}
	hosts, err := p.Hosts(ctx)
	if err != nil {
		return local // the launch is not refused for a store hiccup; the instance may still fail on its host
	}
	return maxVCPUs(hosts, zone, local)
}

func maxVCPUs(hosts []agents.HostStatus, zone string, local int) int {
	most, served := 0, false
	for _, h := range hosts {
		if h.State == agents.StateReady && h.Zone == zone {
			served = true
			most = max(most, h.Capacity.CPUs)
		}
	}
	if !served {
		return local
	}
	return most
}
