package controlplane

import (
	"strconv"

	"github.com/keksdev/keks/internal/eks"
)

// addTierFlags gives a member what its cluster's scaling tier provisions
// (EKS Provisioned Control Plane): the API servers share the tier's seats,
// etcd's quota is its database size and the scheduler's client rate its
// pod scheduling rate. The standard tier adds nothing, so a cluster that
// never chose a tier keeps its configuration, and its processes, exactly.
func addTierFlags(flags map[string]string, role string, tier eks.ScalingTier) {
	switch role {
	case RoleAPIServer:
		if tier.APIRequestConcurrency > 0 {
			// kube-apiserver's API Priority and Fairness has as many seats as
			// the two inflight limits together; upstream's defaults keep
			// two reads to one write, and so does this.
			seats := tier.APIRequestConcurrency / apiServerCount
			reads := seats * 2 / 3
			flags["max-requests-inflight"] = strconv.Itoa(reads)
			flags["max-mutating-requests-inflight"] = strconv.Itoa(seats - reads)
		}
	case RoleEtcd:
		if tier.DatabaseGiB > 0 {
			flags["quota-backend-bytes"] = strconv.FormatInt(int64(tier.DatabaseGiB)<<30, 10)
		}
	case RoleScheduler:
		if tier.PodsPerSecond > 0 {
			// Each placed pod is one binding request: the client's rate
			// bounds the scheduling rate (upstream's default is 50/s).
			flags["kube-api-qps"] = strconv.Itoa(tier.PodsPerSecond)
			flags["kube-api-burst"] = strconv.Itoa(2 * tier.PodsPerSecond)
		}
	}
}
