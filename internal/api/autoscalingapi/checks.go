package autoscalingapi

import (
	"context"
	"net/http"

	"github.com/keksdev/keks/internal/autoscaling"
	"github.com/keksdev/keks/internal/awsproto"
)

// checks describes an Auto Scaling call for the front door's authorizer, as
// the Service Authorization Reference lists its actions:
// autoscaling:<Operation> on the group
// (arn:aws:autoscaling:<region>:<account>:autoScalingGroup:<uuid>:autoScalingGroupName/<name>,
// with * for the uuid of a group that does not exist), with the group's
// tags for aws:ResourceTag (and autoscaling:ResourceTag) conditions and
// the tags a request sets. Describe* calls act on "*". A terminated
// instance is checked on the group it belongs to; an instance of no
// group on "*", so that the handler's not-found answer is what the caller
// learns.
func (h *Handler) checks(r *http.Request, c *awsproto.Call) []awsproto.Check {
	op := c.Form.Get("Action")
	if _, ok := actions[op]; !ok {
		return nil
	}
	action := "autoscaling:" + op
	ctx := r.Context()
	switch op {
	case "SetDesiredCapacity", "UpdateAutoScalingGroup", "CreateAutoScalingGroup", "DeleteAutoScalingGroup":
		return []awsproto.Check{h.onGroup(ctx, c, action, c.Form.Get("AutoScalingGroupName"))}
	case "TerminateInstanceInAutoScalingGroup":
		group := ""
		if h.AS != nil {
			if in, err := h.AS.EC2.GetInstance(ctx, c.Form.Get("InstanceId")); err == nil && in.Region == c.Region {
				group = in.Tags[autoscaling.TagGroupName]
			}
		}
		if group == "" {
			return []awsproto.Check{{Action: action, Resource: "*"}}
		}
		return []awsproto.Check{h.onGroup(ctx, c, action, group)}
	case "CreateOrUpdateTags", "DeleteTags":
		// One check per group the call tags, each with the tags it sets on it.
		var checks []awsproto.Check
		byGroup := map[string]map[string]string{}
		var order []string
		for _, t := range tagChanges(c) {
			if byGroup[t.Group] == nil {
				byGroup[t.Group] = map[string]string{}
				order = append(order, t.Group)
			}
			byGroup[t.Group][t.Key] = t.Value
		}
		for _, g := range order {
			ch := h.onGroup(ctx, c, action, g)
			ch.Context = awsproto.TagContext(byGroup[g])
			if op == "DeleteTags" {
				ch.Context = map[string][]string{"aws:TagKeys": ch.Context["aws:TagKeys"]}
			}
			checks = append(checks, ch)
		}
		if len(checks) == 0 {
			checks = []awsproto.Check{{Action: action, Resource: "*"}}
		}
		return checks
	}
	return []awsproto.Check{{Action: action, Resource: "*"}}
}

// onGroup is action on a group by name.
func (h *Handler) onGroup(ctx context.Context, c *awsproto.Call, action, name string) awsproto.Check {
	arn := autoscaling.ARN(c.Region, c.Principal.Account, "*", name)
	var tags map[string]string
	if h.AS != nil && name != "" {
		if g, err := h.AS.Group(ctx, c.Region, name); err == nil {
			arn = g.ARN
			tags = map[string]string{}
			for _, t := range g.Tags {
				tags[t.Key] = t.Value
			}
		}
	}
	return awsproto.Check{Action: action, Resource: arn, ResourceTags: func(context.Context) map[string]string { return tags }}
}
