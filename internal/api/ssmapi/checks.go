package ssmapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ssm"
)

// checks describes an SSM call for the front door's authorizer, as the
// Service Authorization Reference lists each action: ssm:<Operation> on
// the parameter (arn:aws:ssm:<region>:<account>:parameter/<name without
// its leading slash>; AWS's public ones have no account:
// arn:aws:ssm:<region>::parameter/aws/service/...), GetParametersByPath
// on its path as a parameter ARN, GetParameters and DeleteParameters once
// per name, DescribeParameters on "*". A name given as an ARN is the
// resource as it is. PutParameter carries its tags for aws:RequestTag.
func (h *Handler) checks(r *http.Request, c *awsproto.Call) []awsproto.Check {
	op, ok := awsproto.TargetOperation(r, targetPrefix)
	if _, known := operations[op]; !ok || !known {
		return nil // not an operation keks serves: the handler says so
	}
	var req checkedRequest
	if json.Unmarshal(c.Body, &req) != nil {
		req = checkedRequest{} // a body that does not decode names nothing: "*"
	}
	action := "ssm:" + op
	resource := func(name string) awsproto.Check {
		ch := awsproto.Check{Action: action, Resource: arnOf(c, name)}
		if ch.Resource != "*" && !ssm.IsPublic(bareName(name)) && !strings.HasPrefix(name, "arn:") {
			sc, n := ssm.Scope{Account: c.Principal.Account, Region: c.Region}, bareName(name)
			ch.ResourceTags = func(ctx context.Context) map[string]string { return h.SSM.Tags(ctx, sc, n) }
		}
		return ch
	}
	switch op {
	case "GetParameters", "DeleteParameters":
		if len(req.Names) == 0 {
			return []awsproto.Check{{Action: action, Resource: "*"}}
		}
		out := make([]awsproto.Check, 0, len(req.Names))
		for _, n := range req.Names {
			out = append(out, resource(n))
		}
		return out
	case "GetParametersByPath":
		return []awsproto.Check{{Action: action, Resource: arnOf(c, strings.TrimSuffix(req.Path, "/"))}}
	case "DescribeParameters":
		return []awsproto.Check{{Action: action, Resource: "*"}}
	case "PutParameter":
		ch := resource(req.Name)
		ch.ResourceTags = nil
		tags := map[string]string{}
		for _, t := range req.Tags {
			tags[t.Key] = t.Value
		}
		ch.Context = awsproto.TagContext(tags)
		return []awsproto.Check{ch}
	}
	return []awsproto.Check{resource(req.Name)}
}

// checkedRequest is what authorization reads of a request.
type checkedRequest struct {
	Name  string   `json:"Name"`
	Names []string `json:"Names"`
	Path  string   `json:"Path"`
	Tags  []tag    `json:"Tags"`
}

// bareName is a name without its ":version" or ":label" selector.
func bareName(name string) string {
	n, _, _ := strings.Cut(name, ":")
	return n
}

// arnOf is the ARN a name (or path) is authorized as: "*" when it names
// nothing; an ARN the request gave, without its selector.
func arnOf(c *awsproto.Call, name string) string {
	switch {
	case name == "":
		return "*"
	case strings.HasPrefix(name, "arn:"):
		if parts := strings.SplitN(name, ":", 7); len(parts) >= 6 {
			return strings.Join(parts[:6], ":")
		}
		return "*"
	}
	return ssm.ARN(c.Region, c.Principal.Account, bareName(name))
}
