package iamapi

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"strings"

	"github.com/keksdev/keks/internal/awsproto"
)

// checks describes an IAM call for the front door's authorizer, as the
// Service Authorization Reference lists each action: the user, role, group
// or policy it acts on by ARN — the entity's real ARN, path included, when
// it exists, else arn:aws:iam::<account>:<type>/<name> — with its tags for
// aws:ResourceTag, and the condition keys the request supplies (tags it
// sets or removes, the policy it attaches). List* of users, roles, groups
// and policies take no resource: "*".
func (h *Handler) checks(r *http.Request, c *awsproto.Call) []awsproto.Check {
	op := c.Form.Get("Action")
	describe, ok := operationChecks[op]
	if !ok {
		return nil // not an IAM action keks serves: the handler says so
	}
	return describe(&iamCall{h: h, ctx: r.Context(), c: c}, "iam:"+op)
}

// describer turns a request into the checks of its action.
type describer func(ic *iamCall, action string) []awsproto.Check

// operationChecks describes each action keks serves.
var operationChecks = map[string]describer{
	"CreateUser":               settingTags(settingBoundary(newUser)),
	"GetUser":                  onUserOrCaller,
	"ListUsers":                onAnything,
	"UpdateUser":               updateUser,
	"DeleteUser":               onUser,
	"TagUser":                  settingTags(onUser),
	"UntagUser":                removingTags(onUser),
	"ListUserTags":             onUser,
	"AttachUserPolicy":         namingPolicy(onUser),
	"DetachUserPolicy":         namingPolicy(onUser),
	"ListAttachedUserPolicies": onUser,
	"PutUserPolicy":            onUser,
	"GetUserPolicy":            onUser,
	"DeleteUserPolicy":         onUser,
	"ListUserPolicies":         onUser,
	"ListGroupsForUser":        onUser,

	// Access keys are the user's: the one named, or the caller.
	"CreateAccessKey":      onUserOrCaller,
	"ListAccessKeys":       onUserOrCaller,
	"UpdateAccessKey":      onUserOrCaller,
	"DeleteAccessKey":      onUserOrCaller,
	"GetAccessKeyLastUsed": onKeyOwner,

	"CreateRole":               settingTags(settingBoundary(newRole)),
	"GetRole":                  onRole,
	"ListRoles":                onAnything,
	"UpdateRole":               onRole,
	"UpdateRoleDescription":    onRole,
	"UpdateAssumeRolePolicy":   onRole,
	"DeleteRole":               onRole,
	"TagRole":                  settingTags(onRole),
	"UntagRole":                removingTags(onRole),
	"ListRoleTags":             onRole,
	"AttachRolePolicy":         namingPolicy(onRole),
	"DetachRolePolicy":         namingPolicy(onRole),
	"ListAttachedRolePolicies": onRole,
	"PutRolePolicy":            onRole,
	"GetRolePolicy":            onRole,
	"DeleteRolePolicy":         onRole,
	"ListRolePolicies":         onRole,

	"CreateGroup":               newGroup,
	"GetGroup":                  onGroup,
	"ListGroups":                onAnything,
	"UpdateGroup":               updateGroup,
	"DeleteGroup":               onGroup,
	"AddUserToGroup":            onGroup,
	"RemoveUserFromGroup":       onGroup,
	"AttachGroupPolicy":         namingPolicy(onGroup),
	"DetachGroupPolicy":         namingPolicy(onGroup),
	"ListAttachedGroupPolicies": onGroup,
	"PutGroupPolicy":            onGroup,
	"GetGroupPolicy":            onGroup,
	"DeleteGroupPolicy":         onGroup,
	"ListGroupPolicies":         onGroup,

	"CreatePolicy":            settingTags(newPolicy),
	"GetPolicy":               onPolicy,
	"ListPolicies":            onAnything,
	"DeletePolicy":            onPolicy,
	"CreatePolicyVersion":     onPolicy,
	"GetPolicyVersion":        onPolicy,
	"ListPolicyVersions":      onPolicy,
	"DeletePolicyVersion":     onPolicy,
	"SetDefaultPolicyVersion": onPolicy,
	"ListEntitiesForPolicy":   onPolicy,
	"TagPolicy":               settingTags(onPolicy),
	"UntagPolicy":             removingTags(onPolicy),
	"ListPolicyTags":          onPolicy,

	"CreateOpenIDConnectProvider":             settingTags(newOIDCProvider),
	"GetOpenIDConnectProvider":                onOIDCProvider,
	"ListOpenIDConnectProviders":              onAnything,
	"DeleteOpenIDConnectProvider":             onOIDCProvider,
	"AddClientIDToOpenIDConnectProvider":      onOIDCProvider,
	"RemoveClientIDFromOpenIDConnectProvider": onOIDCProvider,
	"UpdateOpenIDConnectProviderThumbprint":   onOIDCProvider,
	"TagOpenIDConnectProvider":                settingTags(onOIDCProvider),
	"UntagOpenIDConnectProvider":              removingTags(onOIDCProvider),
	"ListOpenIDConnectProviderTags":           onOIDCProvider,
}

// iamCall is one IAM request being described.
type iamCall struct {
	h   *Handler
	ctx context.Context
	c   *awsproto.Call
}

func onAnything(_ *iamCall, action string) []awsproto.Check {
	return []awsproto.Check{{Action: action, Resource: "*"}}
}

func onUser(ic *iamCall, action string) []awsproto.Check {
	return []awsproto.Check{onEntity(action, ic.user(ic.c.Form.Get("UserName")))}
}

// onUserOrCaller acts on UserName or, when it is left out, on the caller,
// as IAM's actions on one's own user allow.
func onUserOrCaller(ic *iamCall, action string) []awsproto.Check {
	name := ic.c.Form.Get("UserName")
	if name == "" {
		name = ic.callerUserName()
	}
	return []awsproto.Check{onEntity(action, ic.user(name))}
}

// onKeyOwner acts on the user whose key AccessKeyId is.
func onKeyOwner(ic *iamCall, action string) []awsproto.Check {
	owner := ""
	if id := ic.c.Form.Get("AccessKeyId"); ic.h.IAM != nil && accessKeyID.MatchString(id) {
		owner, _, _ = ic.h.IAM.AccessKeyLastUsed(ic.ctx, id)
	}
	return []awsproto.Check{onEntity(action, ic.user(owner))}
}

// newUser acts on the user CreateUser makes, at the path it names.
func newUser(ic *iamCall, action string) []awsproto.Check {
	return []awsproto.Check{onEntity(action, ic.newEntity("user", "UserName"))}
}

// updateUser acts on the user and, when it is renamed or moved, on the
// user it becomes, as IAM asks of both.
func updateUser(ic *iamCall, action string) []awsproto.Check {
	old := ic.user(ic.c.Form.Get("UserName"))
	return ic.renaming(action, "user", old, "NewUserName")
}

func onRole(ic *iamCall, action string) []awsproto.Check {
	return []awsproto.Check{onEntity(action, ic.role(ic.c.Form.Get("RoleName")))}
}

func newRole(ic *iamCall, action string) []awsproto.Check {
	return []awsproto.Check{onEntity(action, ic.newEntity("role", "RoleName"))}
}

func onGroup(ic *iamCall, action string) []awsproto.Check {
	return []awsproto.Check{onEntity(action, ic.group(ic.c.Form.Get("GroupName")))}
}

func newGroup(ic *iamCall, action string) []awsproto.Check {
	return []awsproto.Check{onEntity(action, ic.newEntity("group", "GroupName"))}
}

func updateGroup(ic *iamCall, action string) []awsproto.Check {
	old := ic.group(ic.c.Form.Get("GroupName"))
	return ic.renaming(action, "group", old, "NewGroupName")
}

func onPolicy(ic *iamCall, action string) []awsproto.Check {
	return []awsproto.Check{onEntity(action, ic.policy(ic.c.Form.Get("PolicyArn")))}
}

func newPolicy(ic *iamCall, action string) []awsproto.Check {
	return []awsproto.Check{onEntity(action, ic.newEntity("policy", "PolicyName"))}
}

// onOIDCProvider acts on the provider the request names by ARN, with its
// tags when it exists.
func onOIDCProvider(ic *iamCall, action string) []awsproto.Check {
	arn := ic.c.Form.Get("OpenIDConnectProviderArn")
	if !strings.HasPrefix(arn, ic.arnPrefix("oidc-provider/")) {
		return []awsproto.Check{{Action: action, Resource: "*"}}
	}
	e := entity{arn: arn, typ: "oidc-provider"}
	if ic.h.IAM != nil {
		if p, err := ic.h.IAM.GetOIDCProvider(ic.ctx, arn); err == nil {
			e.tags = p.Tags
		}
	}
	return []awsproto.Check{onEntity(action, e)}
}

// newOIDCProvider is the provider CreateOpenIDConnectProvider makes: its
// ARN ends with the issuer URL less https://.
func newOIDCProvider(ic *iamCall, action string) []awsproto.Check {
	u, ok := strings.CutPrefix(ic.c.Form.Get("Url"), "https://")
	if !ok || u == "" {
		return []awsproto.Check{{Action: action, Resource: "*"}}
	}
	return []awsproto.Check{onEntity(action, entity{arn: ic.arnPrefix("oidc-provider/") + u, typ: "oidc-provider"})}
}

// settingTags adds the tags a request sets (Tags.member.N) to its checks.
func settingTags(d describer) describer {
	return func(ic *iamCall, action string) []awsproto.Check {
		return withKeys(d(ic, action), awsproto.TagContext(ic.c.MemberTags("Tags")))
	}
}

// removingTags adds the keys a request removes (TagKeys.member.N) as aws:TagKeys.
func removingTags(d describer) describer {
	return func(ic *iamCall, action string) []awsproto.Check {
		keys := ic.c.Members("TagKeys")
		if len(keys) == 0 {
			return d(ic, action)
		}
		return withKeys(d(ic, action), map[string][]string{"aws:TagKeys": keys})
	}
}

// settingBoundary adds the permissions boundary a create sets as
// iam:PermissionsBoundary.
func settingBoundary(d describer) describer {
	return func(ic *iamCall, action string) []awsproto.Check {
		arn := ic.c.Form.Get("PermissionsBoundary")
		if !policyARN.MatchString(arn) {
			return d(ic, action)
		}
		return withKeys(d(ic, action), map[string][]string{"iam:PermissionsBoundary": {arn}})
	}
}

// namingPolicy adds the policy an attachment names as iam:PolicyARN.
func namingPolicy(d describer) describer {
	return func(ic *iamCall, action string) []awsproto.Check {
		arn := ic.c.Form.Get("PolicyArn")
		if !policyARN.MatchString(arn) {
			return d(ic, action)
		}
		return withKeys(d(ic, action), map[string][]string{"iam:PolicyARN": {arn}})
	}
}

// entity is an IAM user, role, group or policy as a check names it.
type entity struct {
	arn        string            // "*" when the request names none
	typ        string            // user, role, group or policy
	path, name string            // as they are, or would be, in the ARN
	tags       map[string]string // of an existing entity
}

// onEntity is an action on an entity, whose tags conditions may test;
// IAM groups carry none.
func onEntity(action string, e entity) awsproto.Check {
	ch := awsproto.Check{Action: action, Resource: e.arn}
	if e.arn != "*" && e.typ != "group" {
		tags := e.tags
		ch.ResourceTags = func(context.Context) map[string]string { return tags }
	}
	return ch
}

// renaming acts on an entity and on what UpdateUser or UpdateGroup turn it
// into: its new name (newNameParam) at its new path (NewPath), each kept
// as it is when left out.
func (ic *iamCall) renaming(action, typ string, old entity, newNameParam string) []awsproto.Check {
	checks := []awsproto.Check{onEntity(action, old)}
	newName, newPath := ic.c.Form.Get(newNameParam), ic.c.Form.Get("NewPath")
	if newName == "" && newPath == "" {
		return checks
	}
	renamed := entity{arn: "*"}
	if old.arn != "*" {
		renamed = ic.entityAt(typ, cmp.Or(newPath, old.path), cmp.Or(newName, old.name))
	}
	return append(checks, onEntity(action, renamed))
}

// user is a user by name: its real ARN and tags when it exists.
func (ic *iamCall) user(name string) entity {
	if !entityName.MatchString(name) {
		return entity{arn: "*"}
	}
	if ic.h.IAM != nil {
		if u, err := ic.h.IAM.GetUser(ic.ctx, name); err == nil {
			return entity{arn: u.ARN, typ: "user", path: u.Path, name: u.Name, tags: u.Tags}
		}
	}
	return ic.entityAt("user", "/", name)
}

func (ic *iamCall) role(name string) entity {
	if !entityName.MatchString(name) {
		return entity{arn: "*"}
	}
	if ic.h.IAM != nil {
		if r, err := ic.h.IAM.GetRole(ic.ctx, name); err == nil {
			return entity{arn: r.ARN, typ: "role", path: r.Path, name: r.Name, tags: r.Tags}
		}
	}
	return ic.entityAt("role", "/", name)
}

// group is a group by name.
func (ic *iamCall) group(name string) entity {
	if !entityName.MatchString(name) {
		return entity{arn: "*"}
	}
	if ic.h.IAM != nil {
		if g, err := ic.h.IAM.GetGroup(ic.ctx, name); err == nil {
			return entity{arn: g.ARN, typ: "group", path: g.Path, name: g.Name}
		}
	}
	return ic.entityAt("group", "/", name)
}

// policy is a managed policy by the ARN the request gives.
func (ic *iamCall) policy(arn string) entity {
	if !policyARN.MatchString(arn) {
		return entity{arn: "*"}
	}
	if ic.h.IAM != nil {
		if p, err := ic.h.IAM.GetPolicy(ic.ctx, arn); err == nil {
			return entity{arn: p.ARN, typ: "policy", path: p.Path, name: p.Name, tags: p.Tags}
		}
	}
	return entity{arn: arn, typ: "policy"}
}

// newEntity is the entity a Create* makes: the name in nameParam at the
// request's Path (/ when left out).
func (ic *iamCall) newEntity(typ, nameParam string) entity {
	return ic.entityAt(typ, cmp.Or(ic.c.Form.Get("Path"), "/"), ic.c.Form.Get(nameParam))
}

// entityAt formats an entity's ARN; "*" when name or path is not one IAM takes.
func (ic *iamCall) entityAt(typ, path, name string) entity {
	if !entityName.MatchString(name) || len(path) > 512 || !entityPath.MatchString(path) {
		return entity{arn: "*"}
	}
	return entity{arn: ic.arnPrefix(typ) + path + name, typ: typ, path: path, name: name}
}

func (ic *iamCall) arnPrefix(typ string) string {
	return fmt.Sprintf("arn:aws:iam::%s:%s", ic.c.Principal.Account, typ)
}

// callerUserName is the caller's user name, or "" when the caller is not
// an IAM user (a role session, the account's root).
func (ic *iamCall) callerUserName() string {
	arn := ic.c.Principal.ARN
	if !strings.HasPrefix(arn, "arn:aws:iam::") || !strings.Contains(arn, ":user/") {
		return ""
	}
	return arn[strings.LastIndex(arn, "/")+1:]
}

var (
	// entityName is IAM's name pattern for users, roles, groups and policies.
	entityName = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	// entityPath is IAM's path pattern.
	entityPath = regexp.MustCompile(`^/([\x21-\x7E]*/)?$`)
	// policyARN is the form of a managed policy's ARN, a customer's or AWS's.
	policyARN   = regexp.MustCompile(`^arn:aws:iam::(aws|\d{12}):policy/([\x21-\x7E]*/)?[\w+=,.@-]{1,128}$`)
	accessKeyID = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
)

// withKeys adds condition keys to each check.
func withKeys(checks []awsproto.Check, keys map[string][]string) []awsproto.Check {
	if len(keys) == 0 {
		return checks
	}
	for i := range checks {
		if checks[i].Context == nil {
			checks[i].Context = map[string][]string{}
		}
		maps.Copy(checks[i].Context, keys)
	}
	return checks
}
