package server_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

// TestControlPlaneScalingConfigWire checks EKS Provisioned Control Plane's
// wire shapes with aws-sdk-go-v2: the tier at create, in DescribeCluster
// (standard when none was asked for), and its update's type and params.
func TestControlPlaneScalingConfigWire(t *testing.T) {
	ctx := context.Background()
	c := eks.NewFromConfig(rulesConfig())
	plain, _ := rulesCluster(t, "tier-plain", "10.57.0.0/16")
	if plain.ControlPlaneScalingConfig == nil || plain.ControlPlaneScalingConfig.Tier != ekstypes.ProvisionedControlPlaneTierStandard {
		t.Errorf("a cluster made without a tier: %+v", plain.ControlPlaneScalingConfig)
	}
	_, subnets := networkIn(t, rulesConfig(), "10.58.0.0/16")
	out, err := c.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String("tier-xl"), RoleArn: aws.String(nodeRoleARN(t)),
		ResourcesVpcConfig:        &ekstypes.VpcConfigRequest{SubnetIds: subnets},
		ControlPlaneScalingConfig: &ekstypes.ControlPlaneScalingConfig{Tier: ekstypes.ProvisionedControlPlaneTierTierXl}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Cluster.ControlPlaneScalingConfig.Tier != ekstypes.ProvisionedControlPlaneTierTierXl {
		t.Errorf("created with tier-xl: %+v", out.Cluster.ControlPlaneScalingConfig)
	}
	_, err = c.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String("tier-bad"), RoleArn: aws.String(nodeRoleARN(t)),
		ResourcesVpcConfig:        &ekstypes.VpcConfigRequest{SubnetIds: subnets},
		ControlPlaneScalingConfig: &ekstypes.ControlPlaneScalingConfig{Tier: "tier-16xl"}})
	var bad *ekstypes.InvalidParameterException
	if !errors.As(err, &bad) {
		t.Errorf("an unknown tier: %v", err)
	}
	u, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: plain.Name,
		ControlPlaneScalingConfig: &ekstypes.ControlPlaneScalingConfig{Tier: ekstypes.ProvisionedControlPlaneTierTier4xl}})
	if err != nil {
		t.Fatal(err)
	}
	if u.Update.Type != ekstypes.UpdateTypeControlPlaneScalingConfigUpdate || len(u.Update.Params) != 2 ||
		u.Update.Params[0].Type != ekstypes.UpdateParamTypeUpdatedTier || aws.ToString(u.Update.Params[0].Value) != "tier-4xl" ||
		u.Update.Params[1].Type != ekstypes.UpdateParamTypePreviousTier || aws.ToString(u.Update.Params[1].Value) != "standard" {
		t.Errorf("update: %+v %+v", u.Update.Type, u.Update.Params)
	}
	d, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: plain.Name})
	if err != nil {
		t.Fatal(err)
	}
	if d.Cluster.ControlPlaneScalingConfig.Tier != ekstypes.ProvisionedControlPlaneTierTier4xl {
		t.Errorf("described after the update: %+v", d.Cluster.ControlPlaneScalingConfig)
	}
}
