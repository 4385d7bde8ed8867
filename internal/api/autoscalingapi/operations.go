package autoscalingapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/autoscaling"
	"github.com/keksdev/keks/internal/awsproto"
)

func (h *Handler) describeAutoScalingGroups(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	max, err := maxRecords(c, 50)
	if err != nil {
		return nil, err
	}
	include, err := boolParam(c, "IncludeInstances")
	if err != nil {
		return nil, err
	}
	names := c.Members("AutoScalingGroupNames")
	fs := filters(c)
	for _, f := range fs {
		if f.name != "tag-key" && f.name != "tag-value" && !strings.HasPrefix(f.name, "tag:") {
			return nil, invalid("Filter name %s is invalid. Valid filter names are tag-key, tag-value and tag:<key>", f.name)
		}
	}
	groups, err := h.AS.Groups(r.Context(), c.Region, names)
	if err != nil {
		return nil, err
	}
	groups = slices.DeleteFunc(groups, func(g autoscaling.Group) bool {
		for _, f := range fs {
			if !g.MatchesFilter(f.name, f.values) {
				return true
			}
		}
		return false
	})
	pg, next, err := autoscaling.PageGroups(groups, max, c.Form.Get("NextToken"))
	if err != nil {
		return nil, err
	}
	var items []awsproto.Node
	for i := range pg {
		items = append(items, groupNode(&pg[i], include == nil || *include))
	}
	out := []awsproto.Node{awsproto.List("AutoScalingGroups", "member", items)}
	return withToken(out, next), nil
}

func withToken(out []awsproto.Node, next string) []awsproto.Node {
	if next != "" {
		out = append(out, awsproto.Tx("NextToken", next))
	}
	return out
}

func (h *Handler) describeAutoScalingInstances(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	max, err := maxRecords(c, 50)
	if err != nil {
		return nil, err
	}
	ids := c.Members("InstanceIds")
	groups, err := h.AS.Groups(r.Context(), c.Region, nil)
	if err != nil {
		return nil, err
	}
	var all []autoscaling.GroupInstance
	for i := range groups {
		for _, in := range groups[i].Instances {
			if len(ids) == 0 || slices.Contains(ids, in.ID) {
				all = append(all, autoscaling.GroupInstance{Group: &groups[i], Instance: in})
			}
		}
	}
	pg, next, err := autoscaling.PageInstances(all, max, c.Form.Get("NextToken"))
	if err != nil {
		return nil, err
	}
	var items []awsproto.Node
	for _, gi := range pg {
		items = append(items, autoScalingInstanceNode(gi))
	}
	return withToken([]awsproto.Node{awsproto.List("AutoScalingInstances", "member", items)}, next), nil
}

func (h *Handler) setDesiredCapacity(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	name, err := groupName(c)
	if err != nil {
		return nil, err
	}
	if _, err := required(c, "DesiredCapacity"); err != nil {
		return nil, err
	}
	desired, err := intParam(c, "DesiredCapacity")
	if err != nil {
		return nil, err
	}
	// HonorCooldown is read and has nothing to honour: keks's groups have no cooldown.
	if _, err := boolParam(c, "HonorCooldown"); err != nil {
		return nil, err
	}
	_, err = h.AS.SetDesiredCapacity(r.Context(), c.Region, name, *desired)
	return nil, err
}

// sizeParams are the parameters of UpdateAutoScalingGroup keks applies;
// the others describe what a node group decides (its launch template,
// subnets, health checks) and are refused.
var sizeParams = []string{"Action", "Version", "AutoScalingGroupName", "MinSize", "MaxSize", "DesiredCapacity"}

func (h *Handler) updateAutoScalingGroup(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	name, err := groupName(c)
	if err != nil {
		return nil, err
	}
	for k := range c.Form {
		if !slices.Contains(sizeParams, k) {
			p, _, _ := strings.Cut(k, ".")
			return nil, invalid("%s cannot be updated: the Auto Scaling group of a managed node group changes its MinSize, MaxSize and DesiredCapacity only; change the rest through the node group (eks update-nodegroup-config, update-nodegroup-version)", p)
		}
	}
	var in autoscaling.SizeChange
	for _, p := range []struct {
		name string
		to   **int
	}{{"MinSize", &in.Min}, {"MaxSize", &in.Max}, {"DesiredCapacity", &in.Desired}} {
		if *p.to, err = intParam(c, p.name); err != nil {
			return nil, err
		}
	}
	_, err = h.AS.UpdateGroup(r.Context(), c.Region, name, in)
	return nil, err
}

func (h *Handler) terminateInstanceInAutoScalingGroup(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, err := required(c, "InstanceId")
	if err != nil {
		return nil, err
	}
	if len(id) > 19 {
		return nil, invalid("1 validation error detected: Value '%s' at 'instanceId' failed to satisfy constraint: Member must have length less than or equal to 19", id)
	}
	if _, err := required(c, "ShouldDecrementDesiredCapacity"); err != nil {
		return nil, err
	}
	dec, err := boolParam(c, "ShouldDecrementDesiredCapacity")
	if err != nil {
		return nil, err
	}
	a, err := h.AS.TerminateInstance(r.Context(), c.Region, id, *dec)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{activityNode("Activity", a)}, nil
}

func (h *Handler) describeScalingActivities(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	max, err := maxRecords(c, 100)
	if err != nil {
		return nil, err
	}
	if _, err := boolParam(c, "IncludeDeletedGroups"); err != nil {
		return nil, err
	}
	ids := c.Members("ActivityIds")
	if len(ids) > 50 {
		return nil, invalid("1 validation error detected: Value at 'activityIds' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	all, err := h.AS.Activities(r.Context(), c.Region, c.Form.Get("AutoScalingGroupName"), ids)
	if err != nil {
		return nil, err
	}
	pg, next, err := autoscaling.PageActivities(all, max, c.Form.Get("NextToken"))
	if err != nil {
		return nil, err
	}
	var items []awsproto.Node
	for i := range pg {
		items = append(items, activityNode("", &pg[i]))
	}
	return withToken([]awsproto.Node{awsproto.List("Activities", "member", items)}, next), nil
}

// describeLaunchConfigurations answers no configurations: node groups
// launch from launch templates.
func (h *Handler) describeLaunchConfigurations(_ *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if _, err := maxRecords(c, 50); err != nil {
		return nil, err
	}
	if tok := c.Form.Get("NextToken"); tok != "" {
		return nil, invalidToken(tok)
	}
	return []awsproto.Node{awsproto.El("LaunchConfigurations")}, nil
}

func invalidToken(tok string) error {
	return awsErr(autoscaling.CodeInvalidNextToken, "The token '%s' is invalid.", tok)
}

func (h *Handler) createOrUpdateTags(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if _, err := boolParam(c, "Tags.member.1.PropagateAtLaunch"); err != nil {
		return nil, err
	}
	return nil, h.AS.CreateOrUpdateTags(r.Context(), c.Region, tagChanges(c))
}

func (h *Handler) deleteTags(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	return nil, h.AS.DeleteTags(r.Context(), c.Region, tagChanges(c))
}

func (h *Handler) describeTags(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	max, err := maxRecords(c, 50)
	if err != nil {
		return nil, err
	}
	fs := filters(c)
	for _, f := range fs {
		switch f.name {
		case "auto-scaling-group", "key", "value", "propagate-at-launch":
		default:
			return nil, invalid("Filter name %s is invalid. Valid filter names are auto-scaling-group, key, value and propagate-at-launch", f.name)
		}
	}
	tags, err := h.AS.Tags(r.Context(), c.Region, func(t autoscaling.Tag) bool {
		for _, f := range fs {
			var have string
			switch f.name {
			case "auto-scaling-group":
				have = t.Group
			case "key":
				have = t.Key
			case "value":
				have = t.Value
			case "propagate-at-launch":
				have = boolText(t.Propagate)
			}
			if !slices.Contains(f.values, have) {
				return false
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	pg, next, err := autoscaling.PageTags(tags, max, c.Form.Get("NextToken"))
	if err != nil {
		return nil, err
	}
	var items []awsproto.Node
	for _, t := range pg {
		items = append(items, tagNode(t))
	}
	return withToken([]awsproto.Node{awsproto.List("Tags", "member", items)}, next), nil
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
