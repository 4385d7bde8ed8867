// Package addons converges EKS add-ons: it installs, updates and removes
// the Kubernetes objects of coredns and the cluster-side part of kube-proxy
// (the nodes' part is run by the node controller), and reports each
// add-on's status and health as EKS does.
package addons

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/kubeclient"
	"github.com/keksdev/keks/internal/loop"
)

// Controller converges add-ons.
type Controller struct {
	*loop.Loop
	eks  *eks.Service
	kube *kubeclient.Cache
	// Registry is the image registry host the nodes pull platform images from.
	Registry string
	// AWSEndpoint is keks's AWS API as pods reach it; CA the PEM of the CA
	// its certificate chains to.
	AWSEndpoint, CA string
	// SnapshotCRDs are the files of the snapshot API's CRDs.
	SnapshotCRDs []string
	// KarpenterCRDs are the files of Karpenter's CRDs.
	KarpenterCRDs []string

	log     *slog.Logger
	mu      sync.Mutex
	applied map[string]applied // cluster uid + add-on -> what was last applied
	busy    bool               // an add-on is not yet converged: pass again soon
}

// New makes an add-on controller.
func New(e *eks.Service, kube *kubeclient.Cache, registry string, log *slog.Logger) *Controller {
	return &Controller{Loop: loop.New(), eks: e, kube: kube, Registry: registry, log: log, applied: map[string]applied{}}
}

// Run converges add-ons until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	return c.Loop.RunPaced(ctx, func(ctx context.Context) time.Duration {
		if c.pass(ctx) {
			return 3 * time.Second
		}
		return idlePeriod
	})
}

// idlePeriod paces the passes when every add-on is converged: a status check
// of each add-on's workload, no writes.
const idlePeriod = 15 * time.Second

// pass converges every add-on and reports whether any is still on its way.
func (c *Controller) pass(ctx context.Context) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.busy = false
	clusters, err := c.eks.ListAllClusters(ctx)
	if err != nil {
		c.log.Warn("list clusters", "err", err)
		return true
	}
	c.forgetGone(clusters)
	for _, cl := range clusters {
		if cl.Status.Endpoint == "" || cl.Status.Phase == eks.StatusCreating || cl.Status.Phase == eks.StatusFailed {
			c.busy = c.busy || cl.Status.Phase == eks.StatusCreating
			continue
		}
		if err := c.applyPlatform(ctx, &cl); err != nil && ctx.Err() == nil {
			c.log.Warn("platform objects not applied", "cluster", cl.Name, "err", err)
			c.busy = true
		}
		as, err := c.eks.Addons(ctx, cl.UID)
		if err != nil {
			c.log.Warn("list add-ons", "cluster", cl.Name, "err", err)
			c.busy = true
			continue
		}
		for i := range as {
			if err := c.reconcile(ctx, &cl, &as[i]); err != nil && ctx.Err() == nil {
				c.log.Warn("add-on not converged", "cluster", cl.Name, "addon", as[i].Name, "err", err)
				c.busy = true
			}
		}
	}
	return c.busy
}

func (c *Controller) reconcile(ctx context.Context, cl *eks.Cluster, a *eks.Addon) error {
	cs, err := c.kube.For(cl.UID)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	in := install{cs: cs, cluster: cl, addon: a, registry: c.Registry, awsEndpoint: c.AWSEndpoint, ca: c.CA, snapshotCRDs: c.SnapshotCRDs,
		karpenterCRDs: c.KarpenterCRDs, applied: c.applied}
	if a.DeletionRequested {
		delete(c.applied, appliedKey(cl.UID, a.Name))
		if !a.Preserve {
			if err := in.remove(cctx); err != nil {
				return fmt.Errorf("remove %s: %w", a.Name, err)
			}
		}
		c.log.Info("add-on deleted", "cluster", cl.Name, "addon", a.Name, "preserved", a.Preserve)
		return c.eks.ForgetAddon(ctx, a)
	}
	var issues []eks.Issue
	ready, err := in.apply(cctx)
	if err != nil {
		var ie *issueError
		switch {
		case errors.As(err, &ie):
			issues = append(issues, ie.issue)
		case time.Since(a.ModifiedAt) < settlePeriod:
			return fmt.Errorf("apply %s: %w", a.Name, err) // perhaps passing: try again
		default:
			// Failing for longer than a start takes: the user must see why.
			issues = append(issues, eks.Issue{Code: "InternalFailure", Message: fmt.Sprintf("Applying the add-on's objects failed: %v", err)})
		}
	}
	status := a.Status
	switch {
	case !ready && a.Status == eks.AddonCreating && time.Since(a.CreatedAt) < settlePeriod:
		// Still coming up: EKS keeps CREATING until the add-on's pods run.
	case err != nil && (a.Status == eks.AddonCreating || a.Status == eks.AddonCreateFailed):
		status = eks.AddonCreateFailed
	case !ready:
		status = eks.AddonDegraded
		if len(issues) == 0 {
			issues = append(issues, eks.Issue{Code: "InsufficientNumberOfReplicas", Message: "The add-on is unhealthy because it doesn't have the desired number of replicas."})
		}
	default:
		status = eks.AddonActive
	}
	ups, err := c.eks.AddonUpdates(ctx, a)
	if err != nil {
		return err
	}
	for _, u := range ups {
		if ready && u.Generation <= a.Generation {
			if err := c.eks.FinishUpdate(ctx, u, nil); err != nil {
				return err
			}
		} else if status == eks.AddonActive {
			status = eks.AddonUpdating
		}
	}
	if status != eks.AddonActive {
		c.busy = true
	}
	if status == a.Status && reflect.DeepEqual(issues, a.Issues) {
		return nil
	}
	_, err = c.eks.SetAddon(ctx, a, func(cur *eks.Addon) error {
		if cur.Generation != a.Generation {
			return awserr.Errorf(eks.CodeResourceInUse, "add-on changed during the pass")
		}
		cur.Status, cur.Issues = status, issues
		return nil
	})
	return err
}

// settlePeriod is how long an add-on may take to come up (or an apply may
// keep failing) before its status says something is wrong.
const settlePeriod = 3 * time.Minute

// issueError is a failure the add-on reports as a health issue.
type issueError struct{ issue eks.Issue }

func (e *issueError) Error() string { return e.issue.Code + ": " + e.issue.Message }
