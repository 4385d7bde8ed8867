package resources

import (
	"context"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/keksdev/keks/internal/cloudformation/resource"
)

// The IAM family: roles, inline policies, managed policies and OpenID
// Connect providers, made through IAM's API as the stack's caller.
func init() {
	register(map[string]resource.Provider{
		"AWS::IAM::Role":          roleProvider{},
		"AWS::IAM::Policy":        inlinePolicyProvider{},
		"AWS::IAM::ManagedPolicy": managedPolicyProvider{},
		"AWS::IAM::OIDCProvider":  oidcProvider{},
	})
}

// noWait is the Wait of providers whose operations finish at once.
type noWait struct{}

func (noWait) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	return resource.Result{Done: true}, nil
}

func iamTags(m map[string]string) []iamtypes.Tag {
	var out []iamtypes.Tag
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, iamtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// roleProvider is AWS::IAM::Role. Ref: the role name; GetAtt Arn, RoleId.
type roleProvider struct{ noWait }

type inlinePolicy struct{ name, doc string }

func inlinePolicies(props map[string]any) []inlinePolicy {
	var out []inlinePolicy
	for _, p := range objs(props, "Policies") {
		out = append(out, inlinePolicy{str(p, "PolicyName"), document(p, "PolicyDocument")})
	}
	return out
}

func (roleProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p, c := req.Properties, req.Clients.IAM
	name := str(p, "RoleName")
	if name == "" {
		name = req.GeneratedName(64)
	}
	in := &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(document(p, "AssumeRolePolicyDocument")),
		Path: strp(p, "Path"), Description: strp(p, "Description"), PermissionsBoundary: strp(p, "PermissionsBoundary"), Tags: iamTags(tagMap(p))}
	d, err := int32p(p, "MaxSessionDuration")
	if err != nil {
		return resource.Result{}, err
	}
	in.MaxSessionDuration = d
	out, err := c.CreateRole(ctx, in)
	if err != nil {
		return resource.Result{}, err
	}
	res := resource.Result{PhysicalID: name, Attributes: map[string]any{"Arn": aws.ToString(out.Role.Arn), "RoleId": aws.ToString(out.Role.RoleId)}}
	for _, arn := range strs(p, "ManagedPolicyArns") {
		if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(arn)}); err != nil {
			return res, err
		}
	}
	for _, ip := range inlinePolicies(p) {
		if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(ip.name), PolicyDocument: aws.String(ip.doc)}); err != nil {
			return res, err
		}
	}
	res.Done = true
	return res, nil
}

func (roleProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p, old, c, name := req.Properties, req.OldProperties, req.Clients.IAM, req.PhysicalID
	if changed(p, old, "RoleName", "Path") {
		return resource.Result{}, resource.ErrReplace
	}
	if changed(p, old, "AssumeRolePolicyDocument") {
		if _, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(document(p, "AssumeRolePolicyDocument"))}); err != nil {
			return resource.Result{}, err
		}
	}
	if changed(p, old, "Description", "MaxSessionDuration") {
		d, err := int32p(p, "MaxSessionDuration")
		if err != nil {
			return resource.Result{}, err
		}
		desc := str(p, "Description")
		if _, err := c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String(name), Description: &desc, MaxSessionDuration: d}); err != nil {
			return resource.Result{}, err
		}
	}
	attach, detach := diff(strs(p, "ManagedPolicyArns"), strs(old, "ManagedPolicyArns"))
	for _, arn := range attach {
		if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(arn)}); err != nil {
			return resource.Result{}, err
		}
	}
	for _, arn := range detach {
		if _, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(arn)}); err != nil && !isCode(err, "NoSuchEntity") {
			return resource.Result{}, err
		}
	}
	want := inlinePolicies(p)
	for _, ip := range want {
		if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(ip.name), PolicyDocument: aws.String(ip.doc)}); err != nil {
			return resource.Result{}, err
		}
	}
	for _, ip := range inlinePolicies(old) {
		if !slices.ContainsFunc(want, func(w inlinePolicy) bool { return w.name == ip.name }) {
			if _, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(ip.name)}); err != nil && !isCode(err, "NoSuchEntity") {
				return resource.Result{}, err
			}
		}
	}
	set, remove := tagDiff(tagMap(p), tagMap(old))
	if len(set) > 0 {
		if _, err := c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(name), Tags: iamTags(set)}); err != nil {
			return resource.Result{}, err
		}
	}
	if len(remove) > 0 {
		if _, err := c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String(name), TagKeys: remove}); err != nil {
			return resource.Result{}, err
		}
	}
	out, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return resource.Result{}, err
	}
	return finished(name, map[string]any{"Arn": aws.ToString(out.Role.Arn), "RoleId": aws.ToString(out.Role.RoleId)})
}

func (roleProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	c, name := req.Clients.IAM, aws.String(req.PhysicalID)
	attached, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: name})
	if isCode(err, "NoSuchEntity") {
		return resource.Result{Done: true}, nil
	} else if err != nil {
		return resource.Result{}, err
	}
	for _, ap := range attached.AttachedPolicies {
		if _, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: name, PolicyArn: ap.PolicyArn}); err != nil && !isCode(err, "NoSuchEntity") {
			return resource.Result{}, err
		}
	}
	inline, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: name})
	if err != nil && !isCode(err, "NoSuchEntity") {
		return resource.Result{}, err
	}
	if inline != nil {
		for _, pn := range inline.PolicyNames {
			if _, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: name, PolicyName: aws.String(pn)}); err != nil && !isCode(err, "NoSuchEntity") {
				return resource.Result{}, err
			}
		}
	}
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: name}); err != nil && !isCode(err, "NoSuchEntity") {
		return resource.Result{}, err
	}
	return resource.Result{Done: true}, nil
}
