package controlplane

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/kubeversions"
	"github.com/keksdev/keks/internal/store"
)

const (
	// createTimeout is how long a new control plane may take to become healthy before it is FAILED.
	createTimeout = 5 * time.Minute
	// unresponsiveAfter is how long a running instance may fail its health check before it is replaced.
	unresponsiveAfter = 15 * time.Second
	// startupGrace is how long a new process has to pass its first health check.
	startupGrace = 90 * time.Second
	// healthInterval paces the checks of a converged control plane: often
	// enough to replace a dead process within seconds, rare enough to cost
	// little when idle.
	healthInterval = 3 * time.Second
	// etcdSettle is how long a started etcd member must run before it counts as healthy.
	etcdSettle = 5 * time.Second
)

func (c *Controller) reconcile(ctx context.Context, region, name string) (time.Duration, error) {
	cl, err := c.eks.GetCluster(ctx, region, name)
	if err != nil {
		var ae *awserr.Error
		if errors.As(err, &ae) && ae.Code == eks.CodeResourceNotFound {
			return 0, nil
		}
		return 0, err
	}
	if cl.DeletionRequested {
		return c.teardown(ctx, cl)
	}
	st, err := c.ensureState(ctx, cl)
	if err != nil {
		return 0, err
	}
	rt, err := c.runtimeOf(st)
	if err != nil {
		return 0, err
	}
	pl := rt.Placement(st)
	v, ok := kubeversions.Lookup(cl.Spec.Version)
	if !ok {
		return 0, c.fail(ctx, cl, "UnsupportedVersion", "Kubernetes version "+cl.Spec.Version+" is not in keks's catalogue")
	}
	ready, progress, err := c.ensureBuilt(ctx, v, func() { c.Enqueue(region, name) })
	if err != nil {
		return 0, c.buildFailed(ctx, cl, err)
	}
	if !ready {
		_, err := c.setStatus(ctx, cl, func(s *eks.Status) { s.Message = progress })
		return 10 * time.Second, err
	}
	sec, err := ensureSecrets(ctx, c.store, cl.UID, cl.Name)
	if err != nil {
		return 0, err
	}
	if err := rt.Prepare(ctx, cl, st); err != nil {
		return 0, err
	}
	if pl = rt.Placement(st); pl.Endpoint() == "" {
		// The runtime gives the endpoint's address (a management cluster's
		// load balancer), which the certificates name: nothing starts before.
		if err := c.saveState(ctx, st); err != nil {
			return 0, err
		}
		_, err := c.setStatus(ctx, cl, func(s *eks.Status) { s.Message = "waiting for the endpoint's address" })
		return time.Second, err
	}
	if cl.Status.OIDCIssuer == "" {
		if cl, err = c.setStatus(ctx, cl, func(s *eks.Status) {
			s.OIDCIssuer = c.issuerBase() + "/id/" + cl.ID
			s.Endpoint = "https://" + pl.Endpoint()
			s.CertificateAuthority = base64PEM(sec.CACert)
		}); err != nil {
			return 0, err
		}
	}
	b, err := c.bundle(pl, cl, sec, rt.Published(st))
	if err != nil {
		return 0, fmt.Errorf("control-plane files of %s: %w", cl.Name, err)
	}
	if err := rt.Publish(ctx, st, b); err != nil {
		return 0, fmt.Errorf("write control-plane files of %s: %w", cl.Name, err)
	}
	members := c.members(pl, cl, v, b)
	applyEtcdQuota(members, st, cl)
	if err := rt.Converge(ctx, cl, st, members); err != nil {
		return 0, err
	}
	rt.Health(ctx, st)
	c.autoscale(ctx, cl, st, rt)
	if err := c.saveState(ctx, st); err != nil {
		return 0, err
	}
	return c.updateClusterStatus(ctx, cl, st, v, rt, members)
}

func (c *Controller) ensureState(ctx context.Context, cl *eks.Cluster) (*State, error) {
	var st State
	if _, err := c.store.Get(ctx, stateKey(cl.UID), &st); err == nil {
		return &st, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	st = State{ClusterUID: cl.UID, ClusterName: cl.Name, Region: cl.Region, Runtime: c.runtime.Name(), CreatedAt: time.Now().UTC()}
	if err := c.runtime.Allocate(ctx, &st); err != nil {
		return nil, err
	}
	return &st, c.store.Put(ctx, stateKey(cl.UID), &st)
}

func (st *State) instance(name string) *Instance {
	for i := range st.Instances {
		if st.Instances[i].Name == name {
			return &st.Instances[i]
		}
	}
	return nil
}

func (st *State) event(instance, format string, args ...any) {
	st.Events = append(st.Events, Event{Time: time.Now().UTC(), Instance: instance, Message: fmt.Sprintf(format, args...)})
	if len(st.Events) > 50 {
		st.Events = st.Events[len(st.Events)-50:]
	}
}

var errSpecChanged = errors.New("cluster spec changed during reconcile")

func (c *Controller) setStatus(ctx context.Context, cl *eks.Cluster, fn func(*eks.Status)) (*eks.Cluster, error) {
	return c.eks.SetStatus(ctx, cl.Region, cl.Name, func(cur *eks.Cluster) error {
		if cur.UID != cl.UID {
			return fmt.Errorf("cluster %s was replaced while being reconciled", cl.Name)
		}
		fn(&cur.Status)
		if cur.DeletionRequested {
			cur.Status.Phase = eks.StatusDeleting
		}
		return nil
	})
}

func (c *Controller) fail(ctx context.Context, cl *eks.Cluster, code, msg string) error {
	c.log.Error("cluster failed", "cluster", cl.Name, "code", code, "reason", msg)
	_, err := c.setStatus(ctx, cl, func(s *eks.Status) {
		s.Phase = eks.StatusFailed
		s.Message = msg
		s.Issues = []eks.Issue{{Code: code, Message: msg, ResourceIDs: []string{cl.Name}}}
	})
	return err
}

// buildFailed fails a new cluster, or fails the update that asked for a version that cannot be built.
func (c *Controller) buildFailed(ctx context.Context, cl *eks.Cluster, err error) error {
	if cl.Status.Phase == eks.StatusCreating {
		return c.fail(ctx, cl, "InternalFailure", err.Error())
	}
	ups, uerr := c.eks.PendingUpdates(ctx, cl)
	if uerr != nil {
		return uerr
	}
	for _, u := range ups {
		if u.Type == "VersionUpdate" {
			if err := c.eks.FinishUpdate(ctx, u, &eks.UpdateError{ErrorCode: "Unknown", ErrorMessage: err.Error(), ResourceIDs: []string{cl.Name}}); err != nil {
				return err
			}
		}
	}
	_, serr := c.eks.SetStatus(ctx, cl.Region, cl.Name, func(cur *eks.Cluster) error {
		if running := cur.Status.RunningVersion; running != "" {
			if v, ok := kubeversions.Lookup(running); ok {
				cur.Spec.Version = v.Minor
			}
		}
		cur.Generation++
		return nil
	})
	return serr
}

// updateClusterStatus turns instance health into the cluster's status and
// finishes updates once the control plane runs their generation.
func (c *Controller) updateClusterStatus(ctx context.Context, cl *eks.Cluster, st *State, v kubeversions.Version, rt Runtime, members []Member) (time.Duration, error) {
	healthy, current, counted := 0, 0, 0
	var sick []string
	for _, inst := range st.Instances {
		if !inst.DrainingSince.IsZero() {
			continue // on its way out: its health no longer matters
		}
		counted++
		if inst.Healthy {
			healthy++
		} else {
			sick = append(sick, inst.Name)
		}
		if inst.Version == v.Patch || keksProcess(inst.Role) {
			current++
		}
	}
	all := healthy == counted && current == counted
	if cl.Status.Phase == eks.StatusCreating && !all && time.Since(firstStart(st, cl.CreatedAt)) > createTimeout {
		return 0, c.fail(ctx, cl, "ClusterUnreachable", fmt.Sprintf("control-plane instances did not become healthy within %s: %s", createTimeout, strings.Join(sick, ", ")))
	}
	if !all {
		_, err := c.setStatus(ctx, cl, func(s *eks.Status) {
			if s.Phase == eks.StatusCreating {
				s.Message = fmt.Sprintf("waiting for %d of %d control-plane instances to become healthy: %s", counted-healthy, counted, strings.Join(sick, ", "))
			}
		})
		return 500 * time.Millisecond, err
	}
	if cl.Status.Phase == eks.StatusCreating && c.defaultServiceAccountMissing(ctx, cl) {
		if time.Since(firstStart(st, cl.CreatedAt)) > createTimeout {
			return 0, c.fail(ctx, cl, "ClusterUnreachable", fmt.Sprintf("the controller manager did not make the default service account within %s", createTimeout))
		}
		_, err := c.setStatus(ctx, cl, func(s *eks.Status) { s.Message = "waiting for the default namespace's service account" })
		return 250 * time.Millisecond, err
	}
	pending, err := c.eks.PendingUpdates(ctx, cl)
	if err != nil {
		return 0, err
	}
	for _, u := range pending {
		if u.Generation <= cl.Generation {
			if applied, err := c.updateApplied(ctx, cl, st, rt, members, u); err != nil || !applied {
				return 500 * time.Millisecond, err
			}
			if err := c.eks.FinishUpdate(ctx, u, nil); err != nil {
				return 0, err
			}
			c.log.Info("update finished", "cluster", cl.Name, "update", u.ID, "type", u.Type)
		}
	}
	if st.ActiveAt.IsZero() {
		st.ActiveAt = time.Now().UTC()
		if err := c.saveState(ctx, st); err != nil {
			return 0, err
		}
		c.log.Info("cluster active", "cluster", cl.Name, "seconds", st.ActiveAt.Sub(cl.CreatedAt).Seconds())
	}
	gen := cl.Generation
	_, err = c.eks.SetStatus(ctx, cl.Region, cl.Name, func(cur *eks.Cluster) error {
		if cur.UID != cl.UID || cur.Generation != gen || cur.DeletionRequested {
			return errSpecChanged // a newer spec arrived meanwhile; the next pass looks at it
		}
		s := &cur.Status
		if s.Phase == eks.StatusCreating || s.Phase == eks.StatusUpdating || s.Phase == eks.StatusFailed {
			s.Phase = eks.StatusActive
		}
		if s.ActiveSince.IsZero() {
			s.ActiveSince = time.Now().UTC()
		}
		s.Message, s.Issues = "", nil
		s.ObservedGeneration = gen
		s.RunningVersion = v.Patch
		s.PlatformVersion = v.PlatformVersion
		return nil
	})
	if errors.Is(err, errSpecChanged) {
		return 100 * time.Millisecond, nil
	}
	return healthInterval, err
}

// issuerBase is where new clusters' issuers live. A cluster keeps the
// issuer it was made with: its tokens and trust policies name it.
func (c *Controller) issuerBase() string {
	if c.cfg.IssuerURL != "" {
		return c.cfg.IssuerURL
	}
	return c.cfg.KeksURL
}

// firstStart is when the control plane's first process started: its
// health is given createTimeout from then, not from the cluster's
// creation, which may have waited minutes for its Kubernetes build.
func firstStart(st *State, created time.Time) time.Time {
	var first time.Time
	for _, inst := range st.Instances {
		if !inst.StartedAt.IsZero() && (first.IsZero() || inst.StartedAt.Before(first)) {
			first = inst.StartedAt
		}
	}
	if first.IsZero() || first.Before(created) {
		return created
	}
	return first
}
