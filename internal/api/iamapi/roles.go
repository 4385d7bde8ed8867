package iamapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
)

func (h *Handler) createRole(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "RoleName", "AssumeRolePolicyDocument"); err != nil {
		return nil, err
	}
	maxDur, err := intParam(c, "MaxSessionDuration")
	if err != nil {
		return nil, err
	}
	in := iam.Role{Name: c.Form.Get("RoleName"), Path: c.Form.Get("Path"), Description: c.Form.Get("Description"),
		AssumeRolePolicy: c.Form.Get("AssumeRolePolicyDocument"), Tags: c.MemberTags("Tags")}
	if maxDur != nil {
		in.MaxSessionDuration = *maxDur
	}
	role, err := h.IAM.CreateRole(r.Context(), in)
	if err != nil {
		return nil, err
	}
	n := roleNode("Role", role, false, nil)
	if len(role.Tags) > 0 {
		n.Kids = append(n.Kids, tagsNode(sortedTags(role.Tags)))
	}
	return []awsproto.Node{n}, nil
}

func (h *Handler) getRole(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "RoleName"); err != nil {
		return nil, err
	}
	role, err := h.IAM.GetRole(r.Context(), c.Form.Get("RoleName"))
	if err != nil {
		return nil, err
	}
	used, err := h.IAM.RoleLastUsed(r.Context(), role)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{roleNode("Role", role, true, used)}, nil
}

func (h *Handler) listRoles(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	pg, prefix, err := pathPageParams(c)
	if err != nil {
		return nil, err
	}
	roles, err := h.IAM.ListRoles(r.Context())
	if err != nil {
		return nil, err
	}
	roles = slices.DeleteFunc(roles, func(ro iam.Role) bool { return !strings.HasPrefix(ro.Path, prefix) })
	roles, more := page(roles, func(ro iam.Role) string { return strings.ToLower(ro.Name) }, pg)
	var items []awsproto.Node
	for i := range roles {
		items = append(items, roleNode("", &roles[i], false, nil))
	}
	return listResult("Roles", items, more), nil
}

func (h *Handler) updateRole(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "RoleName"); err != nil {
		return nil, err
	}
	var up iam.RoleUpdate
	// An empty Description clears it; only a missing one leaves it be.
	if c.Form.Has("Description") {
		d := c.Form.Get("Description")
		up.Description = &d
	}
	maxDur, err := intParam(c, "MaxSessionDuration")
	if err != nil {
		return nil, err
	}
	up.MaxSessionDuration = maxDur
	_, err = h.IAM.UpdateRole(r.Context(), c.Form.Get("RoleName"), up)
	return nil, err
}

func (h *Handler) updateRoleDescription(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "RoleName"); err != nil {
		return nil, err
	}
	if !c.Form.Has("Description") {
		return nil, required(c, "Description")
	}
	d := c.Form.Get("Description")
	role, err := h.IAM.UpdateRole(r.Context(), c.Form.Get("RoleName"), iam.RoleUpdate{Description: &d})
	if err != nil {
		return nil, err
	}
	used, err := h.IAM.RoleLastUsed(r.Context(), role)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{roleNode("Role", role, true, used)}, nil
}

func (h *Handler) updateAssumeRolePolicy(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "RoleName", "PolicyDocument"); err != nil {
		return nil, err
	}
	return nil, h.IAM.UpdateAssumeRolePolicy(r.Context(), c.Form.Get("RoleName"), c.Form.Get("PolicyDocument"))
}

func (h *Handler) deleteRole(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "RoleName"); err != nil {
		return nil, err
	}
	return nil, h.IAM.DeleteRole(r.Context(), c.Form.Get("RoleName"))
}

func (h *Handler) tagRole(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "RoleName"); err != nil {
		return nil, err
	}
	t, err := requiredTags(c)
	if err != nil {
		return nil, err
	}
	return nil, h.IAM.TagRole(r.Context(), c.Form.Get("RoleName"), t)
}

func (h *Handler) untagRole(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "RoleName"); err != nil {
		return nil, err
	}
	keys, err := requiredTagKeys(c)
	if err != nil {
		return nil, err
	}
	return nil, h.IAM.UntagRole(r.Context(), c.Form.Get("RoleName"), keys)
}

func (h *Handler) listRoleTags(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "RoleName"); err != nil {
		return nil, err
	}
	pg, err := pageParams(c)
	if err != nil {
		return nil, err
	}
	role, err := h.IAM.GetRole(r.Context(), c.Form.Get("RoleName"))
	if err != nil {
		return nil, err
	}
	return tagPage(role.Tags, pg), nil
}
