package server_test

import (
	"context"
	"fmt"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/iam"
)

// The fuzz seeds of NAT gateways, Elastic IPs, subnet and VPC attributes
// and instance profiles, appended to the lists (in an order in which each
// seed succeeds) from here so that the shared lists stay as they are.
func init() {
	ec2Ops = append(ec2Ops,
		queryOp{"AllocateAddress", "Domain=vpc&TagSpecification.1.ResourceType=elastic-ip&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=fz"},
		queryOp{"DescribeAddresses", "Filter.1.Name=domain&Filter.1.Value.1=vpc&Filter.2.Name=tag:Name&Filter.2.Value.1=fz*"},
		queryOp{"CreateNatGateway", "SubnetId=$SUBNET&ConnectivityType=private&ClientToken=fz-nat" +
			"&TagSpecification.1.ResourceType=natgateway&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=fz"},
		queryOp{"DescribeNatGateways", "Filter.1.Name=vpc-id&Filter.1.Value.1=$VPC&Filter.2.Name=state&Filter.2.Value.1=pending&Filter.2.Value.2=available&MaxResults=5"},
		queryOp{"DeleteNatGateway", "NatGatewayId=$NAT_DEL"},
		queryOp{"AssociateAddress", "AllocationId=$EIP_DEL&InstanceId=$EIP_INSTANCE&AllowReassociation=true"},
		queryOp{"DisassociateAddress", "PublicIp=$EIP_DEL_IP"},
		queryOp{"ReleaseAddress", "AllocationId=$EIP_DEL"},
		queryOp{"ModifySubnetAttribute", "SubnetId=$SUBNET&MapPublicIpOnLaunch.Value=true"},
		queryOp{"ModifyVpcAttribute", "VpcId=$VPC&EnableDnsHostnames.Value=true"},
		queryOp{"DescribeVpcAttribute", "VpcId=$VPC&Attribute=enableDnsHostnames"},
	)
	ec2Edges = append(ec2Edges,
		queryOp{"CreateNatGateway", "SubnetId=$SUBNET&AllocationId=$EIP_USED"},
		queryOp{"ReleaseAddress", "AllocationId=$EIP_USED"},
		queryOp{"AssociateAddress", "AllocationId=$EIP_USED&InstanceId=$EIP_INSTANCE&AllowReassociation=true"},
		queryOp{"DescribeAddresses", "AllocationId.1=$EIP_USED&AllocationId.2=eipalloc-00000000000000000"},
	)
	iamOps = append(iamOps,
		queryOp{"CreateInstanceProfile", "InstanceProfileName=fz-ip2&Path=%2Ffuzz%2F&Tags.member.1.Key=team&Tags.member.1.Value=fuzz"},
		queryOp{"GetInstanceProfile", "InstanceProfileName=fz-ip"},
		queryOp{"AddRoleToInstanceProfile", "InstanceProfileName=fz-ip&RoleName=fz-role"},
		queryOp{"ListInstanceProfiles", "PathPrefix=%2F&MaxItems=5"},
		queryOp{"ListInstanceProfilesForRole", "RoleName=fz-role"},
		queryOp{"RemoveRoleFromInstanceProfile", "InstanceProfileName=fz-ip&RoleName=fz-role"},
		queryOp{"TagInstanceProfile", "InstanceProfileName=fz-ip&Tags.member.1.Key=env&Tags.member.1.Value=fz"},
		queryOp{"ListInstanceProfileTags", "InstanceProfileName=fz-ip"},
		queryOp{"UntagInstanceProfile", "InstanceProfileName=fz-ip&TagKeys.member.1=env"},
		queryOp{"DeleteInstanceProfile", "InstanceProfileName=fz-ip-del"},
	)
}

// networkFixture makes what those seeds name: a NAT gateway and an
// address to delete, an address a NAT gateway holds, instance profiles.
func networkFixture(ctx context.Context, v map[string]string) error {
	m := testServer.models
	acct := m.Bootstrap.AccountID
	nat, err := m.EC2.CreateNatGateway(ctx, ec2.NatGatewayInput{Region: fuzzRegion, Owner: acct, SubnetID: v["$SUBNET"], ConnectivityType: ec2.ConnectivityPrivate})
	if err != nil {
		return fmt.Errorf("NAT gateway to delete: %w", err)
	}
	v["$NAT_DEL"] = nat.ID
	for _, placeholder := range []string{"$EIP_DEL", "$EIP_USED"} {
		a, err := m.EC2.AllocateAddress(ctx, fuzzRegion, acct, nil)
		if err != nil {
			return fmt.Errorf("address %s: %w", placeholder, err)
		}
		v[placeholder], v[placeholder+"_IP"] = a.AllocationID, a.PublicIP
	}
	if _, err := m.EC2.CreateNatGateway(ctx, ec2.NatGatewayInput{Region: fuzzRegion, Owner: acct, SubnetID: v["$SUBNET"], AllocationID: v["$EIP_USED"]}); err != nil {
		return fmt.Errorf("NAT gateway holding an address: %w", err)
	}
	in, err := m.EC2.RunInstance(ctx, ec2.Instance{SubnetID: v["$SUBNET"], InstanceType: "t3.small", ImageID: "ami-fuzz"})
	if err != nil {
		return fmt.Errorf("instance for addresses: %w", err)
	}
	v["$EIP_INSTANCE"] = in.ID
	for _, name := range []string{"fz-ip", "fz-ip-del"} {
		if _, err := m.IAM.CreateInstanceProfile(ctx, iam.InstanceProfile{Name: name}); err != nil {
			return fmt.Errorf("instance profile %s: %w", name, err)
		}
	}
	return nil
}
