package cfnapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/cloudformation"
)

// checks describes a CloudFormation call for the front door's authorizer,
// as the Service Authorization Reference lists its actions:
// cloudformation:<Operation> on the stack
// (arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>, or
// stack/<name>/* before it exists) with its tags; the condition keys
// cloudformation:RoleArn, cloudformation:ResourceTypes,
// cloudformation:TemplateUrl and the stack tags a request sets; and
// iam:PassRole on the service role a request hands to CloudFormation.
// Actions on no stack (ListStacks, ValidateTemplate, ListExports...) take
// "*".
func (h *Handler) checks(r *http.Request, c *awsproto.Call) []awsproto.Check {
	op := c.Form.Get("Action")
	if _, ok := actions[op]; !ok {
		return nil
	}
	action := "cloudformation:" + op
	switch op {
	case "ListStacks", "ValidateTemplate", "ListExports":
		return []awsproto.Check{{Action: action, Resource: "*"}}
	case "DescribeStacks", "GetTemplateSummary", "DescribeStackResources":
		if c.Form.Get("StackName") == "" {
			return []awsproto.Check{{Action: action, Resource: "*"}}
		}
	}
	main := h.onStack(r.Context(), c, action)
	switch op {
	case "CreateStack", "UpdateStack":
		ctx := awsproto.TagContext(tagMap(c))
		if ctx == nil {
			ctx = map[string][]string{}
		}
		if role := c.Form.Get("RoleARN"); role != "" {
			ctx["cloudformation:RoleArn"] = []string{role}
		}
		if u := c.Form.Get("TemplateURL"); u != "" {
			ctx["cloudformation:TemplateUrl"] = []string{u}
		}
		if body := c.Form.Get("TemplateBody"); body != "" {
			if t, err := cloudformation.ParseTemplate(body); err == nil {
				ctx["cloudformation:ResourceTypes"] = t.ResourceTypes()
			}
		}
		main.Context = ctx
	case "DeleteStack":
		if role := c.Form.Get("RoleARN"); role != "" {
			main.Context = map[string][]string{"cloudformation:RoleArn": {role}}
		}
	}
	checks := []awsproto.Check{main}
	if role := c.Form.Get("RoleARN"); role != "" && (op == "CreateStack" || op == "UpdateStack" || op == "DeleteStack") {
		checks = append(checks, awsproto.Check{Action: "iam:PassRole", Resource: role,
			Context: map[string][]string{"iam:PassedToService": {"cloudformation.amazonaws.com"}}})
	}
	return checks
}

func tagMap(c *awsproto.Call) map[string]string {
	tg, _ := tags(c)
	if len(tg) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, t := range tg {
		out[t.Key] = t.Value
	}
	return out
}

// onStack is the check of an action on the stack StackName names: its
// ARN with its id and tags when it exists, else stack/<name>/*.
func (h *Handler) onStack(ctx context.Context, c *awsproto.Call, action string) awsproto.Check {
	name := c.Form.Get("StackName")
	if strings.HasPrefix(name, "arn:") {
		parts := strings.Split(name, "/")
		if len(parts) == 3 {
			name = parts[1]
		} else {
			return awsproto.Check{Action: action, Resource: "*"}
		}
	}
	if name == "" || strings.ContainsAny(name, "*?") {
		return awsproto.Check{Action: action, Resource: "*"}
	}
	check := awsproto.Check{Action: action, Resource: fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/*", c.Region, c.Principal.Account, name)}
	if h.CFN == nil {
		return check
	}
	st, _, err := h.CFN.Find(ctx, c.Region, c.Form.Get("StackName"), false)
	if err != nil || st.Account != c.Principal.Account {
		return check
	}
	check.Resource = st.ID
	tags := map[string]string{}
	for _, t := range st.Tags {
		tags[t.Key] = t.Value
	}
	check.ResourceTags = func(context.Context) map[string]string { return tags }
	return check
}
