package cfnapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/cloudformation"
)

func (h *Handler) createStack(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "StackName"); err != nil {
		return nil, err
	}
	flags, err := boolParams(c, "DisableRollback", "EnableTerminationProtection")
	if err != nil {
		return nil, err
	}
	disable, protect := flags[0], flags[1]
	timeout, err := intParam(c, "TimeoutInMinutes")
	if err != nil {
		return nil, err
	}
	tg, _ := tags(c)
	in := cloudformation.CreateInput{Region: c.Region, Caller: callerOf(c), Name: c.Form.Get("StackName"), TemplateBody: c.Form.Get("TemplateBody"),
		TemplateURL: c.Form.Get("TemplateURL"), Parameters: parameters(c), Capabilities: c.Members("Capabilities"), Tags: tg,
		OnFailure: c.Form.Get("OnFailure"), DisableRollback: disable, RoleARN: c.Form.Get("RoleARN"), Token: c.Form.Get("ClientRequestToken"),
		Timeout: timeout, Protect: protect != nil && *protect}
	return h.started(h.CFN.CreateStack(r.Context(), in))
}

// started answers a call that set a stack's work going: the reconciler
// wakes to do it, and the caller hears the stack's ID.
func (h *Handler) started(st *cloudformation.Stack, err error) ([]awsproto.Node, error) {
	if err != nil {
		return nil, err
	}
	h.wake()
	return []awsproto.Node{awsproto.Tx("StackId", st.ID)}, nil
}

func (h *Handler) updateStack(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "StackName"); err != nil {
		return nil, err
	}
	flags, err := boolParams(c, "UsePreviousTemplate", "DisableRollback")
	if err != nil {
		return nil, err
	}
	usePrev, disable := flags[0], flags[1]
	tg, given := tags(c)
	return h.started(h.CFN.UpdateStack(r.Context(), cloudformation.UpdateInput{Region: c.Region, Caller: callerOf(c), Name: c.Form.Get("StackName"),
		TemplateBody: c.Form.Get("TemplateBody"), TemplateURL: c.Form.Get("TemplateURL"), UsePreviousTemplate: usePrev != nil && *usePrev,
		Parameters: parameters(c), Capabilities: c.Members("Capabilities"), Tags: tg, TagsGiven: given, RoleARN: c.Form.Get("RoleARN"),
		Token: c.Form.Get("ClientRequestToken"), DisableRollback: disable != nil && *disable}))
}

func (h *Handler) deleteStack(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "StackName"); err != nil {
		return nil, err
	}
	if err := h.CFN.DeleteStack(r.Context(), c.Region, c.Form.Get("StackName"), c.Form.Get("RoleARN"), c.Form.Get("ClientRequestToken"), callerOf(c)); err != nil {
		return nil, err
	}
	h.wake()
	return nil, nil
}

func (h *Handler) updateTerminationProtection(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "StackName", "EnableTerminationProtection"); err != nil {
		return nil, err
	}
	on, err := boolParam(c, "EnableTerminationProtection")
	if err != nil {
		return nil, err
	}
	st, err := h.CFN.SetTerminationProtection(r.Context(), c.Region, c.Form.Get("StackName"), *on)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Tx("StackId", st.ID)}, nil
}

func (h *Handler) describeStacks(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	var stacks []cloudformation.Stack
	if name := c.Form.Get("StackName"); name != "" {
		st, _, err := h.CFN.Find(r.Context(), c.Region, name, false)
		if err != nil {
			return nil, err
		}
		stacks = []cloudformation.Stack{*st}
	} else {
		all, err := h.CFN.Stacks(r.Context(), c.Region, c.Principal.Account)
		if err != nil {
			return nil, err
		}
		stacks = slices.DeleteFunc(all, func(s cloudformation.Stack) bool { return s.Status == cloudformation.DeleteComplete })
	}
	var items []awsproto.Node
	for i := range stacks {
		items = append(items, stackNode(&stacks[i]))
	}
	return []awsproto.Node{awsproto.List("Stacks", "member", items)}, nil
}

func (h *Handler) listStacks(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	filter := c.Members("StackStatusFilter")
	for _, f := range filter {
		if !slices.Contains(cloudformation.AllStatuses, f) {
			return nil, awserr.Errorf(cloudformation.CodeValidation, "1 validation error detected: Value '[%s]' at 'stackStatusFilter' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [%s]]", f, strings.Join(cloudformation.AllStatuses, ", "))
		}
	}
	all, err := h.CFN.Stacks(r.Context(), c.Region, c.Principal.Account)
	if err != nil {
		return nil, err
	}
	var items []awsproto.Node
	for i := range all {
		if len(filter) > 0 && !slices.Contains(filter, all[i].Status) {
			continue
		}
		items = append(items, stackSummaryNode(&all[i]))
	}
	return []awsproto.Node{awsproto.List("StackSummaries", "member", items)}, nil
}

func (h *Handler) describeStackEvents(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	st, err := h.namedStack(r, c)
	if err != nil {
		return nil, err
	}
	evs, err := h.CFN.Events(r.Context(), st)
	if err != nil {
		return nil, err
	}
	var items []awsproto.Node
	for i := range evs {
		items = append(items, eventNode(&evs[i]))
	}
	return []awsproto.Node{awsproto.List("StackEvents", "member", items)}, nil
}

// namedStack is the stack a call's required StackName (a name or an ID) names.
func (h *Handler) namedStack(r *http.Request, c *awsproto.Call) (*cloudformation.Stack, error) {
	if err := required(c, "StackName"); err != nil {
		return nil, err
	}
	st, _, err := h.CFN.Find(r.Context(), c.Region, c.Form.Get("StackName"), false)
	return st, err
}

func (h *Handler) resources(r *http.Request, c *awsproto.Call) (*cloudformation.Stack, []cloudformation.Resource, error) {
	st, err := h.namedStack(r, c)
	if err != nil {
		return nil, nil, err
	}
	rs, err := h.CFN.Resources(r.Context(), st)
	return st, rs, err
}

func (h *Handler) describeStackResource(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "StackName", "LogicalResourceId"); err != nil {
		return nil, err
	}
	st, rs, err := h.resources(r, c)
	if err != nil {
		return nil, err
	}
	id := c.Form.Get("LogicalResourceId")
	i := slices.IndexFunc(rs, func(x cloudformation.Resource) bool { return x.LogicalID == id })
	if i < 0 {
		return nil, awserr.Errorf(cloudformation.CodeValidation, "Resource %s does not exist for stack %s", id, st.Name)
	}
	return []awsproto.Node{resourceDetailNode(st, &rs[i])}, nil
}

func (h *Handler) describeStackResources(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	var st *cloudformation.Stack
	var rs []cloudformation.Resource
	var err error
	switch physical := c.Form.Get("PhysicalResourceId"); {
	case c.Form.Get("StackName") != "" && physical != "":
		return nil, awserr.Errorf(cloudformation.CodeValidation, "Cannot specify both StackName and PhysicalResourceId")
	case c.Form.Get("StackName") != "":
		st, rs, err = h.resources(r, c)
	case physical != "":
		if st, err = h.CFN.StackOfPhysical(r.Context(), c.Region, c.Principal.Account, physical); err == nil {
			rs, err = h.CFN.Resources(r.Context(), st)
		}
	default:
		return nil, awserr.Errorf(cloudformation.CodeValidation, "Either StackName or PhysicalResourceId must be specified.")
	}
	if err != nil {
		return nil, err
	}
	var items []awsproto.Node
	for i := range rs {
		if id := c.Form.Get("LogicalResourceId"); id != "" && rs[i].LogicalID != id {
			continue
		}
		items = append(items, resourceNode(st, &rs[i]))
	}
	return []awsproto.Node{awsproto.List("StackResources", "member", items)}, nil
}

func (h *Handler) listStackResources(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	_, rs, err := h.resources(r, c)
	if err != nil {
		return nil, err
	}
	var items []awsproto.Node
	for i := range rs {
		items = append(items, resourceSummaryNode(&rs[i]))
	}
	return []awsproto.Node{awsproto.List("StackResourceSummaries", "member", items)}, nil
}

func (h *Handler) getTemplate(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	st, err := h.namedStack(r, c)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Tx("TemplateBody", st.Template),
		awsproto.List("StagesAvailable", "member", []awsproto.Node{awsproto.Tx("", "Original"), awsproto.Tx("", "Processed")})}, nil
}

func (h *Handler) validateTemplate(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	sum, err := h.CFN.ValidateTemplate(c.Form.Get("TemplateBody"), c.Form.Get("TemplateURL"))
	if err != nil {
		return nil, err
	}
	return templateNodes(sum, false), nil
}

// templateNodes are what ValidateTemplate and GetTemplateSummary both say
// of a template; a summary adds each parameter's type and allowed values.
func templateNodes(sum *cloudformation.Summary, summary bool) []awsproto.Node {
	var params []awsproto.Node
	for _, p := range sum.Parameters {
		n := awsproto.El("", awsproto.Tx("ParameterKey", p.Key))
		if p.HasDefault {
			n.Kids = append(n.Kids, awsproto.Tx("DefaultValue", p.Default))
		}
		if summary {
			n.Kids = append(n.Kids, awsproto.Tx("ParameterType", p.Type))
		}
		n.Kids = append(n.Kids, awsproto.Bool("NoEcho", p.NoEcho))
		n.Kids = appendText(n.Kids, "Description", p.Description)
		if summary {
			n.Kids = append(n.Kids, awsproto.El("ParameterConstraints", memberList("AllowedValues", p.AllowedValues)))
		}
		params = append(params, n)
	}
	out := []awsproto.Node{awsproto.List("Parameters", "member", params)}
	out = appendText(out, "Description", sum.Description)
	out = append(out, memberList("Capabilities", sum.Capabilities))
	return appendText(out, "CapabilitiesReason", sum.Reason)
}

func (h *Handler) getTemplateSummary(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	body := c.Form.Get("TemplateBody")
	if name := c.Form.Get("StackName"); name != "" {
		st, _, err := h.CFN.Find(r.Context(), c.Region, name, false)
		if err != nil {
			return nil, err
		}
		body = st.Template
	}
	sum, err := h.CFN.ValidateTemplate(body, c.Form.Get("TemplateURL"))
	if err != nil {
		return nil, err
	}
	out := templateNodes(sum, true)
	out = append(out, memberList("ResourceTypes", sum.ResourceTypes), awsproto.Tx("Version", "2010-09-09"))
	return out, nil
}

func (h *Handler) listExports(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	exps, err := h.CFN.Exports(r.Context(), c.Region, c.Principal.Account)
	if err != nil {
		return nil, err
	}
	var items []awsproto.Node
	for _, e := range exps {
		items = append(items, awsproto.El("", awsproto.Tx("ExportingStackId", e.StackID), awsproto.Tx("Name", e.Name), awsproto.Tx("Value", e.Value)))
	}
	return []awsproto.Node{awsproto.List("Exports", "member", items)}, nil
}
