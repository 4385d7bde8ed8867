package eks

import (
	"context"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
)

// UpdateControlPlaneScaling is the update a change of
// controlPlaneScalingConfig.tier records (botocore's UpdateType; the user
// guide's walkthrough calls it ScalingTierConfigUpdate, the API model wins).
const UpdateControlPlaneScaling = "ControlPlaneScalingConfigUpdate"

// TierStandard is the tier of every cluster that names none.
const TierStandard = "standard"

// ScalingTier is one of EKS Provisioned Control Plane's scaling tiers: the
// capacity the control plane keeps whatever its load.
type ScalingTier struct {
	Name string
	// APIRequestConcurrency is the seats (API Priority and Fairness) the
	// cluster's API servers hold together; 0 leaves kube-apiserver's defaults.
	APIRequestConcurrency int
	// DatabaseGiB is etcd's backend quota; 0 leaves etcd's default.
	DatabaseGiB int
	// PodsPerSecond is the scheduler's pod scheduling rate; 0 leaves its default.
	PodsPerSecond int
}

// ScalingTiers are EKS's tiers, smallest first. Seats are the user guide's
// table (eks-provisioned-control-plane-introduction: XL 1700, 2XL 3400, 4XL
// 6800); the database is 16 GB from XL on (the same page: "XL … 16 GB of
// cluster database storage", standard 8 GB); XL schedules 167 pods/s and
// 4XL and 8XL 400 (as quoted from AWS by users; 2XL between them). 8XL,
// named by the API model but in no table, doubles 4XL's seats.
// keks's standard tier is what Kubernetes gives with no flags (two API
// servers of 400 + 200 inflight requests, etcd's 2 GiB quota), so that a
// cluster made before tiers existed runs exactly as it did.
var ScalingTiers = []ScalingTier{
	{Name: TierStandard},
	{Name: "tier-xl", APIRequestConcurrency: 1700, DatabaseGiB: 16, PodsPerSecond: 167},
	{Name: "tier-2xl", APIRequestConcurrency: 3400, DatabaseGiB: 16, PodsPerSecond: 283},
	{Name: "tier-4xl", APIRequestConcurrency: 6800, DatabaseGiB: 16, PodsPerSecond: 400},
	{Name: "tier-8xl", APIRequestConcurrency: 13600, DatabaseGiB: 16, PodsPerSecond: 400},
}

// etcdDefaultQuota is etcd's backend quota when none is set: keks's
// standard tier's.
const etcdDefaultQuota = 2 << 30

// DatabaseBytes is the largest etcd database the tier holds.
func (t ScalingTier) DatabaseBytes() int64 {
	if t.DatabaseGiB == 0 {
		return etcdDefaultQuota
	}
	return int64(t.DatabaseGiB) << 30
}

// checkDatabaseFits refuses a tier whose database quota is smaller than
// the cluster's database, as EKS refuses to leave a tier for one whose
// database size the cluster exceeds: etcd would be read-only (NOSPACE).
func (s *Service) checkDatabaseFits(ctx context.Context, c *Cluster, to ScalingTier) error {
	if s.DatabaseSize == nil || to.DatabaseBytes() >= c.Spec.Tier().DatabaseBytes() {
		return nil
	}
	size, err := s.DatabaseSize(ctx, c.UID)
	if err != nil {
		return awserr.Errorf(CodeInvalidRequest, "Cannot update the control plane scaling tier of %s to %s: its cluster database size could not be read (%v); try again", c.Name, to.Name, err).With("clusterName", c.Name)
	}
	if size > to.DatabaseBytes() {
		return awserr.Errorf(CodeInvalidRequest, "Cannot update the control plane scaling tier of %s to %s: the cluster database uses %.1f GiB, more than the %d GiB that %s supports. Reduce the database utilization below that first.",
			c.Name, to.Name, float64(size)/(1<<30), to.DatabaseBytes()>>30, to.Name).With("clusterName", c.Name)
	}
	return nil
}

// LookupScalingTier finds a tier by its API name; "" is standard.
func LookupScalingTier(name string) (ScalingTier, bool) {
	if name == "" {
		name = TierStandard
	}
	for _, t := range ScalingTiers {
		if t.Name == name {
			return t, true
		}
	}
	return ScalingTier{}, false
}

// Tier is the cluster's scaling tier; a spec that names none is standard.
func (s ClusterSpec) Tier() ScalingTier {
	t, _ := LookupScalingTier(s.ScalingTier)
	return t
}

func validateScalingTier(cluster, name string) error {
	if _, ok := LookupScalingTier(name); ok {
		return nil
	}
	names := make([]string, len(ScalingTiers))
	for i, t := range ScalingTiers {
		names[i] = t.Name
	}
	return invalidParam(cluster, "1 validation error detected: Value '%s' at 'controlPlaneScalingConfig.tier' failed to satisfy constraint: Member must satisfy enum value set: [%s]", name, strings.Join(names, ", "))
}
