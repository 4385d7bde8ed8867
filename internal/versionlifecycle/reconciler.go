// Package versionlifecycle does what EKS does when a Kubernetes version
// leaves support: a cluster past the end of standard support whose upgrade
// policy is STANDARD, or past the end of extended support whatever its
// policy, is upgraded to the next minor version, one minor at a time and
// the control plane only. The upgrade itself is the EKS model's
// (eks.Service.AutoUpgrade): the same VersionUpdate UpdateClusterVersion
// records, which the control plane then rolls out.
package versionlifecycle

import (
	"context"
	"log/slog"
	"time"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/kubeversions"
	"github.com/keksdev/keks/internal/loop"
)

// Clusters is what the reconciler needs of the EKS model.
type Clusters interface {
	ListAllClusters(ctx context.Context) ([]eks.Cluster, error)
	AutoUpgrade(ctx context.Context, region, name string, before func(context.Context, *eks.Cluster, kubeversions.Version)) (*eks.Update, string, error)
	SupportTime() time.Time
}

// Insights refreshes a cluster's upgrade insights just before its
// automatic upgrade and returns the names of those not PASSING: EKS
// upgrades anyway (the version is out of support), but says what it found.
type Insights interface {
	BeforeUpgrade(ctx context.Context, c *eks.Cluster, to string) (notPassing []string, err error)
}

// IdlePeriod paces the passes: support ends at a day's boundary, so a
// minute late is on time, and a pass that finds nothing due reads the
// cluster list once and stops.
const IdlePeriod = time.Minute

// Reconciler starts the automatic upgrades that are due.
type Reconciler struct {
	*loop.Loop
	eks      Clusters
	insights Insights // nil refreshes none
	log      *slog.Logger
}

// New makes a reconciler; insights may be nil.
func New(clusters Clusters, insights Insights, log *slog.Logger) *Reconciler {
	return &Reconciler{Loop: loop.New(), eks: clusters, insights: insights, log: log}
}

// Run passes every IdlePeriod, or when woken (a cluster changed: an
// upgrade finished, a policy changed), until ctx ends.
func (r *Reconciler) Run(ctx context.Context) error {
	return r.Loop.Run(ctx, IdlePeriod, func(ctx context.Context) { r.Pass(ctx) })
}

// Pass starts every automatic upgrade due now and returns how many it
// started. Idempotent: a cluster already upgrading, or already moved to
// the next version, is not due (AutoUpgrade re-checks in the transaction).
func (r *Reconciler) Pass(ctx context.Context) int {
	all, err := r.eks.ListAllClusters(ctx)
	if err != nil {
		r.log.Warn("list clusters for automatic upgrades", "err", err)
		return 0
	}
	now := r.eks.SupportTime()
	started := 0
	for i := range all {
		c := &all[i]
		to, _, due := eks.AutoUpgradeDue(c, now)
		if !due || c.Status.Phase != eks.StatusActive {
			continue // not due, or not now: a later pass, or a wake, sees it again
		}
		u, why, err := r.eks.AutoUpgrade(ctx, c.Region, c.Name, r.beforeUpgrade)
		switch {
		case err != nil:
			r.log.Warn("automatic upgrade", "cluster", c.Name, "to", to.Minor, "err", err)
		case u != nil:
			started++
			r.log.Info("automatic upgrade started", "cluster", c.Name, "from", c.Spec.Version, "to", to.Minor, "reason", why,
				"supportType", c.Spec.SupportType, "update", u.ID)
		}
	}
	return started
}

// beforeUpgrade refreshes the insights of a cluster about to be upgraded
// and says what they found: EKS upgrades anyway (the version is out of
// support), but not silently.
func (r *Reconciler) beforeUpgrade(ctx context.Context, c *eks.Cluster, to kubeversions.Version) {
	if r.insights == nil {
		return
	}
	notPassing, err := r.insights.BeforeUpgrade(ctx, c, to.Minor)
	switch {
	case err != nil:
		r.log.Warn("refresh insights before an automatic upgrade", "cluster", c.Name, "err", err)
	case len(notPassing) > 0:
		r.log.Warn("upgrade insights are not passing; upgrading anyway, as EKS does when support ends",
			"cluster", c.Name, "from", c.Spec.Version, "to", to.Minor, "insights", notPassing)
	}
}
