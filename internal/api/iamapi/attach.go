package iamapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
)

// nameParam is the parameter that names an entity of a kind: UserName,
// RoleName or GroupName.
func nameParam(kind iam.EntityKind) string {
	switch kind {
	case iam.RoleEntity:
		return "RoleName"
	case iam.GroupEntity:
		return "GroupName"
	}
	return "UserName"
}

// attachPolicy serves Attach{User,Role,Group}Policy.
func attachPolicy(kind iam.EntityKind) action {
	return func(h *Handler, r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
		if err := required(c, nameParam(kind), "PolicyArn"); err != nil {
			return nil, err
		}
		return nil, h.IAM.AttachPolicy(r.Context(), kind, c.Form.Get(nameParam(kind)), c.Form.Get("PolicyArn"))
	}
}

// detachPolicy serves Detach{User,Role,Group}Policy.
func detachPolicy(kind iam.EntityKind) action {
	return func(h *Handler, r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
		if err := required(c, nameParam(kind), "PolicyArn"); err != nil {
			return nil, err
		}
		return nil, h.IAM.DetachPolicy(r.Context(), kind, c.Form.Get(nameParam(kind)), c.Form.Get("PolicyArn"))
	}
}

// listAttachedPolicies serves ListAttached{User,Role,Group}Policies.
func listAttachedPolicies(kind iam.EntityKind) action {
	return func(h *Handler, r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
		if err := required(c, nameParam(kind)); err != nil {
			return nil, err
		}
		pg, prefix, err := pathPageParams(c)
		if err != nil {
			return nil, err
		}
		attached, err := h.IAM.AttachedPolicies(r.Context(), kind, c.Form.Get(nameParam(kind)))
		if err != nil {
			return nil, err
		}
		attached = slices.DeleteFunc(attached, func(p iam.Policy) bool { return !strings.HasPrefix(p.Path, prefix) })
		attached, more := page(attached, func(p iam.Policy) string { return p.ARN }, pg)
		var items []awsproto.Node
		for _, p := range attached {
			items = append(items, awsproto.El("", awsproto.Tx("PolicyName", p.Name), awsproto.Tx("PolicyArn", p.ARN)))
		}
		return listResult("AttachedPolicies", items, more), nil
	}
}
