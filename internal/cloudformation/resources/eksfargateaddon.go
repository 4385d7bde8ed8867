package resources

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/keksdev/keks/internal/cloudformation/resource"
)

// fargateProfileProvider is AWS::EKS::FargateProfile. Ref:
// <cluster>|<profile>; GetAtt Arn.
type fargateProfileProvider struct{}

func (fargateProfileProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p := req.Properties
	var in eks.CreateFargateProfileInput
	if err := decodeCreate(req, &in, &in.Tags, &in.ClientRequestToken, "Selectors"); err != nil {
		return resource.Result{}, err
	}
	if aws.ToString(in.FargateProfileName) == "" {
		in.FargateProfileName = aws.String(req.GeneratedName(100))
	}
	for _, s := range objs(p, "Selectors") {
		sel := ekstypes.FargateProfileSelector{Namespace: strp(s, "Namespace")}
		for _, l := range objs(s, "Labels") {
			if sel.Labels == nil {
				sel.Labels = map[string]string{}
			}
			sel.Labels[str(l, "Key")] = str(l, "Value")
		}
		in.Selectors = append(in.Selectors, sel)
	}
	out, err := req.Clients.EKS.CreateFargateProfile(ctx, &in)
	if err != nil {
		return resource.Result{}, err
	}
	fp := out.FargateProfile
	return resource.Result{PhysicalID: aws.ToString(fp.ClusterName) + "|" + aws.ToString(fp.FargateProfileName), Attributes: map[string]any{"Arn": aws.ToString(fp.FargateProfileArn)}}, nil
}

func (fargateProfileProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	if changedExcept(req.Properties, req.OldProperties, "Tags") {
		return resource.Result{}, resource.ErrReplace
	}
	cluster, name := splitRef(req.PhysicalID, "|")
	out, err := req.Clients.EKS.DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String(cluster), FargateProfileName: aws.String(name)})
	if err != nil {
		return resource.Result{}, err
	}
	return retagged(ctx, req, aws.ToString(out.FargateProfile.FargateProfileArn), "Arn")
}

func (fargateProfileProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	cluster, name := splitRef(req.PhysicalID, "|")
	_, err := req.Clients.EKS.DeleteFargateProfile(ctx, &eks.DeleteFargateProfileInput{ClusterName: aws.String(cluster), FargateProfileName: aws.String(name)})
	return deleteResult(err)
}

func (fargateProfileProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	cluster, name := splitRef(req.PhysicalID, "|")
	out, err := req.Clients.EKS.DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String(cluster), FargateProfileName: aws.String(name)})
	if op == "Delete" {
		if err == nil && out.FargateProfile.Status == ekstypes.FargateProfileStatusDeleteFailed {
			return resource.Result{}, fmt.Errorf("Fargate profile %s failed to delete", name)
		}
		return deleteResult(err)
	}
	if err != nil {
		return resource.Result{}, err
	}
	switch out.FargateProfile.Status {
	case ekstypes.FargateProfileStatusActive:
		return finished(req.PhysicalID, map[string]any{"Arn": aws.ToString(out.FargateProfile.FargateProfileArn)})
	case ekstypes.FargateProfileStatusCreateFailed:
		return resource.Result{}, fmt.Errorf("Fargate profile %s failed to create", name)
	}
	return resource.Result{}, nil
}

// addonProvider is AWS::EKS::Addon. Ref: <cluster>|<addon>; GetAtt Arn.
type addonProvider struct{}

func (addonProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	var in eks.CreateAddonInput
	if err := decodeCreate(req, &in, &in.Tags, &in.ClientRequestToken, "PreserveOnDelete"); err != nil {
		return resource.Result{}, err
	}
	out, err := req.Clients.EKS.CreateAddon(ctx, &in)
	if err != nil {
		return resource.Result{}, err
	}
	a := out.Addon
	return resource.Result{PhysicalID: aws.ToString(a.ClusterName) + "|" + aws.ToString(a.AddonName), Attributes: map[string]any{"Arn": aws.ToString(a.AddonArn)}}, nil
}

func (addonProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p, old := req.Properties, req.OldProperties
	if changed(p, old, "ClusterName", "AddonName") {
		return resource.Result{}, resource.ErrReplace
	}
	cluster, name := splitRef(req.PhysicalID, "|")
	desc, err := req.Clients.EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(name)})
	if err != nil {
		return resource.Result{}, err
	}
	if err := retag(ctx, req, aws.ToString(desc.Addon.AddonArn)); err != nil {
		return resource.Result{}, err
	}
	if !changedExcept(p, old, "Tags", "PreserveOnDelete") {
		return finished(req.PhysicalID, map[string]any{"Arn": aws.ToString(desc.Addon.AddonArn)})
	}
	var in eks.UpdateAddonInput
	if err := decode(p, &in, "Tags", "PreserveOnDelete"); err != nil {
		return resource.Result{}, err
	}
	if _, err := req.Clients.EKS.UpdateAddon(ctx, &in); err != nil {
		return resource.Result{}, err
	}
	return resource.Result{PhysicalID: req.PhysicalID}, nil
}

func (addonProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	cluster, name := splitRef(req.PhysicalID, "|")
	_, err := req.Clients.EKS.DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(name),
		Preserve: aws.ToBool(boolp(req.Properties, "PreserveOnDelete"))})
	return deleteResult(err)
}

func (addonProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	cluster, name := splitRef(req.PhysicalID, "|")
	out, err := req.Clients.EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(name)})
	if op == "Delete" {
		return deleteResult(err)
	}
	if err != nil {
		return resource.Result{}, err
	}
	switch out.Addon.Status {
	case ekstypes.AddonStatusActive:
		return finished(req.PhysicalID, map[string]any{"Arn": aws.ToString(out.Addon.AddonArn)})
	case ekstypes.AddonStatusCreateFailed, ekstypes.AddonStatusUpdateFailed:
		var msgs []string
		if out.Addon.Health != nil {
			for _, i := range out.Addon.Health.Issues {
				msgs = append(msgs, aws.ToString(i.Message))
			}
		}
		return resource.Result{}, fmt.Errorf("Addon %s is %s: %s", name, out.Addon.Status, strings.Join(msgs, "; "))
	}
	return resource.Result{}, nil
}
