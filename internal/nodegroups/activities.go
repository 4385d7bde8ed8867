package nodegroups

import (
	"context"
	"fmt"
	"time"

	"github.com/keksdev/keks/internal/autoscaling"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
)

// The group's scaling activities, which Auto Scaling's
// DescribeScalingActivities shows (cluster-autoscaler reads a Failed one
// as the group being unable to grow). Recording one never stops a pass:
// a failure is logged.

// failureRepeat is how often the same launch failure is recorded again
// while it lasts: the controller retries every few seconds, and the
// group's history is bounded.
const failureRepeat = time.Minute

type recordedFailure struct {
	message string
	at      time.Time
}

func (c *Controller) recordLaunch(ctx context.Context, ng *eks.Nodegroup, in *ec2.Instance, before int) {
	if c.Activities == nil {
		return
	}
	now := time.Now().UTC()
	_, err := c.Activities.RecordActivity(ctx, autoscaling.Activity{
		Group: ng.ASGName, Region: ng.Region, Status: autoscaling.ActivitySuccessful, Start: now,
		Description: "Launching a new EC2 instance: " + in.ID,
		Cause: fmt.Sprintf("At %s an instance was started in response to a difference between desired and actual capacity, increasing the capacity from %d to %d.",
			now.Format(time.RFC3339), before, before+1),
		Details: fmt.Sprintf(`{"Subnet ID":%q,"Availability Zone":%q}`, in.SubnetID, in.Zone),
	})
	if err != nil {
		c.log.Warn("record launch activity", "nodegroup", ng.Name, "instance", in.ID, "err", err)
	}
	delete(c.failures, ng.ARN)
}

func (c *Controller) recordLaunchFailure(ctx context.Context, ng *eks.Nodegroup, message string) {
	if c.Activities == nil {
		return
	}
	if last, ok := c.failures[ng.ARN]; ok && last.message == message && time.Since(last.at) < failureRepeat {
		return
	}
	now := time.Now().UTC()
	status := message + ". Launching EC2 instance failed."
	_, err := c.Activities.RecordActivity(ctx, autoscaling.Activity{
		Group: ng.ASGName, Region: ng.Region, Status: autoscaling.ActivityFailed, Start: now, Message: status,
		Description: "Launching a new EC2 instance.  Status Reason: " + status,
		Cause: fmt.Sprintf("At %s an instance was started in response to a difference between desired and actual capacity (desired %d).",
			now.Format(time.RFC3339), ng.Scaling.Desired),
	})
	if err != nil {
		c.log.Warn("record failed launch activity", "nodegroup", ng.Name, "err", err)
		return
	}
	if c.failures == nil {
		c.failures = map[string]recordedFailure{}
	}
	c.failures[ng.ARN] = recordedFailure{message: message, at: now}
}

// beginTermination marks m for draining with its activity, saying why the
// group takes it out of service.
func (c *Controller) beginTermination(ctx context.Context, ng *eks.Nodegroup, m *member) (time.Time, error) {
	cause := "an instance was taken out of service in response to a difference between desired and actual capacity."
	switch {
	case ng.DeletionRequested:
		cause = "an instance was taken out of service because its node group is being deleted."
	case m.Tags[tagRelease] != ng.ReleaseVersion:
		cause = fmt.Sprintf("an instance was taken out of service to be replaced by one of release %s (node group update).", ng.ReleaseVersion)
	}
	in, err := c.Activities.BeginTermination(ctx, m.ID, cause)
	if err != nil {
		return time.Time{}, err
	}
	m.Tags, m.draining = in.Tags, true
	since, err := time.Parse(time.RFC3339, in.Tags[tagDraining])
	if err != nil {
		return time.Now(), nil
	}
	return since, nil
}

func (c *Controller) endTermination(ctx context.Context, m *member) {
	if c.Activities == nil {
		return
	}
	if err := c.Activities.EndTermination(ctx, &m.Instance); err != nil {
		c.log.Warn("record termination activity", "instance", m.ID, "err", err)
	}
}

func (c *Controller) forgetActivities(ctx context.Context, ng *eks.Nodegroup) {
	delete(c.failures, ng.ARN)
	if c.Activities == nil {
		return
	}
	if err := c.Activities.ForgetGroup(ctx, ng.Region, ng.ASGName); err != nil {
		c.log.Warn("forget activities", "nodegroup", ng.Name, "err", err)
	}
}
