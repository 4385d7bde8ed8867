package cfnapi

import (
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/cloudformation"
)

// The shapes of CloudFormation's answers (botocore's cloudformation
// 2010-05-15 model).

func stackNode(st *cloudformation.Stack) awsproto.Node {
	n := awsproto.El("", awsproto.Tx("StackId", st.ID), awsproto.Tx("StackName", st.Name))
	if st.Description != "" {
		n.Kids = append(n.Kids, awsproto.Tx("Description", st.Description))
	}
	var params []awsproto.Node
	for _, p := range st.Parameters {
		v := p.Value
		if p.NoEcho {
			v = "****"
		}
		params = append(params, awsproto.El("", awsproto.Tx("ParameterKey", p.Key), awsproto.Tx("ParameterValue", v)))
	}
	if len(params) > 0 {
		n.Kids = append(n.Kids, awsproto.List("Parameters", "member", params))
	}
	n.Kids = append(n.Kids, awsproto.Time("CreationTime", st.Created))
	if !st.Deleted.IsZero() {
		n.Kids = append(n.Kids, awsproto.Time("DeletionTime", st.Deleted))
	}
	if !st.Updated.IsZero() {
		n.Kids = append(n.Kids, awsproto.Time("LastUpdatedTime", st.Updated))
	}
	n.Kids = append(n.Kids, awsproto.El("RollbackConfiguration"), awsproto.Tx("StackStatus", st.Status))
	if st.StatusReason != "" {
		n.Kids = append(n.Kids, awsproto.Tx("StackStatusReason", st.StatusReason))
	}
	n.Kids = append(n.Kids, awsproto.Bool("DisableRollback", st.OnFailure == "DO_NOTHING"), awsproto.El("NotificationARNs"))
	if st.Timeout > 0 {
		n.Kids = append(n.Kids, awsproto.Int("TimeoutInMinutes", st.Timeout))
	}
	if len(st.Capabilities) > 0 {
		var caps []awsproto.Node
		for _, c := range st.Capabilities {
			caps = append(caps, awsproto.Tx("", c))
		}
		n.Kids = append(n.Kids, awsproto.List("Capabilities", "member", caps))
	}
	if len(st.Outputs) > 0 {
		var outs []awsproto.Node
		for _, o := range st.Outputs {
			on := awsproto.El("", awsproto.Tx("OutputKey", o.Key), awsproto.Tx("OutputValue", o.Value))
			if o.Description != "" {
				on.Kids = append(on.Kids, awsproto.Tx("Description", o.Description))
			}
			if o.ExportName != "" {
				on.Kids = append(on.Kids, awsproto.Tx("ExportName", o.ExportName))
			}
			outs = append(outs, on)
		}
		n.Kids = append(n.Kids, awsproto.List("Outputs", "member", outs))
	}
	if st.RoleARN != "" {
		n.Kids = append(n.Kids, awsproto.Tx("RoleARN", st.RoleARN))
	}
	if len(st.Tags) > 0 {
		n.Kids = append(n.Kids, tagsNode(st.Tags))
	}
	n.Kids = append(n.Kids, awsproto.Bool("EnableTerminationProtection", st.TerminationProtection),
		awsproto.El("DriftInformation", awsproto.Tx("StackDriftStatus", "NOT_CHECKED")))
	return n
}

func tagsNode(tags []cloudformation.Tag) awsproto.Node {
	var items []awsproto.Node
	for _, t := range tags {
		items = append(items, awsproto.El("", awsproto.Tx("Key", t.Key), awsproto.Tx("Value", t.Value)))
	}
	return awsproto.List("Tags", "member", items)
}

func stackSummaryNode(st *cloudformation.Stack) awsproto.Node {
	n := awsproto.El("", awsproto.Tx("StackId", st.ID), awsproto.Tx("StackName", st.Name))
	if st.Description != "" {
		n.Kids = append(n.Kids, awsproto.Tx("TemplateDescription", st.Description))
	}
	n.Kids = append(n.Kids, awsproto.Time("CreationTime", st.Created))
	if !st.Updated.IsZero() {
		n.Kids = append(n.Kids, awsproto.Time("LastUpdatedTime", st.Updated))
	}
	if !st.Deleted.IsZero() {
		n.Kids = append(n.Kids, awsproto.Time("DeletionTime", st.Deleted))
	}
	n.Kids = append(n.Kids, awsproto.Tx("StackStatus", st.Status))
	if st.StatusReason != "" {
		n.Kids = append(n.Kids, awsproto.Tx("StackStatusReason", st.StatusReason))
	}
	n.Kids = append(n.Kids, awsproto.El("DriftInformation", awsproto.Tx("StackDriftStatus", "NOT_CHECKED")))
	return n
}

func eventNode(ev *cloudformation.Event) awsproto.Node {
	n := awsproto.El("", awsproto.Tx("StackId", ev.StackID), awsproto.Tx("EventId", ev.ID), awsproto.Tx("StackName", ev.StackName),
		awsproto.Tx("LogicalResourceId", ev.LogicalID), awsproto.Tx("PhysicalResourceId", ev.PhysicalID), awsproto.Tx("ResourceType", ev.Type),
		awsproto.Tx("Timestamp", ev.Time.UTC().Format("2006-01-02T15:04:05.000Z")), awsproto.Tx("ResourceStatus", ev.Status))
	if ev.StatusReason != "" {
		n.Kids = append(n.Kids, awsproto.Tx("ResourceStatusReason", ev.StatusReason))
	}
	if ev.Properties != "" {
		n.Kids = append(n.Kids, awsproto.Tx("ResourceProperties", ev.Properties))
	}
	if ev.Token != "" {
		n.Kids = append(n.Kids, awsproto.Tx("ClientRequestToken", ev.Token))
	}
	return n
}

func resourceNode(st *cloudformation.Stack, r *cloudformation.Resource) awsproto.Node {
	n := awsproto.El("", awsproto.Tx("StackName", st.Name), awsproto.Tx("StackId", st.ID), awsproto.Tx("LogicalResourceId", r.LogicalID))
	if r.PhysicalID != "" {
		n.Kids = append(n.Kids, awsproto.Tx("PhysicalResourceId", r.PhysicalID))
	}
	n.Kids = append(n.Kids, awsproto.Tx("ResourceType", r.Type), awsproto.Time("Timestamp", r.Updated), awsproto.Tx("ResourceStatus", r.Status))
	if r.StatusReason != "" {
		n.Kids = append(n.Kids, awsproto.Tx("ResourceStatusReason", r.StatusReason))
	}
	n.Kids = append(n.Kids, awsproto.El("DriftInformation", awsproto.Tx("StackResourceDriftStatus", "NOT_CHECKED")))
	return n
}

func resourceDetailNode(st *cloudformation.Stack, r *cloudformation.Resource) awsproto.Node {
	n := awsproto.El("StackResourceDetail", awsproto.Tx("StackName", st.Name), awsproto.Tx("StackId", st.ID), awsproto.Tx("LogicalResourceId", r.LogicalID))
	if r.PhysicalID != "" {
		n.Kids = append(n.Kids, awsproto.Tx("PhysicalResourceId", r.PhysicalID))
	}
	n.Kids = append(n.Kids, awsproto.Tx("ResourceType", r.Type), awsproto.Time("LastUpdatedTimestamp", r.Updated), awsproto.Tx("ResourceStatus", r.Status))
	if r.StatusReason != "" {
		n.Kids = append(n.Kids, awsproto.Tx("ResourceStatusReason", r.StatusReason))
	}
	n.Kids = append(n.Kids, awsproto.El("DriftInformation", awsproto.Tx("StackResourceDriftStatus", "NOT_CHECKED")))
	return n
}

func resourceSummaryNode(r *cloudformation.Resource) awsproto.Node {
	n := awsproto.El("", awsproto.Tx("LogicalResourceId", r.LogicalID))
	if r.PhysicalID != "" {
		n.Kids = append(n.Kids, awsproto.Tx("PhysicalResourceId", r.PhysicalID))
	}
	n.Kids = append(n.Kids, awsproto.Tx("ResourceType", r.Type), awsproto.Time("LastUpdatedTimestamp", r.Updated), awsproto.Tx("ResourceStatus", r.Status))
	if r.StatusReason != "" {
		n.Kids = append(n.Kids, awsproto.Tx("ResourceStatusReason", r.StatusReason))
	}
	n.Kids = append(n.Kids, awsproto.El("DriftInformation", awsproto.Tx("StackResourceDriftStatus", "NOT_CHECKED")))
	return n
}
