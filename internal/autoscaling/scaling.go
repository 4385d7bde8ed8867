package autoscaling

import (
	"context"
	"errors"
	"fmt"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/store"
)

// maxGroupSize is EKS's bound on a node group's maximum size: the group
// behind a node group cannot go past what UpdateNodegroupConfig allows.
const maxGroupSize = 450

func nodegroupKey(ng *eks.Nodegroup) string {
	return eks.NodegroupPrefix + ng.ClusterUID + "/" + ng.Name
}

func pendingDelete(name string) error {
	return invalid("AutoScalingGroup %s is pending delete.", name)
}

// changeScaling writes a node group's scaling config in one store
// transaction, decided on the record as it stands. It records no node
// group update: EKS records updates for calls to its own API, and a change
// made to the Auto Scaling group (cluster-autoscaler's SetDesiredCapacity)
// shows in DescribeNodegroup's scalingConfig without one. It moves the
// generation on, so that an UpdateNodegroupConfig decided on the old sizes
// fails rather than writing them back.
func (s *Service) changeScaling(ctx context.Context, region, name string, fn func(sc *eks.Scaling) error) (*eks.Nodegroup, error) {
	ng, err := s.nodegroupOf(ctx, region, name)
	if err != nil {
		return nil, err
	}
	key := nodegroupKey(ng)
	var out eks.Nodegroup
	err = s.Store.Transact(ctx, func(t *store.Txn) error {
		var cur eks.Nodegroup
		rev, err := s.Store.Get(ctx, key, &cur)
		if errors.Is(err, store.ErrNotFound) || (err == nil && cur.ASGName != name) {
			return groupNotFound(name)
		} else if err != nil {
			return fmt.Errorf("read node group %s: %w", ng.Name, err)
		}
		if cur.DeletionRequested {
			return pendingDelete(name)
		}
		sc := cur.Scaling
		if err := fn(&sc); err != nil {
			return err
		}
		out = cur
		if sc == cur.Scaling {
			return nil
		}
		out.Scaling, out.Generation, out.ModifiedAt = sc, cur.Generation+1, s.now()
		t.Unchanged(key, rev)
		t.Put(key, &out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// SetDesiredCapacity sets a group's desired size, within its bounds.
func (s *Service) SetDesiredCapacity(ctx context.Context, region, name string, desired int) (*eks.Nodegroup, error) {
	return s.changeScaling(ctx, region, name, func(sc *eks.Scaling) error {
		switch {
		case desired > sc.Max:
			return invalid("New SetDesiredCapacity value %d is above max value %d for the AutoScalingGroup.", desired, sc.Max)
		case desired < sc.Min:
			return invalid("New SetDesiredCapacity value %d is below min value %d for the AutoScalingGroup.", desired, sc.Min)
		}
		sc.Desired = desired
		return nil
	})
}

// SizeChange is UpdateAutoScalingGroup's sizes; nil leaves one as it is.
type SizeChange struct {
	Min, Max, Desired *int
}

// UpdateGroup changes a group's sizes as UpdateAutoScalingGroup does: a new
// minimum above the desired size raises it, a new maximum below lowers it,
// when no desired size is given. The node group's own bounds (EKS's
// UpdateNodegroupConfig rules) apply too.
func (s *Service) UpdateGroup(ctx context.Context, region, name string, in SizeChange) (*eks.Nodegroup, error) {
	return s.changeScaling(ctx, region, name, func(sc *eks.Scaling) error {
		next := *sc
		if in.Min != nil {
			next.Min = *in.Min
		}
		if in.Max != nil {
			next.Max = *in.Max
		}
		if in.Desired != nil {
			next.Desired = *in.Desired
		} else {
			next.Desired = min(max(next.Desired, next.Min), next.Max)
		}
		switch {
		case next.Min < 0:
			return invalid("Minimum capacity %d can't be less than 0", next.Min)
		case next.Max < 1:
			// A node group's maximum is at least 1 (EKS's rule), where a plain group's may be 0.
			return invalid("Maximum capacity %d can't be less than 1", next.Max)
		case next.Max > maxGroupSize:
			return invalid("Maximum capacity %d can't be greater than %d", next.Max, maxGroupSize)
		case next.Min > next.Max:
			return invalid("Max bound, %d, must be greater than or equal to min bound, %d", next.Max, next.Min)
		case next.Desired < next.Min || next.Desired > next.Max:
			return invalid("Desired capacity:%d must be between the specified min size:%d and max size:%d", next.Desired, next.Min, next.Max)
		}
		*sc = next
		return nil
	})
}
