package controlplane

import (
	"math"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/keksdev/keks/internal/eks"
)

// The standard tier's requests, sized from the host runtime's measured
// figures (BenchmarkControlPlaneDensity: 652 MiB PSS and 9 % of a core per
// idle HA control plane, most of it the two API servers).
var standardRequests = map[string]struct{ milliCPU, mebibytes int64 }{
	RoleEtcd:              {20, 64},
	RoleAPIServer:         {50, 192},
	RoleControllerManager: {10, 48},
	RoleScheduler:         {10, 48},
}

// kubeAPIServerSeats is one kube-apiserver's seats with upstream's inflight
// defaults (400 reads + 200 writes): the standard tier's.
const kubeAPIServerSeats = 600

// requests are a member's resource requests on the kubernetes runtime. A
// larger scaling tier holds more requests in flight, a larger etcd
// database and a faster scheduler, so it asks the management cluster for
// room in proportion: an API server's memory and CPU grow with its seats,
// etcd's with its database quota, the scheduler's CPU with its pod rate.
func requests(role string, tier eks.ScalingTier) corev1.ResourceList {
	base, ok := standardRequests[role]
	if !ok {
		base = struct{ milliCPU, mebibytes int64 }{10, 32}
	}
	cpu, mem := float64(base.milliCPU), float64(base.mebibytes)
	switch role {
	case RoleAPIServer:
		cpu, mem = cpu*seatFactor(tier), mem*seatFactor(tier)
	case RoleEtcd:
		// etcd's writes follow the API servers' seats; it maps its
		// database, so its resident set grows with the data it keeps, up
		// to the quota: a thirty-second of the quota is requested.
		cpu *= seatFactor(tier)
		mem = math.Max(mem, float64(tier.DatabaseBytes()>>20)/32)
	case RoleScheduler:
		// upstream's client rate is 50/s: the standard tier's.
		cpu *= math.Max(1, float64(tier.PodsPerSecond)/50)
	}
	return corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewMilliQuantity(int64(math.Ceil(cpu)), resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(int64(math.Ceil(mem))<<20, resource.BinarySI),
	}
}

// seatFactor is how many standard API servers' seats one of the tier's
// API servers holds.
func seatFactor(tier eks.ScalingTier) float64 {
	return math.Max(1, float64(tier.APIRequestConcurrency/apiServerCount)/kubeAPIServerSeats)
}
