package resources

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/keksdev/keks/internal/cloudformation/resource"
)

// inlinePolicyProvider is AWS::IAM::Policy: one inline policy put on
// each of its Roles, Users and Groups. Ref: its generated id.
type inlinePolicyProvider struct{ noWait }

type holders struct{ roles, users, groups []string }

func holdersOf(p map[string]any) holders {
	return holders{strs(p, "Roles"), strs(p, "Users"), strs(p, "Groups")}
}

func (inlinePolicyProvider) put(ctx context.Context, c *iam.Client, name, doc string, h holders) error {
	for _, r := range h.roles {
		if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(r), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}); err != nil {
			return err
		}
	}
	for _, u := range h.users {
		if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(u), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}); err != nil {
			return err
		}
	}
	for _, g := range h.groups {
		if _, err := c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String(g), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}); err != nil {
			return err
		}
	}
	return nil
}

func (inlinePolicyProvider) remove(ctx context.Context, c *iam.Client, name string, h holders) error {
	var errs []error
	for _, r := range h.roles {
		if _, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(r), PolicyName: aws.String(name)}); err != nil && !isCode(err, "NoSuchEntity") {
			errs = append(errs, err)
		}
	}
	for _, u := range h.users {
		if _, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(u), PolicyName: aws.String(name)}); err != nil && !isCode(err, "NoSuchEntity") {
			errs = append(errs, err)
		}
	}
	for _, g := range h.groups {
		if _, err := c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String(g), PolicyName: aws.String(name)}); err != nil && !isCode(err, "NoSuchEntity") {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (ip inlinePolicyProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p := req.Properties
	h := holdersOf(p)
	if len(h.roles)+len(h.users)+len(h.groups) == 0 {
		return resource.Result{}, errors.New("At least one of [Groups,Roles,Users] must be non-empty.")
	}
	id := req.GeneratedName(64)
	if err := ip.put(ctx, req.Clients.IAM, str(p, "PolicyName"), document(p, "PolicyDocument"), h); err != nil {
		return resource.Result{PhysicalID: id}, err
	}
	return finished(id, map[string]any{"Id": id})
}

func (ip inlinePolicyProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p, old := req.Properties, req.OldProperties
	if changed(p, old, "PolicyName") {
		return resource.Result{}, resource.ErrReplace
	}
	now, before := holdersOf(p), holdersOf(old)
	if err := ip.put(ctx, req.Clients.IAM, str(p, "PolicyName"), document(p, "PolicyDocument"), now); err != nil {
		return resource.Result{}, err
	}
	_, goneRoles := diff(now.roles, before.roles)
	_, goneUsers := diff(now.users, before.users)
	_, goneGroups := diff(now.groups, before.groups)
	if err := ip.remove(ctx, req.Clients.IAM, str(p, "PolicyName"), holders{goneRoles, goneUsers, goneGroups}); err != nil {
		return resource.Result{}, err
	}
	return finished(req.PhysicalID, map[string]any{"Id": req.PhysicalID})
}

func (ip inlinePolicyProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	return resource.Result{Done: true}, ip.remove(ctx, req.Clients.IAM, str(req.Properties, "PolicyName"), holdersOf(req.Properties))
}

// managedPolicyProvider is AWS::IAM::ManagedPolicy. Ref: its ARN; GetAtt
// PolicyArn, PolicyId, DefaultVersionId...
type managedPolicyProvider struct{ noWait }

func (managedPolicyProvider) attach(ctx context.Context, c *iam.Client, arn string, h holders) error {
	for _, r := range h.roles {
		if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(r), PolicyArn: aws.String(arn)}); err != nil {
			return err
		}
	}
	for _, u := range h.users {
		if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(u), PolicyArn: aws.String(arn)}); err != nil {
			return err
		}
	}
	for _, g := range h.groups {
		if _, err := c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String(g), PolicyArn: aws.String(arn)}); err != nil {
			return err
		}
	}
	return nil
}

func (managedPolicyProvider) detach(ctx context.Context, c *iam.Client, arn string, h holders) error {
	for _, r := range h.roles {
		if _, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(r), PolicyArn: aws.String(arn)}); err != nil && !isCode(err, "NoSuchEntity") {
			return err
		}
	}
	for _, u := range h.users {
		if _, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(u), PolicyArn: aws.String(arn)}); err != nil && !isCode(err, "NoSuchEntity") {
			return err
		}
	}
	for _, g := range h.groups {
		if _, err := c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String(g), PolicyArn: aws.String(arn)}); err != nil && !isCode(err, "NoSuchEntity") {
			return err
		}
	}
	return nil
}

func policyAttrs(pol *iamtypes.Policy) map[string]any {
	return map[string]any{"PolicyArn": aws.ToString(pol.Arn), "PolicyId": aws.ToString(pol.PolicyId), "DefaultVersionId": aws.ToString(pol.DefaultVersionId),
		"AttachmentCount": float64(aws.ToInt32(pol.AttachmentCount)), "IsAttachable": pol.IsAttachable}
}

func (mp managedPolicyProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p, c := req.Properties, req.Clients.IAM
	name := str(p, "ManagedPolicyName")
	if name == "" {
		name = req.GeneratedName(128)
	}
	out, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(document(p, "PolicyDocument")),
		Path: strp(p, "Path"), Description: strp(p, "Description")})
	if err != nil {
		return resource.Result{}, err
	}
	arn := aws.ToString(out.Policy.Arn)
	if err := mp.attach(ctx, c, arn, holdersOf(p)); err != nil {
		return resource.Result{PhysicalID: arn}, err
	}
	return finished(arn, policyAttrs(out.Policy))
}

func (mp managedPolicyProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p, old, c, arn := req.Properties, req.OldProperties, req.Clients.IAM, req.PhysicalID
	if changed(p, old, "ManagedPolicyName", "Path", "Description") {
		return resource.Result{}, resource.ErrReplace
	}
	if changed(p, old, "PolicyDocument") {
		vs, err := c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(arn)})
		if err != nil {
			return resource.Result{}, err
		}
		// IAM keeps five versions: make room by dropping the oldest.
		if len(vs.Versions) >= 5 {
			oldest := ""
			for _, v := range vs.Versions {
				if !v.IsDefaultVersion && (oldest == "" || aws.ToString(v.VersionId) < oldest) {
					oldest = aws.ToString(v.VersionId)
				}
			}
			if _, err := c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(oldest)}); err != nil {
				return resource.Result{}, err
			}
		}
		if _, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(document(p, "PolicyDocument")), SetAsDefault: true}); err != nil {
			return resource.Result{}, err
		}
	}
	now, before := holdersOf(p), holdersOf(old)
	addRoles, goneRoles := diff(now.roles, before.roles)
	addUsers, goneUsers := diff(now.users, before.users)
	addGroups, goneGroups := diff(now.groups, before.groups)
	if err := mp.attach(ctx, c, arn, holders{addRoles, addUsers, addGroups}); err != nil {
		return resource.Result{}, err
	}
	if err := mp.detach(ctx, c, arn, holders{goneRoles, goneUsers, goneGroups}); err != nil {
		return resource.Result{}, err
	}
	out, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		return resource.Result{}, err
	}
	return finished(arn, policyAttrs(out.Policy))
}

func (mp managedPolicyProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	c, arn := req.Clients.IAM, aws.String(req.PhysicalID)
	ents, err := c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: arn})
	if isCode(err, "NoSuchEntity") {
		return resource.Result{Done: true}, nil
	} else if err != nil {
		return resource.Result{}, err
	}
	var h holders
	for _, r := range ents.PolicyRoles {
		h.roles = append(h.roles, aws.ToString(r.RoleName))
	}
	for _, u := range ents.PolicyUsers {
		h.users = append(h.users, aws.ToString(u.UserName))
	}
	for _, g := range ents.PolicyGroups {
		h.groups = append(h.groups, aws.ToString(g.GroupName))
	}
	if err := mp.detach(ctx, c, req.PhysicalID, h); err != nil {
		return resource.Result{}, err
	}
	vs, err := c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: arn})
	if err == nil {
		for _, v := range vs.Versions {
			if !v.IsDefaultVersion {
				if _, err := c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: v.VersionId}); err != nil && !isCode(err, "NoSuchEntity") {
					return resource.Result{}, err
				}
			}
		}
	}
	if _, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn}); err != nil && !isCode(err, "NoSuchEntity") {
		return resource.Result{}, err
	}
	return resource.Result{Done: true}, nil
}

// oidcProvider is AWS::IAM::OIDCProvider. Ref: its ARN; GetAtt Arn.
type oidcProvider struct{ noWait }

func (oidcProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p := req.Properties
	out, err := req.Clients.IAM.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(str(p, "Url")),
		ClientIDList: strs(p, "ClientIdList"), ThumbprintList: strs(p, "ThumbprintList"), Tags: iamTags(tagMap(p))})
	if err != nil {
		return resource.Result{}, err
	}
	arn := aws.ToString(out.OpenIDConnectProviderArn)
	return finished(arn, map[string]any{"Arn": arn})
}

func (oidcProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p, old, c, arn := req.Properties, req.OldProperties, req.Clients.IAM, aws.String(req.PhysicalID)
	if changed(p, old, "Url") {
		return resource.Result{}, resource.ErrReplace
	}
	add, remove := diff(strs(p, "ClientIdList"), strs(old, "ClientIdList"))
	for _, id := range add {
		if _, err := c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: aws.String(id)}); err != nil {
			return resource.Result{}, err
		}
	}
	for _, id := range remove {
		if _, err := c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: aws.String(id)}); err != nil {
			return resource.Result{}, err
		}
	}
	if changed(p, old, "ThumbprintList") {
		if _, err := c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: arn, ThumbprintList: strs(p, "ThumbprintList")}); err != nil {
			return resource.Result{}, err
		}
	}
	set, gone := tagDiff(tagMap(p), tagMap(old))
	if len(set) > 0 {
		if _, err := c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, Tags: iamTags(set)}); err != nil {
			return resource.Result{}, err
		}
	}
	if len(gone) > 0 {
		if _, err := c.UntagOpenIDConnectProvider(ctx, &iam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, TagKeys: gone}); err != nil {
			return resource.Result{}, err
		}
	}
	return finished(req.PhysicalID, map[string]any{"Arn": req.PhysicalID})
}

func (oidcProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	_, err := req.Clients.IAM.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(req.PhysicalID)})
	if err != nil && !isCode(err, "NoSuchEntity") {
		return resource.Result{}, err
	}
	return resource.Result{Done: true}, nil
}
