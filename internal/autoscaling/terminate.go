package autoscaling

import (
	"context"
	"errors"
	"fmt"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/store"
)

func instanceNotFound(id string) error {
	return invalid("Instance Id not found - No managed instance found for instance ID: %s", id)
}

// TerminateInstance takes one instance out of its group, as
// TerminateInstanceInAutoScalingGroup does: in one transaction it marks
// exactly that instance for the node group controller to drain and
// terminate, records the activity, and, when asked, lowers the desired
// size by one (never below the minimum). Without the decrement the
// controller launches a replacement once the instance is gone. An instance
// already being terminated answers its termination's activity again.
func (s *Service) TerminateInstance(ctx context.Context, region, instanceID string, decrement bool) (*Activity, error) {
	in, err := s.EC2.GetInstance(ctx, instanceID)
	if err != nil || in.Region != region || in.Tags[TagGroupName] == "" || in.State == ec2.StateTerminated {
		return nil, instanceNotFound(instanceID)
	}
	group := in.Tags[TagGroupName]
	ng, err := s.nodegroupOf(ctx, region, group)
	if err != nil {
		return nil, instanceNotFound(instanceID)
	}
	ngKey, inKey := nodegroupKey(ng), ec2.InstancePrefix+instanceID
	var act *Activity
	var again string // the activity of a termination already under way
	err = s.Store.Transact(ctx, func(t *store.Txn) error {
		act, again = nil, ""
		var cur eks.Nodegroup
		ngRev, err := s.Store.Get(ctx, ngKey, &cur)
		if errors.Is(err, store.ErrNotFound) || (err == nil && cur.ASGName != group) {
			return instanceNotFound(instanceID)
		} else if err != nil {
			return fmt.Errorf("read node group %s: %w", ng.Name, err)
		}
		var inst ec2.Instance
		inRev, err := s.Store.Get(ctx, inKey, &inst)
		if errors.Is(err, store.ErrNotFound) || (err == nil && (inst.State == ec2.StateTerminated || inst.Tags[TagGroupName] != group)) {
			return instanceNotFound(instanceID)
		} else if err != nil {
			return fmt.Errorf("read instance %s: %w", instanceID, err)
		}
		if cur.DeletionRequested {
			return pendingDelete(group)
		}
		if inst.Tags[TagDraining] != "" || inst.State == ec2.StateShutting {
			again = inst.Tags[TagActivity]
			return nil
		}
		cause := fmt.Sprintf("instance %s was taken out of service in response to a user request.", instanceID)
		if decrement {
			if cur.Scaling.Desired <= cur.Scaling.Min {
				return invalid("Currently, desiredSize equals minSize (%d). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.", cur.Scaling.Min)
			}
			cause = fmt.Sprintf("instance %s was taken out of service in response to a user request, shrinking the capacity from %d to %d.",
				instanceID, cur.Scaling.Desired, cur.Scaling.Desired-1)
			cur.Scaling.Desired--
			cur.Generation++
			cur.ModifiedAt = s.now()
			t.Unchanged(ngKey, ngRev)
			t.Put(ngKey, &cur)
		}
		if act, err = s.markTerminating(ctx, t, &inst, cause); err != nil {
			return err
		}
		t.Unchanged(inKey, inRev)
		t.Put(inKey, &inst)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if act != nil {
		return act, nil
	}
	if again != "" {
		if as, err := s.Activities(ctx, region, group, []string{again}); err == nil && len(as) == 1 {
			return &as[0], nil
		}
	}
	// Being terminated by the group itself before activities were kept.
	return &Activity{Group: group, Region: region, Description: "Terminating EC2 instance: " + instanceID,
		Cause: "instance " + instanceID + " is already being taken out of service", Start: s.now(), Status: ActivityInProgress}, nil
}
