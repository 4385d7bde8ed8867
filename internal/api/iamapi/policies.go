package iamapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
)

func (h *Handler) createPolicy(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "PolicyName", "PolicyDocument"); err != nil {
		return nil, err
	}
	p, err := h.IAM.CreatePolicy(r.Context(), iam.Policy{Name: c.Form.Get("PolicyName"), Path: c.Form.Get("Path"),
		Document: c.Form.Get("PolicyDocument"), Description: c.Form.Get("Description"), Tags: c.MemberTags("Tags")})
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{policyNode("Policy", p, true)}, nil
}

func (h *Handler) getPolicy(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "PolicyArn"); err != nil {
		return nil, err
	}
	p, err := h.IAM.GetPolicy(r.Context(), c.Form.Get("PolicyArn"))
	if err != nil {
		return nil, err
	}
	ps := []iam.Policy{*p}
	if err := h.IAM.CountAttachments(r.Context(), ps); err != nil {
		return nil, err
	}
	return []awsproto.Node{policyNode("Policy", &ps[0], true)}, nil
}

// Values of ListPolicies' and ListEntitiesForPolicy's PolicyUsageFilter.
const (
	usagePermissions = "PermissionsPolicy"
	usageBoundary    = "PermissionsBoundary"
)

func usageFilter(c *awsproto.Call) (string, error) {
	u := c.Form.Get("PolicyUsageFilter")
	if u != "" && u != usagePermissions && u != usageBoundary {
		return "", awserr.Errorf(iam.CodeValidation, "1 validation error detected: Value '%s' at 'policyUsageFilter' failed to satisfy constraint: Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]", u)
	}
	return u, nil
}

func (h *Handler) listPolicies(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	pg, prefix, err := pathPageParams(c)
	if err != nil {
		return nil, err
	}
	onlyAttached, err := boolParam(c, "OnlyAttached")
	if err != nil {
		return nil, err
	}
	scope := c.Form.Get("Scope")
	switch scope {
	case "":
		scope = iam.ScopeAll
	case iam.ScopeAll, iam.ScopeAWS, iam.ScopeLocal:
	default:
		return nil, awserr.Errorf(iam.CodeValidation, "1 validation error detected: Value '%s' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]", scope)
	}
	usage, err := usageFilter(c)
	if err != nil {
		return nil, err
	}
	all, err := h.IAM.ListManagedPolicies(r.Context(), scope)
	if err != nil {
		return nil, err
	}
	all = slices.DeleteFunc(all, func(p iam.Policy) bool {
		// keks has no permissions boundaries: no policy is used as one.
		return !strings.HasPrefix(p.Path, prefix) || (onlyAttached && p.AttachmentCount == 0) || usage == usageBoundary
	})
	all, more := page(all, func(p iam.Policy) string { return p.ARN }, pg)
	var items []awsproto.Node
	for i := range all {
		items = append(items, policyNode("", &all[i], false))
	}
	return listResult("Policies", items, more), nil
}

func (h *Handler) deletePolicy(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "PolicyArn"); err != nil {
		return nil, err
	}
	return nil, h.IAM.DeletePolicy(r.Context(), c.Form.Get("PolicyArn"))
}

// policyEntity is one row of ListEntitiesForPolicy, of any of its three lists.
type policyEntity struct {
	kind           iam.EntityKind
	name, id, path string
}

func (h *Handler) listEntitiesForPolicy(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "PolicyArn"); err != nil {
		return nil, err
	}
	pg, prefix, err := pathPageParams(c)
	if err != nil {
		return nil, err
	}
	filter := c.Form.Get("EntityFilter")
	if filter != "" && !slices.Contains([]string{"User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"}, filter) {
		return nil, awserr.Errorf(iam.CodeValidation, "1 validation error detected: Value '%s' at 'entityFilter' failed to satisfy constraint: Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]", filter)
	}
	usage, err := usageFilter(c)
	if err != nil {
		return nil, err
	}
	p, users, roles, groups, err := h.IAM.EntitiesForPolicy(r.Context(), c.Form.Get("PolicyArn"))
	if err != nil {
		return nil, err
	}
	var rows []policyEntity
	wanted := func(kind string) bool {
		switch filter {
		case "":
			return true
		case "LocalManagedPolicy":
			return !p.AWSManaged
		case "AWSManagedPolicy":
			return p.AWSManaged
		}
		return filter == kind
	}
	if usage != usageBoundary {
		if wanted("Group") {
			for _, g := range groups {
				rows = append(rows, policyEntity{iam.GroupEntity, g.Name, g.ID, g.Path})
			}
		}
		if wanted("Role") {
			for _, ro := range roles {
				rows = append(rows, policyEntity{iam.RoleEntity, ro.Name, ro.ID, ro.Path})
			}
		}
		if wanted("User") {
			for _, u := range users {
				rows = append(rows, policyEntity{iam.UserEntity, u.Name, u.ID, u.Path})
			}
		}
	}
	rows = slices.DeleteFunc(rows, func(e policyEntity) bool { return !strings.HasPrefix(e.path, prefix) })
	// One Marker pages through all three lists: users, then roles, then groups.
	rows, more := page(rows, func(e policyEntity) string { return string(rune('0'+e.kind)) + strings.ToLower(e.name) }, pg)
	lists := map[iam.EntityKind][]awsproto.Node{}
	for _, e := range rows {
		noun := map[iam.EntityKind]string{iam.UserEntity: "User", iam.RoleEntity: "Role", iam.GroupEntity: "Group"}[e.kind]
		lists[e.kind] = append(lists[e.kind], awsproto.El("", awsproto.Tx(noun+"Name", e.name), awsproto.Tx(noun+"Id", e.id)))
	}
	out := []awsproto.Node{
		awsproto.List("PolicyGroups", "member", lists[iam.GroupEntity]),
		awsproto.List("PolicyUsers", "member", lists[iam.UserEntity]),
		awsproto.List("PolicyRoles", "member", lists[iam.RoleEntity]),
	}
	return append(out, more...), nil
}

func (h *Handler) tagPolicy(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "PolicyArn"); err != nil {
		return nil, err
	}
	t, err := requiredTags(c)
	if err != nil {
		return nil, err
	}
	return nil, h.IAM.TagPolicy(r.Context(), c.Form.Get("PolicyArn"), t)
}

func (h *Handler) untagPolicy(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "PolicyArn"); err != nil {
		return nil, err
	}
	keys, err := requiredTagKeys(c)
	if err != nil {
		return nil, err
	}
	return nil, h.IAM.UntagPolicy(r.Context(), c.Form.Get("PolicyArn"), keys)
}

func (h *Handler) listPolicyTags(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "PolicyArn"); err != nil {
		return nil, err
	}
	pg, err := pageParams(c)
	if err != nil {
		return nil, err
	}
	p, err := h.IAM.GetPolicy(r.Context(), c.Form.Get("PolicyArn"))
	if err != nil {
		return nil, err
	}
	return tagPage(p.Tags, pg), nil
}
