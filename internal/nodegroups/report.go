package nodegroups

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
)

// report records the group's health issues, finishes its updates and moves
// its status as EKS does: CREATING until the nodes are Ready, UPDATING while
// an update runs, DEGRADED while a health issue stands.
func (c *Controller) report(ctx context.Context, ng *eks.Nodegroup, ms, current, outdated []*member, evictionStuck []string) error {
	var issues []eks.Issue
	hostLacks := false
	if msg := c.launchError[ng.ARN]; msg != "" {
		hostLacks = msg == c.hostLacks()
		issues = append(issues, eks.Issue{Code: "AsgInstanceLaunchFailures", Message: "Could not launch On-Demand Instances. " + msg, ResourceIDs: []string{ng.ASGName}})
	}
	var notJoined []string
	for _, m := range current {
		if !m.ready && m.State != ec2.StateShutting && time.Since(m.LaunchTime) > nodeJoinTimeout {
			notJoined = append(notJoined, m.ID)
		}
	}
	if len(notJoined) > 0 {
		issues = append(issues, eks.Issue{Code: "NodeCreationFailure", Message: "Instances failed to join the kubernetes cluster", ResourceIDs: notJoined})
	}
	if len(evictionStuck) > 0 {
		issues = append(issues, eks.Issue{Code: "PodEvictionFailure", Message: "Reached max retries while trying to evict pods from nodes in node group " + ng.Name, ResourceIDs: evictionStuck})
	}
	ready := 0
	for _, m := range current {
		if m.ready {
			ready++
		}
	}
	draining := 0
	for _, m := range ms {
		if m.live() && m.draining {
			draining++
		}
	}
	converged := len(outdated) == 0 && draining == 0 && len(current) == ng.Scaling.Desired && ready == ng.Scaling.Desired
	if !converged && ng.Status != eks.NodegroupCreateFailed {
		c.busy = true // a failed creation stays failed: no hurry
	}
	ups, err := c.eks.NodegroupUpdates(ctx, ng)
	if err != nil {
		return err
	}
	pending := 0
	for _, u := range ups {
		switch {
		case u.Generation > ng.Generation:
			pending++ // recorded after this pass read the group
		case len(evictionStuck) > 0 && u.Type == "VersionUpdate":
			if err := c.eks.FinishUpdate(ctx, u, &eks.UpdateError{ErrorCode: "PodEvictionFailure", ErrorMessage: "Reached max retries while trying to evict pods from nodes in node group " + ng.Name, ResourceIDs: evictionStuck}); err != nil {
				return err
			}
		case converged:
			if err := c.eks.FinishUpdate(ctx, u, nil); err != nil {
				return err
			}
		default:
			pending++
		}
	}
	status := ng.Status
	switch {
	case ng.Status == eks.NodegroupCreating:
		if converged {
			status = eks.NodegroupActive
			c.log.Info("node group active", "cluster", ng.ClusterName, "nodegroup", ng.Name, "nodes", ready)
		} else if hostLacks || (len(issues) > 0 && time.Since(ng.CreatedAt) > createTimeout) {
			// What the host lacks does not come by waiting.
			status = eks.NodegroupCreateFailed
		}
	case pending > 0:
		status = eks.NodegroupUpdating
	case len(issues) > 0:
		status = eks.NodegroupDegraded
	case ng.Status != eks.NodegroupCreateFailed:
		status = eks.NodegroupActive
	}
	if status == ng.Status && reflect.DeepEqual(issues, ng.Issues) {
		return nil
	}
	_, err = c.eks.SetNodegroup(ctx, ng, func(cur *eks.Nodegroup) error {
		if cur.Generation != ng.Generation {
			return fmt.Errorf("node group %s changed during the pass", ng.Name)
		}
		cur.Status, cur.Issues = status, issues
		return nil
	})
	return err
}
