// Package iamapi is the Query-protocol wire layer of IAM: users, access keys,
// roles and managed policies, over internal/iam.
package iamapi

import (
	"net/http"
	"net/url"
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
	return &awsproto.Service{Name: "iam", Query: true, Handle: h.handle}
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

func tags(c *awsproto.Call) map[string]string {
	out := map[string]string{}
	for i := 1; ; i++ {
		k := c.Form.Get("Tags.member." + strconv.Itoa(i) + ".Key")
		if k == "" {
			break
		}
		out[k] = c.Form.Get("Tags.member." + strconv.Itoa(i) + ".Value")
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

func notTruncated() awsproto.Node { return awsproto.Bool("IsTruncated", false) }

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
	users, err := h.IAM.ListUsers(r.Context())
	if err != nil {
		return nil, err
	}
	var items []awsproto.Node
	for i := range users {
		items = append(items, userNode(&users[i]))
	}
	return []awsproto.Node{awsproto.List("Users", "member", items), notTruncated()}, nil
}

func (h *Handler) deleteUser(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "UserName"); err != nil {
		return nil, err
	}
	return nil, h.IAM.DeleteUser(r.Context(), c.Form.Get("UserName"))
}

func (h *Handler) createAccessKey(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "UserName"); err != nil {
		return nil, err
	}
	k, err := h.IAM.CreateAccessKey(r.Context(), c.Form.Get("UserName"))
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.El("AccessKey", awsproto.Tx("UserName", k.UserName), awsproto.Tx("AccessKeyId", k.ID),
		awsproto.Tx("Status", k.Status), awsproto.Tx("SecretAccessKey", k.Secret), awsproto.Time("CreateDate", k.CreateDate))}, nil
}

func (h *Handler) listAccessKeys(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "UserName"); err != nil {
		return nil, err
	}
	if _, err := h.IAM.GetUser(r.Context(), c.Form.Get("UserName")); err != nil {
		return nil, err
	}
	keys, err := h.IAM.ListAccessKeys(r.Context(), c.Form.Get("UserName"))
	if err != nil {
		return nil, err
	}
	var items []awsproto.Node
	for _, k := range keys {
		items = append(items, awsproto.El("", awsproto.Tx("UserName", k.UserName), awsproto.Tx("AccessKeyId", k.ID), awsproto.Tx("Status", k.Status), awsproto.Time("CreateDate", k.CreateDate)))
	}
	return []awsproto.Node{awsproto.List("AccessKeyMetadata", "member", items), notTruncated()}, nil
}

func (h *Handler) deleteAccessKey(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "UserName", "AccessKeyId"); err != nil {
		return nil, err
	}
	return nil, h.IAM.DeleteAccessKey(r.Context(), c.Form.Get("UserName"), c.Form.Get("AccessKeyId"))
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
	roles, err := h.IAM.ListRoles(r.Context())
	if err != nil {
		return nil, err
	}
	var items []awsproto.Node
	for i := range roles {
		items = append(items, roleNode("", &roles[i]))
	}
	return []awsproto.Node{awsproto.List("Roles", "member", items), notTruncated()}, nil
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
	role, err := h.IAM.GetRole(r.Context(), c.Form.Get("RoleName"))
	if err != nil {
		return nil, err
	}
	var items []awsproto.Node
	for _, arn := range role.Policies {
		p, err := h.IAM.GetPolicy(r.Context(), arn)
		if err != nil {
			continue
		}
		items = append(items, awsproto.El("", awsproto.Tx("PolicyName", p.Name), awsproto.Tx("PolicyArn", p.ARN)))
	}
	return []awsproto.Node{awsproto.List("AttachedPolicies", "member", items), notTruncated()}, nil
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
	var all []iam.Policy
	if scope := c.Form.Get("Scope"); scope == "" || scope == "All" || scope == "AWS" {
		all = append(all, iam.AWSManagedPolicies()...)
	}
	if scope := c.Form.Get("Scope"); scope != "AWS" {
		mine, err := h.IAM.ListPolicies(r.Context())
		if err != nil {
			return nil, err
		}
		all = append(all, mine...)
	}
	var items []awsproto.Node
	for i := range all {
		items = append(items, policyNode("", &all[i], 0))
	}
	return []awsproto.Node{awsproto.List("Policies", "member", items), notTruncated()}, nil
}

func (h *Handler) deletePolicy(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "PolicyArn"); err != nil {
		return nil, err
	}
	return nil, h.IAM.DeletePolicy(r.Context(), c.Form.Get("PolicyArn"))
}
