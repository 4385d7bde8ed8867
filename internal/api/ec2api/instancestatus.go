package ec2api

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// statusCheck is what EC2's status checks say of an instance in a state:
// keks's instances never fail one, so a running instance is "ok" and
// Karpenter's impaired/scheduled-event queries find nothing.
func statusCheck(state string) (status, reachability string) {
	switch state {
	case ec2.StateRunning:
		return "ok", "passed"
	case ec2.StatePending:
		return "initializing", "initializing"
	}
	return "not-applicable", ""
}

func statusSummary(name, state string) awsproto.Node {
	status, reach := statusCheck(state)
	var details []awsproto.Node
	if reach != "" {
		details = append(details, awsproto.El("", awsproto.Tx("name", "reachability"), awsproto.Tx("status", reach)))
	}
	return awsproto.El(name, awsproto.Tx("status", status), awsproto.List("details", "item", details))
}

func (h *Handler) describeInstanceStatus(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeInstanceStatus", false)
	if err != nil {
		return nil, err
	}
	pg, err := pageParams(c, "InstanceId", "instancesSet")
	if err != nil {
		return nil, err
	}
	includeAll, err := boolParam(c, "IncludeAllInstances")
	if err != nil {
		return nil, err
	}
	ids := listParam(c, "InstanceId")
	all, err := h.accountInstances(r.Context(), c.Region)
	if err != nil {
		return nil, err
	}
	if err := allFound(ids, all, func(i ec2.Instance) string { return i.ID }, ec2.CodeInvalidInstanceNotFound, "instance ID"); err != nil {
		return nil, err
	}
	var found []ec2.Instance
	for _, in := range all {
		if (len(ids) > 0 && !slices.Contains(ids, in.ID)) || (!includeAll && in.State != ec2.StateRunning) {
			continue
		}
		status, reach := statusCheck(in.State)
		fields := map[string]string{"availability-zone": in.Zone, "instance-state-name": in.State, "instance-state-code": strconv.Itoa(stateCodes[in.State]),
			"instance-status.status": status, "system-status.status": status, "attached-ebs-status.status": status,
			"instance-status.reachability": reach, "system-status.reachability": reach, "attached-ebs-status.reachability": reach,
			"operator.managed": "false"}
		if matches(fs, fields, nil) {
			found = append(found, in)
		}
	}
	found, next := page(found, func(i ec2.Instance) string { return i.ID }, pg)
	out := make([]awsproto.Node, 0, len(found))
	for _, in := range found {
		out = append(out, awsproto.El("", awsproto.Tx("instanceId", in.ID), awsproto.Tx("availabilityZone", in.Zone),
			awsproto.Tx("availabilityZoneId", zoneID(in.Region, in.Zone)), awsproto.El("operator", awsproto.Bool("managed", false)),
			awsproto.El("eventsSet"), stateNode("instanceState", in.State), statusSummary("systemStatus", in.State),
			statusSummary("instanceStatus", in.State), statusSummary("attachedEbsStatus", in.State)))
	}
	return append([]awsproto.Node{awsproto.List("instanceStatusSet", "item", out)}, nextToken(next)...), nil
}
