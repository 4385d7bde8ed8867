// Package cfnapi is CloudFormation's Query-protocol wire layer (API
// version 2010-05-15) over internal/cloudformation: stacks, their events,
// resources, templates and exports.
package cfnapi

import (
	"net/http"
	"strconv"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/cloudformation"
)

const xmlns = "http://cloudformation.amazonaws.com/doc/2010-05-15/"

// Handler serves CloudFormation's actions.
type Handler struct {
	CFN *cloudformation.Service
	// Wake, if set, tells the engine a stack operation began.
	Wake func()
}

// Service returns the front door's entry for CloudFormation.
func (h *Handler) Service() *awsproto.Service {
	return &awsproto.Service{Name: "cloudformation", Query: true, Version: "2010-05-15", Checks: h.checks, Handle: h.handle}
}

type action func(h *Handler, r *http.Request, c *awsproto.Call) ([]awsproto.Node, error)

var actions = map[string]action{
	"CreateStack":                 (*Handler).createStack,
	"UpdateStack":                 (*Handler).updateStack,
	"DeleteStack":                 (*Handler).deleteStack,
	"DescribeStacks":              (*Handler).describeStacks,
	"ListStacks":                  (*Handler).listStacks,
	"DescribeStackEvents":         (*Handler).describeStackEvents,
	"DescribeStackResource":       (*Handler).describeStackResource,
	"DescribeStackResources":      (*Handler).describeStackResources,
	"ListStackResources":          (*Handler).listStackResources,
	"GetTemplate":                 (*Handler).getTemplate,
	"ValidateTemplate":            (*Handler).validateTemplate,
	"GetTemplateSummary":          (*Handler).getTemplateSummary,
	"ListExports":                 (*Handler).listExports,
	"UpdateTerminationProtection": (*Handler).updateTerminationProtection,
}

func (h *Handler) handle(w http.ResponseWriter, r *http.Request, c *awsproto.Call) error {
	name := c.Form.Get("Action")
	act, ok := actions[name]
	if !ok {
		return awserr.Errorf(awserr.CodeInvalidAction, "Could not find operation %s for version 2010-05-15", name)
	}
	result, err := act(h, r, c)
	if err != nil {
		return err
	}
	awsproto.WriteQueryResult(w, c.RequestID, name, xmlns, result...)
	return nil
}

func (h *Handler) wake() {
	if h.Wake != nil {
		h.Wake()
	}
}

func required(c *awsproto.Call, names ...string) error {
	return c.Required(cloudformation.CodeValidation, names...)
}

func boolParam(c *awsproto.Call, name string) (*bool, error) {
	return c.OptionalBool(cloudformation.CodeValidation, name)
}

// boolParams reads optional booleans, in order: the first malformed one is
// the error.
func boolParams(c *awsproto.Call, names ...string) ([]*bool, error) {
	out := make([]*bool, len(names))
	for i, name := range names {
		b, err := boolParam(c, name)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func intParam(c *awsproto.Call, name string) (int, error) {
	v := c.Form.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, awserr.Errorf(cloudformation.CodeValidation, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have value greater than or equal to 1", v, name)
	}
	return n, nil
}

// parameters reads Parameters.member.N.ParameterKey/ParameterValue/UsePreviousValue.
func parameters(c *awsproto.Call) []cloudformation.ParameterInput {
	var out []cloudformation.ParameterInput
	for i := 1; ; i++ {
		p := "Parameters.member." + strconv.Itoa(i) + "."
		k, ok := c.Form[p+"ParameterKey"]
		if !ok {
			return out
		}
		out = append(out, cloudformation.ParameterInput{Key: k[0], Value: c.Form.Get(p + "ParameterValue"), UsePrevious: c.Form.Get(p+"UsePreviousValue") == "true"})
	}
}

// tags reads Tags.member.N.Key/Value in order; given is false when there are none.
func tags(c *awsproto.Call) ([]cloudformation.Tag, bool) {
	var out []cloudformation.Tag
	for i := 1; ; i++ {
		p := "Tags.member." + strconv.Itoa(i) + "."
		k, ok := c.Form[p+"Key"]
		if !ok {
			return out, len(out) > 0 || c.Form.Has("Tags")
		}
		out = append(out, cloudformation.Tag{Key: k[0], Value: c.Form.Get(p + "Value")})
	}
}

func callerOf(c *awsproto.Call) cloudformation.Caller {
	p := c.Principal
	return cloudformation.Caller{ARN: p.ARN, UserID: p.UserID, Account: p.Account, SessionTags: p.SessionTags, SessionPolicy: p.SessionPolicy}
}
