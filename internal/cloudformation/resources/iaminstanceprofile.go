package resources

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keksdev/keks/internal/cloudformation/resource"
)

func init() {
	register(map[string]resource.Provider{"AWS::IAM::InstanceProfile": instanceProfileProvider{}})
}

// AWS::IAM::InstanceProfile: Ref is the profile's name; GetAtt Arn. Roles
// holds at most one role name, as IAM allows. A profile without
// InstanceProfileName is named <stack>-<logicalId>-<13 random
// characters>, as CloudFormation names it.
type instanceProfileProvider struct{}

func (instanceProfileProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	const typ = "AWS::IAM::InstanceProfile"
	p := ec2Props(req.Properties)
	roles, err := p.strings("Roles")
	if err != nil {
		return resource.Result{}, fmt.Errorf("%s: %w", typ, err)
	}
	name := p.str("InstanceProfileName")
	if name == "" {
		name = ec2PhysicalName(req.StackName, req.LogicalID, 128)
	}
	in := &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(name)}
	if path := p.str("Path"); path != "" {
		in.Path = aws.String(path)
	}
	out, err := req.Clients.IAM.CreateInstanceProfile(ctx, in)
	if err != nil {
		return resource.Result{}, fmt.Errorf("create instance profile %s: %w", name, err)
	}
	arn := aws.ToString(out.InstanceProfile.Arn)
	for _, role := range roles {
		if _, err := req.Clients.IAM.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: aws.String(role)}); err != nil {
			return resource.Result{PhysicalID: name}, fmt.Errorf("add role %s to instance profile %s: %w", role, name, err)
		}
	}
	return instanceProfileResult(name, arn), nil
}

func instanceProfileResult(name, arn string) resource.Result {
	return resource.Result{PhysicalID: name, Attributes: map[string]any{"Arn": arn}, State: map[string]string{"arn": arn}, Done: true}
}

// Update changes the profile's roles in place; a new name or path is a
// new profile.
func (instanceProfileProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	if ec2Changed(req.OldProperties, req.Properties, "InstanceProfileName", "Path") {
		return resource.Result{}, resource.ErrReplace
	}
	want, err := ec2Props(req.Properties).strings("Roles")
	if err != nil {
		return resource.Result{}, err
	}
	out, err := req.Clients.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(req.PhysicalID)})
	if err != nil {
		return resource.Result{}, fmt.Errorf("read instance profile %s: %w", req.PhysicalID, err)
	}
	var have []string
	for _, r := range out.InstanceProfile.Roles {
		have = append(have, aws.ToString(r.RoleName))
	}
	// Removals first: a profile holds one role.
	for _, r := range have {
		if !slices.Contains(want, r) {
			if _, err := req.Clients.IAM.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{
				InstanceProfileName: aws.String(req.PhysicalID), RoleName: aws.String(r)}); err != nil {
				return resource.Result{}, fmt.Errorf("remove role %s from instance profile %s: %w", r, req.PhysicalID, err)
			}
		}
	}
	for _, r := range want {
		if !slices.Contains(have, r) {
			if _, err := req.Clients.IAM.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{
				InstanceProfileName: aws.String(req.PhysicalID), RoleName: aws.String(r)}); err != nil {
				return resource.Result{}, fmt.Errorf("add role %s to instance profile %s: %w", r, req.PhysicalID, err)
			}
		}
	}
	return instanceProfileResult(req.PhysicalID, aws.ToString(out.InstanceProfile.Arn)), nil
}

// Delete takes the profile's roles out, then deletes it.
func (instanceProfileProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	if req.PhysicalID == "" {
		return resource.Result{Done: true}, nil
	}
	out, err := req.Clients.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(req.PhysicalID)})
	if ec2IsGone(err, "NoSuchEntity") {
		return resource.Result{PhysicalID: req.PhysicalID, Done: true}, nil
	} else if err != nil {
		return resource.Result{}, fmt.Errorf("read instance profile %s: %w", req.PhysicalID, err)
	}
	for _, r := range out.InstanceProfile.Roles {
		_, err := req.Clients.IAM.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{
			InstanceProfileName: aws.String(req.PhysicalID), RoleName: r.RoleName})
		if err != nil && !ec2IsGone(err, "NoSuchEntity") {
			return resource.Result{}, fmt.Errorf("remove role %s from instance profile %s: %w", aws.ToString(r.RoleName), req.PhysicalID, err)
		}
	}
	_, err = req.Clients.IAM.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String(req.PhysicalID)})
	if err != nil && !ec2IsGone(err, "NoSuchEntity") {
		return resource.Result{}, fmt.Errorf("delete instance profile %s: %w", req.PhysicalID, err)
	}
	return resource.Result{PhysicalID: req.PhysicalID, Done: true}, nil
}

func (instanceProfileProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	if op == "Delete" {
		return resource.Result{PhysicalID: req.PhysicalID, Done: true}, nil
	}
	return instanceProfileResult(req.PhysicalID, req.State["arn"]), nil
}
