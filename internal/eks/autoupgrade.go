package eks

import (
	"context"
	"fmt"
	"time"

	"github.com/keksdev/keks/internal/kubeversions"
)

// Why a cluster is upgraded without being asked: EKS's two automatic
// upgrades, at the end of standard support for clusters whose upgrade
// policy declines extended support, and at the end of extended support for
// every cluster.
const (
	DueEndOfStandard = "end of standard support"
	DueEndOfExtended = "end of extended support"
)

// AutoUpgradeDue says whether EKS would upgrade cluster c on its own at
// now, and to which version: the next minor, which keks must offer (a
// cluster on keks's newest version stays there, however old). It looks at
// the cluster's version and policy only; AutoUpgrade also checks its state.
func AutoUpgradeDue(c *Cluster, now time.Time) (to kubeversions.Version, why string, due bool) {
	v, ok := kubeversions.Lookup(c.Spec.Version)
	if !ok {
		return kubeversions.Version{}, "", false
	}
	switch {
	case !now.Before(v.EndOfExtended):
		why = DueEndOfExtended
	case !now.Before(v.EndOfStandard) && c.Spec.SupportType == "STANDARD":
		why = DueEndOfStandard
	default:
		return kubeversions.Version{}, "", false
	}
	next, ok := NextMinor(c.Spec.Version)
	if !ok {
		return kubeversions.Version{}, "", false
	}
	return next, why, true
}

// NextMinor is the catalogue's version one minor after v, if keks offers one.
func NextMinor(v string) (kubeversions.Version, bool) {
	for _, k := range kubeversions.All() {
		if kubeversions.IsNextMinor(v, k.Minor) {
			return k, true
		}
	}
	return kubeversions.Version{}, false
}

// AutoUpgrade starts EKS's automatic upgrade of a cluster whose version is
// due (AutoUpgradeDue), through the path UpdateClusterVersion takes: one
// VersionUpdate with the cluster's new spec, in one transaction. It does
// nothing (nil, nil) when nothing is due, or when the cluster is not ACTIVE
// or has an update in progress: the caller retries later. The stored
// cluster is the truth: the transaction requires the generation read here,
// so two callers (two reconciler passes, a restart, a user's own update)
// never both upgrade. Unlike UpdateClusterVersion it does not wait for the
// node groups: EKS moves the control plane only and leaves the nodes'
// skew to the insights.
//
// before, if set, is called once the upgrade is certain to be attempted,
// before it is recorded (the version lifecycle refreshes the insights
// there); a cluster that changed meanwhile makes the record fail with
// ResourceInUseException, and the next pass tries again.
func (s *Service) AutoUpgrade(ctx context.Context, region, name string, before func(ctx context.Context, c *Cluster, to kubeversions.Version)) (*Update, string, error) {
	c, err := s.GetCluster(ctx, region, name)
	if err != nil {
		return nil, "", err
	}
	to, why, due := AutoUpgradeDue(c, s.SupportTime())
	if !due || c.Status.Phase != StatusActive {
		return nil, "", nil
	}
	pending, err := s.PendingUpdates(ctx, c)
	if err != nil {
		return nil, "", fmt.Errorf("read updates of cluster %s: %w", c.Name, err)
	}
	if len(pending) > 0 {
		return nil, "", nil
	}
	if before != nil {
		before(ctx, c, to)
	}
	spec := c.Spec
	spec.Version = to.Minor
	u, err := s.recordUpdate(ctx, c, spec, Update{Type: "VersionUpdate", Params: []UpdateParam{
		{Type: "Version", Value: to.Minor}, {Type: "PlatformVersion", Value: to.PlatformVersion},
	}})
	if err != nil {
		return nil, "", fmt.Errorf("automatic upgrade of cluster %s to %s (%s): %w", c.Name, to.Minor, why, err)
	}
	return u, why, nil
}

// checkStandardSupport refuses the STANDARD upgrade policy on a version
// already past its standard support: EKS lets a cluster leave extended
// support only by upgrading ("You can only disable extended support for
// clusters on standard support").
func checkStandardSupport(cluster, version string, now time.Time) error {
	v, ok := kubeversions.Lookup(version)
	if !ok || now.Before(v.EndOfStandard) {
		return nil
	}
	return invalidParam(cluster, "Kubernetes version %s is past the end of standard support; supportType STANDARD is only allowed for versions in standard support. Upgrade the cluster to a version in standard support first.", v.Minor)
}

// SupportTime is the version lifecycle's now (SupportNow, else Now).
func (s *Service) SupportTime() time.Time {
	if s.SupportNow != nil {
		return s.SupportNow()
	}
	return s.Now()
}
