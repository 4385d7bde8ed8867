package iamapi

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
)

// Instance profiles register themselves here so that the shared maps of
// handler.go and checks.go stay as they are.
func init() {
	for name, act := range map[string]action{
		"CreateInstanceProfile":         (*Handler).createInstanceProfile,
		"GetInstanceProfile":            (*Handler).getInstanceProfile,
		"DeleteInstanceProfile":         (*Handler).deleteInstanceProfile,
		"AddRoleToInstanceProfile":      (*Handler).addRoleToInstanceProfile,
		"RemoveRoleFromInstanceProfile": (*Handler).removeRoleFromInstanceProfile,
		"ListInstanceProfiles":          (*Handler).listInstanceProfiles,
		"ListInstanceProfilesForRole":   (*Handler).listInstanceProfilesForRole,
		"TagInstanceProfile":            (*Handler).tagInstanceProfile,
		"UntagInstanceProfile":          (*Handler).untagInstanceProfile,
		"ListInstanceProfileTags":       (*Handler).listInstanceProfileTags,
	} {
		actions[name] = act
	}
	// As the Service Authorization Reference lists them: each acts on the
	// instance-profile; adding a role also passes it (iam:PassRole), as
	// IAM's documentation of AddRoleToInstanceProfile requires.
	for name, d := range map[string]describer{
		"CreateInstanceProfile":         settingTags(newInstanceProfile),
		"GetInstanceProfile":            onInstanceProfile,
		"DeleteInstanceProfile":         onInstanceProfile,
		"AddRoleToInstanceProfile":      passingRole(onInstanceProfile),
		"RemoveRoleFromInstanceProfile": onInstanceProfile,
		"ListInstanceProfiles":          onAnything,
		"ListInstanceProfilesForRole":   onRole,
		"TagInstanceProfile":            settingTags(onInstanceProfile),
		"UntagInstanceProfile":          removingTags(onInstanceProfile),
		"ListInstanceProfileTags":       onInstanceProfile,
	} {
		operationChecks[name] = d
	}
}

func newInstanceProfile(ic *iamCall, action string) []awsproto.Check {
	return []awsproto.Check{onEntity(action, ic.newEntity("instance-profile", "InstanceProfileName"))}
}

func onInstanceProfile(ic *iamCall, action string) []awsproto.Check {
	return []awsproto.Check{onEntity(action, ic.instanceProfile(ic.c.Form.Get("InstanceProfileName")))}
}

// passingRole adds iam:PassRole on the role the request names.
func passingRole(d describer) describer {
	return func(ic *iamCall, action string) []awsproto.Check {
		role := ic.role(ic.c.Form.Get("RoleName"))
		return append(d(ic, action), awsproto.Check{Action: "iam:PassRole", Resource: role.arn,
			Context: map[string][]string{"iam:PassedToService": {"ec2.amazonaws.com"}}})
	}
}

// instanceProfile is a profile by name: its real ARN and tags when it exists.
func (ic *iamCall) instanceProfile(name string) entity {
	if !entityName.MatchString(name) {
		return entity{arn: "*"}
	}
	if ic.h.IAM != nil {
		if p, err := ic.h.IAM.GetInstanceProfile(ic.ctx, name); err == nil {
			return entity{arn: p.ARN, typ: "instance-profile", path: p.Path, name: p.Name, tags: p.Tags}
		}
	}
	return ic.entityAt("instance-profile", "/", name)
}

// instanceProfileNode is a profile with its roles; withTags adds its tags
// (GetInstanceProfile and CreateInstanceProfile show them, lists do not).
func (h *Handler) instanceProfileNode(ctx context.Context, name string, p *iam.InstanceProfile, withTags bool) awsproto.Node {
	var roles []awsproto.Node
	for _, rn := range p.Roles {
		if r, err := h.IAM.GetRole(ctx, rn); err == nil {
			roles = append(roles, roleNode("", r, false, nil))
		}
	}
	n := awsproto.El(name, awsproto.Tx("Path", p.Path), awsproto.Tx("InstanceProfileName", p.Name), awsproto.Tx("InstanceProfileId", p.ID),
		awsproto.Tx("Arn", p.ARN), awsproto.Time("CreateDate", p.CreateDate), awsproto.List("Roles", "member", roles))
	if withTags && len(p.Tags) > 0 {
		n.Kids = append(n.Kids, tagsNode(sortedTags(p.Tags)))
	}
	return n
}

func (h *Handler) createInstanceProfile(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "InstanceProfileName"); err != nil {
		return nil, err
	}
	p, err := h.IAM.CreateInstanceProfile(r.Context(), iam.InstanceProfile{Name: c.Form.Get("InstanceProfileName"), Path: c.Form.Get("Path"),
		Tags: c.MemberTags("Tags")})
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{h.instanceProfileNode(r.Context(), "InstanceProfile", p, true)}, nil
}

func (h *Handler) getInstanceProfile(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "InstanceProfileName"); err != nil {
		return nil, err
	}
	p, err := h.IAM.GetInstanceProfile(r.Context(), c.Form.Get("InstanceProfileName"))
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{h.instanceProfileNode(r.Context(), "InstanceProfile", p, true)}, nil
}

func (h *Handler) deleteInstanceProfile(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "InstanceProfileName"); err != nil {
		return nil, err
	}
	return nil, h.IAM.DeleteInstanceProfile(r.Context(), c.Form.Get("InstanceProfileName"))
}

func (h *Handler) addRoleToInstanceProfile(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "InstanceProfileName", "RoleName"); err != nil {
		return nil, err
	}
	return nil, h.IAM.AddRoleToInstanceProfile(r.Context(), c.Form.Get("InstanceProfileName"), c.Form.Get("RoleName"))
}

func (h *Handler) removeRoleFromInstanceProfile(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "InstanceProfileName", "RoleName"); err != nil {
		return nil, err
	}
	return nil, h.IAM.RemoveRoleFromInstanceProfile(r.Context(), c.Form.Get("InstanceProfileName"), c.Form.Get("RoleName"))
}

func (h *Handler) profilePage(r *http.Request, profiles []iam.InstanceProfile, pg pager) []awsproto.Node {
	profiles, more := page(profiles, func(p iam.InstanceProfile) string { return strings.ToLower(p.Name) }, pg)
	var items []awsproto.Node
	for i := range profiles {
		items = append(items, h.instanceProfileNode(r.Context(), "", &profiles[i], false))
	}
	return listResult("InstanceProfiles", items, more)
}

func (h *Handler) listInstanceProfiles(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	pg, prefix, err := pathPageParams(c)
	if err != nil {
		return nil, err
	}
	all, err := h.IAM.ListInstanceProfiles(r.Context())
	if err != nil {
		return nil, err
	}
	all = slices.DeleteFunc(all, func(p iam.InstanceProfile) bool { return !strings.HasPrefix(p.Path, prefix) })
	return h.profilePage(r, all, pg), nil
}

func (h *Handler) listInstanceProfilesForRole(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "RoleName"); err != nil {
		return nil, err
	}
	pg, err := pageParams(c)
	if err != nil {
		return nil, err
	}
	all, err := h.IAM.InstanceProfilesForRole(r.Context(), c.Form.Get("RoleName"))
	if err != nil {
		return nil, err
	}
	return h.profilePage(r, all, pg), nil
}

func (h *Handler) tagInstanceProfile(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "InstanceProfileName"); err != nil {
		return nil, err
	}
	t, err := requiredTags(c)
	if err != nil {
		return nil, err
	}
	return nil, h.IAM.TagInstanceProfile(r.Context(), c.Form.Get("InstanceProfileName"), t)
}

func (h *Handler) untagInstanceProfile(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "InstanceProfileName"); err != nil {
		return nil, err
	}
	keys, err := requiredTagKeys(c)
	if err != nil {
		return nil, err
	}
	return nil, h.IAM.UntagInstanceProfile(r.Context(), c.Form.Get("InstanceProfileName"), keys)
}

func (h *Handler) listInstanceProfileTags(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "InstanceProfileName"); err != nil {
		return nil, err
	}
	pg, err := pageParams(c)
	if err != nil {
		return nil, err
	}
	p, err := h.IAM.GetInstanceProfile(r.Context(), c.Form.Get("InstanceProfileName"))
	if err != nil {
		return nil, err
	}
	return tagPage(p.Tags, pg), nil
}
