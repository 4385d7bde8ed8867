package server

import "github.com/keksdev/keks/internal/controlplane"

// scalingPolicy fills what the operator left unset with the defaults.
func scalingPolicy(p controlplane.ScalingPolicy) controlplane.ScalingPolicy {
	d := controlplane.DefaultScalingPolicy
	if p.RequestsPerAPIServer > 0 {
		d.RequestsPerAPIServer = p.RequestsPerAPIServer
	}
	if p.ScaleDownWindow > 0 {
		d.ScaleDownWindow = p.ScaleDownWindow
	}
	return d
}
