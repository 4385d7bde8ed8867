// Package iamapi is the Query-protocol wire layer of IAM: users, access keys,
// roles and managed policies, over internal/iam.
package iamapi

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
)

const xmlns = "https://iam.amazonaws.com/doc/2010-05-08/"

// Handler serves IAM actions.
type Handler struct {
	IAM *iam.Service
}

// Service returns the front door's entry for IAM.
func (h *Handler) Service() *awsproto.Service {
	return &awsproto.Service{Name: "iam", Query: true, Version: "2010-05-08", Handle: h.handle}
}

type action func(h *Handler, r *http.Request, c *awsproto.Call) ([]awsproto.Node, error)

var actions = map[string]action{
	"CreateUser":               (*Handler).createUser,
	"GetUser":                  (*Handler).getUser,
	"ListUsers":                (*Handler).listUsers,
	"DeleteUser":               (*Handler).deleteUser,
	"CreateAccessKey":          (*Handler).createAccessKey,
	"ListAccessKeys":           (*Handler).listAccessKeys,
	"DeleteAccessKey":          (*Handler).deleteAccessKey,
	"CreateRole":               (*Handler).createRole,
	"GetRole":                  (*Handler).getRole,
	"ListRoles":                (*Handler).listRoles,
	"DeleteRole":               (*Handler).deleteRole,
	"AttachRolePolicy":         (*Handler).attachRolePolicy,
	"DetachRolePolicy":         (*Handler).detachRolePolicy,
	"ListAttachedRolePolicies": (*Handler).listAttachedRolePolicies,
	"AttachUserPolicy":         (*Handler).attachUserPolicy,
	"CreatePolicy":             (*Handler).createPolicy,
	"GetPolicy":                (*Handler).getPolicy,
	"ListPolicies":             (*Handler).listPolicies,
	"DeletePolicy":             (*Handler).deletePolicy,
}

func (h *Handler) handle(w http.ResponseWriter, r *http.Request, c *awsproto.Call) error {
	name := c.Form.Get("Action")
	act, ok := actions[name]
	if !ok {
		return awserr.Errorf(awserr.CodeInvalidAction, "Could not find operation %s for version 2010-05-08", name)
	}
	result, err := act(h, r, c)
	if err != nil {
		return err
	}
	awsproto.WriteQueryResult(w, c.RequestID, name, xmlns, result...)
	return nil
}

func required(c *awsproto.Call, names ...string) error {
	for _, n := range names {
		if c.Form.Get(n) == "" {
			return awserr.Errorf(iam.CodeValidation, "1 validation error detected: Value null at '%s%s' failed to satisfy constraint: Member must not be null", strings.ToLower(n[:1]), n[1:])
		}
	}
	return nil
}

func boolParam(c *awsproto.Call, name string) (bool, error) {
	switch v := c.Form.Get(name); v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, awserr.Errorf(iam.CodeValidation, "1 validation error detected: Value '%s' at '%s%s' failed to satisfy constraint: Member must be a boolean", v, strings.ToLower(name[:1]), name[1:])
	}
}

func tags(c *awsproto.Call) map[string]string {
	out := map[string]string{}
	for i := 1; ; i++ {
		k, ok := c.Form["Tags.member."+strconv.Itoa(i)+".Key"]
		if !ok {
			break
		}
		out[k[0]] = c.Form.Get("Tags.member." + strconv.Itoa(i) + ".Value")
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func userNode(u *iam.User) awsproto.Node {
	return awsproto.El("User", awsproto.Tx("Path", u.Path), awsproto.Tx("UserName", u.Name), awsproto.Tx("UserId", u.ID), awsproto.Tx("Arn", u.ARN), awsproto.Time("CreateDate", u.CreateDate))
}

func roleNode(name string, r *iam.Role) awsproto.Node {
	n := awsproto.El(name, awsproto.Tx("Path", r.Path), awsproto.Tx("RoleName", r.Name), awsproto.Tx("RoleId", r.ID), awsproto.Tx("Arn", r.ARN),
		awsproto.Time("CreateDate", r.CreateDate), awsproto.Tx("AssumeRolePolicyDocument", url.QueryEscape(r.AssumeRolePolicy)),
		awsproto.Int("MaxSessionDuration", r.MaxSessionDuration))
	if r.Description != "" {
		n.Kids = append(n.Kids, awsproto.Tx("Description", r.Description))
	}
	return n
}

func policyNode(name string, p *iam.Policy, attachments int) awsproto.Node {
	return awsproto.El(name, awsproto.Tx("PolicyName", p.Name), awsproto.Tx("PolicyId", p.ID), awsproto.Tx("Arn", p.ARN), awsproto.Tx("Path", p.Path),
		awsproto.Tx("DefaultVersionId", "v1"), awsproto.Int("AttachmentCount", attachments), awsproto.Bool("IsAttachable", true),
		awsproto.Time("CreateDate", p.CreateDate), awsproto.Time("UpdateDate", p.CreateDate))
}

func (h *Handler) createUser(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "UserName"); err != nil {
		return nil, err
	}
	u, err := h.IAM.CreateUser(r.Context(), c.Form.Get("UserName"), c.Form.Get("Path"), tags(c))
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{userNode(u)}, nil
}

func (h *Handler) getUser(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	name := c.Form.Get("UserName")
	if name == "" {
		// Without a name, GetUser describes the caller.
		if c.Principal.ARN == "" || len(c.Principal.UserID) < 4 || c.Principal.UserID[:4] != "AIDA" {
			return nil, awserr.Errorf(iam.CodeValidation, "Must specify userName when calling with non-User credentials")
		}
		users, err := h.IAM.ListUsers(r.Context())
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if u.ARN == c.Principal.ARN {
				name = u.Name
			}
		}
	}
	u, err := h.IAM.GetUser(r.Context(), name)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{userNode(u)}, nil
}

func (h *Handler) listUsers(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	pg, prefix, err := pathPageParams(c)
	if err != nil {
		return nil, err
	}
	users, err := h.IAM.ListUsers(r.Context())
	if err != nil {
		return nil, err
	}
	users = slices.DeleteFunc(users, func(u iam.User) bool { return !strings.HasPrefix(u.Path, prefix) })
	users, more := page(users, func(u iam.User) string { return strings.ToLower(u.Name) }, pg)
	var items []awsproto.Node
	for i := range users {
		items = append(items, userNode(&users[i]))
	}
	return append([]awsproto.Node{awsproto.List("Users", "member", items)}, more...), nil
}

func (h *Handler) deleteUser(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "UserName"); err != nil {
		return nil, err
	}
	return nil, h.IAM.DeleteUser(r.Context(), c.Form.Get("UserName"))
}

// userParam is UserName, or the caller's own user name when it is left out
// (and the caller is a user), as IAM's key actions allow.
func (h *Handler) userParam(r *http.Request, c *awsproto.Call) (string, error) {
	if name := c.Form.Get("UserName"); name != "" {
		return name, nil
	}
	if !strings.HasPrefix(c.Principal.UserID, "AIDA") {
		return "", awserr.Errorf(iam.CodeValidation, "Must specify userName when calling with non-User credentials")
	}
	users, err := h.IAM.ListUsers(r.Context())
	if err != nil {
		return "", err
	}
	for _, u := range users {
		if u.ARN == c.Principal.ARN {
			return u.Name, nil
		}
	}
	return "", awserr.Errorf(iam.CodeNoSuchEntity, "The user with ARN %s cannot be found.", c.Principal.ARN)
}

func (h *Handler) createAccessKey(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	user, err := h.userParam(r, c)
	if err != nil {
		return nil, err
	}
	k, err := h.IAM.CreateAccessKey(r.Context(), user)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.El("AccessKey", awsproto.Tx("UserName", k.UserName), awsproto.Tx("AccessKeyId", k.ID),
		awsproto.Tx("Status", k.Status), awsproto.Tx("SecretAccessKey", k.Secret), awsproto.Time("CreateDate", k.CreateDate))}, nil
}

func (h *Handler) listAccessKeys(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	pg, err := pageParams(c)
	if err != nil {
		return nil, err
	}
	user, err := h.userParam(r, c)
	if err != nil {
		return nil, err
	}
	if _, err := h.IAM.GetUser(r.Context(), user); err != nil {
		return nil, err
	}
	keys, err := h.IAM.ListAccessKeys(r.Context(), user)
	if err != nil {
		return nil, err
	}
	keys, more := page(keys, func(k iam.AccessKey) string { return k.ID }, pg)
	var items []awsproto.Node
	for _, k := range keys {
		items = append(items, awsproto.El("", awsproto.Tx("UserName", k.UserName), awsproto.Tx("AccessKeyId", k.ID), awsproto.Tx("Status", k.Status), awsproto.Time("CreateDate", k.CreateDate)))
	}
	return append([]awsproto.Node{awsproto.List("AccessKeyMetadata", "member", items)}, more...), nil
}

func (h *Handler) deleteAccessKey(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "AccessKeyId"); err != nil {
		return nil, err
	}
	user, err := h.userParam(r, c)
	if err != nil {
		return nil, err
	}
	return nil, h.IAM.DeleteAccessKey(r.Context(), user, c.Form.Get("AccessKeyId"))
}

func (h *Handler) createRole(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "RoleName", "AssumeRolePolicyDocument"); err != nil {
		return nil, err
	}
	maxDur := 0
	if v := c.Form.Get("MaxSessionDuration"); v != "" {
		var err error
		if maxDur, err = strconv.Atoi(v); err != nil {
			return nil, awserr.Errorf(iam.CodeValidation, "MaxSessionDuration must be a number")
		}
	}
	role, err := h.IAM.CreateRole(r.Context(), iam.Role{Name: c.Form.Get("RoleName"), Path: c.Form.Get("Path"), Description: c.Form.Get("Description"),
		AssumeRolePolicy: c.Form.Get("AssumeRolePolicyDocument"), MaxSessionDuration: maxDur, Tags: tags(c)})
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{roleNode("Role", role)}, nil
}

func (h *Handler) getRole(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "RoleName"); err != nil {
		return nil, err
	}
	role, err := h.IAM.GetRole(r.Context(), c.Form.Get("RoleName"))
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{roleNode("Role", role)}, nil
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
		items = append(items, roleNode("", &roles[i]))
	}
	return append([]awsproto.Node{awsproto.List("Roles", "member", items)}, more...), nil
}

func (h *Handler) deleteRole(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "RoleName"); err != nil {
		return nil, err
	}
	return nil, h.IAM.DeleteRole(r.Context(), c.Form.Get("RoleName"))
}

func (h *Handler) attachRolePolicy(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "RoleName", "PolicyArn"); err != nil {
		return nil, err
	}
	return nil, h.IAM.AttachRolePolicy(r.Context(), c.Form.Get("RoleName"), c.Form.Get("PolicyArn"))
}

func (h *Handler) detachRolePolicy(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "RoleName", "PolicyArn"); err != nil {
		return nil, err
	}
	return nil, h.IAM.DetachRolePolicy(r.Context(), c.Form.Get("RoleName"), c.Form.Get("PolicyArn"))
}

func (h *Handler) attachUserPolicy(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "UserName", "PolicyArn"); err != nil {
		return nil, err
	}
	return nil, h.IAM.AttachUserPolicy(r.Context(), c.Form.Get("UserName"), c.Form.Get("PolicyArn"))
}

func (h *Handler) listAttachedRolePolicies(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "RoleName"); err != nil {
		return nil, err
	}
	pg, prefix, err := pathPageParams(c)
	if err != nil {
		return nil, err
	}
	role, err := h.IAM.GetRole(r.Context(), c.Form.Get("RoleName"))
	if err != nil {
		return nil, err
	}
	var attached []iam.Policy
	for _, arn := range role.Policies {
		if p, err := h.IAM.GetPolicy(r.Context(), arn); err == nil && strings.HasPrefix(p.Path, prefix) {
			attached = append(attached, *p)
		}
	}
	attached, more := page(attached, func(p iam.Policy) string { return p.ARN }, pg)
	var items []awsproto.Node
	for _, p := range attached {
		items = append(items, awsproto.El("", awsproto.Tx("PolicyName", p.Name), awsproto.Tx("PolicyArn", p.ARN)))
	}
	return append([]awsproto.Node{awsproto.List("AttachedPolicies", "member", items)}, more...), nil
}

func (h *Handler) createPolicy(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "PolicyName", "PolicyDocument"); err != nil {
		return nil, err
	}
	p, err := h.IAM.CreatePolicy(r.Context(), iam.Policy{Name: c.Form.Get("PolicyName"), Path: c.Form.Get("Path"), Document: c.Form.Get("PolicyDocument"), Description: c.Form.Get("Description")})
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{policyNode("Policy", p, 0)}, nil
}

func (h *Handler) getPolicy(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "PolicyArn"); err != nil {
		return nil, err
	}
	p, err := h.IAM.GetPolicy(r.Context(), c.Form.Get("PolicyArn"))
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{policyNode("Policy", p, 0)}, nil
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
	if scope != "" && scope != "All" && scope != "AWS" && scope != "Local" {
		return nil, awserr.Errorf(iam.CodeValidation, "1 validation error detected: Value '%s' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]", scope)
	}
	if u := c.Form.Get("PolicyUsageFilter"); u != "" && u != "PermissionsPolicy" && u != "PermissionsBoundary" {
		return nil, awserr.Errorf(iam.CodeValidation, "1 validation error detected: Value '%s' at 'policyUsageFilter' failed to satisfy constraint: Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]", u)
	}
	var all []iam.Policy
	if scope != "Local" {
		all = append(all, iam.AWSManagedPolicies()...)
	}
	if scope != "AWS" {
		mine, err := h.IAM.ListPolicies(r.Context())
		if err != nil {
			return nil, err
		}
		all = append(all, mine...)
	}
	attachments, err := h.attachments(r)
	if err != nil {
		return nil, err
	}
	all = slices.DeleteFunc(all, func(p iam.Policy) bool {
		return !strings.HasPrefix(p.Path, prefix) || (onlyAttached && attachments[p.ARN] == 0)
	})
	all, more := page(all, func(p iam.Policy) string { return p.ARN }, pg)
	var items []awsproto.Node
	for i := range all {
		items = append(items, policyNode("", &all[i], attachments[all[i].ARN]))
	}
	return append([]awsproto.Node{awsproto.List("Policies", "member", items)}, more...), nil
}

// attachments counts the roles and users each policy is attached to.
func (h *Handler) attachments(r *http.Request) (map[string]int, error) {
	out := map[string]int{}
	roles, err := h.IAM.ListRoles(r.Context())
	if err != nil {
		return nil, err
	}
	for _, ro := range roles {
		for _, p := range ro.Policies {
			out[p]++
		}
	}
	users, err := h.IAM.ListUsers(r.Context())
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		for _, p := range u.Policies {
			out[p]++
		}
	}
	return out, nil
}

func (h *Handler) deletePolicy(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "PolicyArn"); err != nil {
		return nil, err
	}
	return nil, h.IAM.DeletePolicy(r.Context(), c.Form.Get("PolicyArn"))
}
