package cfnapi

import (
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/cloudformation"
)

// The shapes of CloudFormation's answers (botocore's cloudformation
// 2010-05-15 model).

func stackNode(st *cloudformation.Stack) awsproto.Node {
	n := awsproto.El("", awsproto.Tx("StackId", st.ID), awsproto.Tx("StackName", st.Name))
	n.Kids = appendText(n.Kids, "Description", st.Description)
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
	n.Kids = appendText(n.Kids, "StackStatusReason", st.StatusReason)
	n.Kids = append(n.Kids, awsproto.Bool("DisableRollback", st.OnFailure == "DO_NOTHING"), awsproto.El("NotificationARNs"))
	if st.Timeout > 0 {
		n.Kids = append(n.Kids, awsproto.Int("TimeoutInMinutes", st.Timeout))
	}
	if len(st.Capabilities) > 0 {
		n.Kids = append(n.Kids, memberList("Capabilities", st.Capabilities))
	}
	if len(st.Outputs) > 0 {
		var outs []awsproto.Node
		for _, o := range st.Outputs {
			on := awsproto.El("", awsproto.Tx("OutputKey", o.Key), awsproto.Tx("OutputValue", o.Value))
			on.Kids = appendText(on.Kids, "Description", o.Description)
			on.Kids = appendText(on.Kids, "ExportName", o.ExportName)
			outs = append(outs, on)
		}
		n.Kids = append(n.Kids, awsproto.List("Outputs", "member", outs))
	}
	n.Kids = appendText(n.Kids, "RoleARN", st.RoleARN)
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
	n.Kids = appendText(n.Kids, "TemplateDescription", st.Description)
	n.Kids = append(n.Kids, awsproto.Time("CreationTime", st.Created))
	if !st.Updated.IsZero() {
		n.Kids = append(n.Kids, awsproto.Time("LastUpdatedTime", st.Updated))
	}
	if !st.Deleted.IsZero() {
		n.Kids = append(n.Kids, awsproto.Time("DeletionTime", st.Deleted))
	}
	n.Kids = append(n.Kids, awsproto.Tx("StackStatus", st.Status))
	n.Kids = appendText(n.Kids, "StackStatusReason", st.StatusReason)
	n.Kids = append(n.Kids, awsproto.El("DriftInformation", awsproto.Tx("StackDriftStatus", "NOT_CHECKED")))
	return n
}

func eventNode(ev *cloudformation.Event) awsproto.Node {
	n := awsproto.El("", awsproto.Tx("StackId", ev.StackID), awsproto.Tx("EventId", ev.ID), awsproto.Tx("StackName", ev.StackName),
		awsproto.Tx("LogicalResourceId", ev.LogicalID), awsproto.Tx("PhysicalResourceId", ev.PhysicalID), awsproto.Tx("ResourceType", ev.Type),
		awsproto.Tx("Timestamp", ev.Time.UTC().Format("2006-01-02T15:04:05.000Z")), awsproto.Tx("ResourceStatus", ev.Status))
	n.Kids = appendText(n.Kids, "ResourceStatusReason", ev.StatusReason)
	n.Kids = appendText(n.Kids, "ResourceProperties", ev.Properties)
	n.Kids = appendText(n.Kids, "ClientRequestToken", ev.Token)
	return n
}

func resourceNode(st *cloudformation.Stack, r *cloudformation.Resource) awsproto.Node {
	return resourceElement("", stackOf(st), r, "Timestamp")
}

func resourceDetailNode(st *cloudformation.Stack, r *cloudformation.Resource) awsproto.Node {
	return resourceElement("StackResourceDetail", stackOf(st), r, "LastUpdatedTimestamp")
}

func resourceSummaryNode(r *cloudformation.Resource) awsproto.Node {
	return resourceElement("", nil, r, "LastUpdatedTimestamp")
}

// stackOf names the stack a resource belongs to, where the call's shape says it.
func stackOf(st *cloudformation.Stack) []awsproto.Node {
	return []awsproto.Node{awsproto.Tx("StackName", st.Name), awsproto.Tx("StackId", st.ID)}
}

// resourceElement is a stack resource as DescribeStackResource(s) and
// ListStackResources show it: the shapes differ only in the element's name,
// whether the stack is named first, and what the timestamp is called.
func resourceElement(name string, stack []awsproto.Node, r *cloudformation.Resource, stamp string) awsproto.Node {
	n := awsproto.El(name, append(stack, awsproto.Tx("LogicalResourceId", r.LogicalID))...)
	n.Kids = appendText(n.Kids, "PhysicalResourceId", r.PhysicalID)
	n.Kids = append(n.Kids, awsproto.Tx("ResourceType", r.Type), awsproto.Time(stamp, r.Updated), awsproto.Tx("ResourceStatus", r.Status))
	n.Kids = appendText(n.Kids, "ResourceStatusReason", r.StatusReason)
	n.Kids = append(n.Kids, awsproto.El("DriftInformation", awsproto.Tx("StackResourceDriftStatus", "NOT_CHECKED")))
	return n
}

// appendText adds an optional text field: AWS leaves an empty one out.
func appendText(kids []awsproto.Node, name, text string) []awsproto.Node {
	if text == "" {
		return kids
	}
	return append(kids, awsproto.Tx(name, text))
}

// memberList is a list of plain strings.
func memberList(name string, values []string) awsproto.Node {
	var items []awsproto.Node
	for _, v := range values {
		items = append(items, awsproto.Tx("", v))
	}
	return awsproto.List(name, "member", items)
}
