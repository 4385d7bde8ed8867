// Package iamapi is the Query-protocol wire layer of IAM: users, groups,
// roles, managed and inline policies, policy versions, access keys,
// OpenID Connect providers, instance profiles, login profiles and the
// account password policy, over internal/iam.
package iamapi

import (
	"net/http"
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
	return &awsproto.Service{Name: "iam", Query: true, Version: "2010-05-08", Checks: h.checks, Handle: h.handle}
}

type action func(h *Handler, r *http.Request, c *awsproto.Call) ([]awsproto.Node, error)

var actions = map[string]action{
	"CreateUser":               (*Handler).createUser,
	"GetUser":                  (*Handler).getUser,
	"ListUsers":                (*Handler).listUsers,
	"UpdateUser":               (*Handler).updateUser,
	"DeleteUser":               (*Handler).deleteUser,
	"TagUser":                  (*Handler).tagUser,
	"UntagUser":                (*Handler).untagUser,
	"ListUserTags":             (*Handler).listUserTags,
	"AttachUserPolicy":         attachPolicy(iam.UserEntity),
	"DetachUserPolicy":         detachPolicy(iam.UserEntity),
	"ListAttachedUserPolicies": listAttachedPolicies(iam.UserEntity),
	"PutUserPolicy":            putInlinePolicy(iam.UserEntity),
	"GetUserPolicy":            getInlinePolicy(iam.UserEntity),
	"DeleteUserPolicy":         deleteInlinePolicy(iam.UserEntity),
	"ListUserPolicies":         listInlinePolicies(iam.UserEntity),
	"ListGroupsForUser":        (*Handler).listGroupsForUser,

	"CreateAccessKey":      (*Handler).createAccessKey,
	"ListAccessKeys":       (*Handler).listAccessKeys,
	"UpdateAccessKey":      (*Handler).updateAccessKey,
	"DeleteAccessKey":      (*Handler).deleteAccessKey,
	"GetAccessKeyLastUsed": (*Handler).getAccessKeyLastUsed,

	"CreateGroup":               (*Handler).createGroup,
	"GetGroup":                  (*Handler).getGroup,
	"ListGroups":                (*Handler).listGroups,
	"UpdateGroup":               (*Handler).updateGroup,
	"DeleteGroup":               (*Handler).deleteGroup,
	"AddUserToGroup":            (*Handler).addUserToGroup,
	"RemoveUserFromGroup":       (*Handler).removeUserFromGroup,
	"AttachGroupPolicy":         attachPolicy(iam.GroupEntity),
	"DetachGroupPolicy":         detachPolicy(iam.GroupEntity),
	"ListAttachedGroupPolicies": listAttachedPolicies(iam.GroupEntity),
	"PutGroupPolicy":            putInlinePolicy(iam.GroupEntity),
	"GetGroupPolicy":            getInlinePolicy(iam.GroupEntity),
	"DeleteGroupPolicy":         deleteInlinePolicy(iam.GroupEntity),
	"ListGroupPolicies":         listInlinePolicies(iam.GroupEntity),

	"CreateRole":               (*Handler).createRole,
	"GetRole":                  (*Handler).getRole,
	"ListRoles":                (*Handler).listRoles,
	"UpdateRole":               (*Handler).updateRole,
	"UpdateRoleDescription":    (*Handler).updateRoleDescription,
	"UpdateAssumeRolePolicy":   (*Handler).updateAssumeRolePolicy,
	"DeleteRole":               (*Handler).deleteRole,
	"TagRole":                  (*Handler).tagRole,
	"UntagRole":                (*Handler).untagRole,
	"ListRoleTags":             (*Handler).listRoleTags,
	"AttachRolePolicy":         attachPolicy(iam.RoleEntity),
	"DetachRolePolicy":         detachPolicy(iam.RoleEntity),
	"ListAttachedRolePolicies": listAttachedPolicies(iam.RoleEntity),
	"PutRolePolicy":            putInlinePolicy(iam.RoleEntity),
	"GetRolePolicy":            getInlinePolicy(iam.RoleEntity),
	"DeleteRolePolicy":         deleteInlinePolicy(iam.RoleEntity),
	"ListRolePolicies":         listInlinePolicies(iam.RoleEntity),

	"CreatePolicy":            (*Handler).createPolicy,
	"GetPolicy":               (*Handler).getPolicy,
	"ListPolicies":            (*Handler).listPolicies,
	"DeletePolicy":            (*Handler).deletePolicy,
	"ListEntitiesForPolicy":   (*Handler).listEntitiesForPolicy,
	"TagPolicy":               (*Handler).tagPolicy,
	"UntagPolicy":             (*Handler).untagPolicy,
	"ListPolicyTags":          (*Handler).listPolicyTags,
	"CreatePolicyVersion":     (*Handler).createPolicyVersion,
	"GetPolicyVersion":        (*Handler).getPolicyVersion,
	"ListPolicyVersions":      (*Handler).listPolicyVersions,
	"DeletePolicyVersion":     (*Handler).deletePolicyVersion,
	"SetDefaultPolicyVersion": (*Handler).setDefaultPolicyVersion,

	"CreateOpenIDConnectProvider":             (*Handler).createOIDCProvider,
	"GetOpenIDConnectProvider":                (*Handler).getOIDCProvider,
	"ListOpenIDConnectProviders":              (*Handler).listOIDCProviders,
	"DeleteOpenIDConnectProvider":             (*Handler).deleteOIDCProvider,
	"AddClientIDToOpenIDConnectProvider":      (*Handler).addOIDCClientID,
	"RemoveClientIDFromOpenIDConnectProvider": (*Handler).removeOIDCClientID,
	"UpdateOpenIDConnectProviderThumbprint":   (*Handler).updateOIDCThumbprints,
	"TagOpenIDConnectProvider":                (*Handler).tagOIDCProvider,
	"UntagOpenIDConnectProvider":              (*Handler).untagOIDCProvider,
	"ListOpenIDConnectProviderTags":           (*Handler).listOIDCProviderTags,
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
	return c.Required(iam.CodeValidation, names...)
}

func boolParam(c *awsproto.Call, name string) (bool, error) {
	b, err := c.OptionalBool(iam.CodeValidation, name)
	return b != nil && *b, err
}

// intParam reads an optional number; nil when absent.
func intParam(c *awsproto.Call, name string) (*int, error) {
	v := c.Form.Get(name)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return nil, awserr.Errorf(iam.CodeValidation, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must be a number", v, awsproto.MemberName(name))
	}
	return &n, nil
}

// requiredTags reads Tags, which the call must have.
func requiredTags(c *awsproto.Call) (map[string]string, error) {
	t := c.MemberTags("Tags")
	if t == nil {
		return nil, awserr.Errorf(iam.CodeValidation, "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null")
	}
	return t, nil
}

// requiredTagKeys reads TagKeys, which the call must have.
func requiredTagKeys(c *awsproto.Call) ([]string, error) {
	keys := c.Members("TagKeys")
	if len(keys) == 0 {
		return nil, awserr.Errorf(iam.CodeValidation, "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null")
	}
	return keys, nil
}

// userParam is UserName, or the caller's own user name when it is left out
// (and the caller is a user), as IAM's actions on one's own user allow.
func (h *Handler) userParam(r *http.Request, c *awsproto.Call) (string, error) {
	if name := c.Form.Get("UserName"); name != "" {
		return name, nil
	}
	if !strings.HasPrefix(c.Principal.UserID, "AIDA") {
		return "", awserr.Errorf(iam.CodeValidation, "Must specify userName when calling with non-User credentials")
	}
	u, err := h.IAM.UserByARN(r.Context(), c.Principal.ARN)
	if err != nil {
		return "", err
	}
	return u.Name, nil
}
