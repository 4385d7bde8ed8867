package ec2api

import (
	"context"
	"reflect"
	"testing"

	"github.com/keksdev/keks/internal/ec2"
)

func TestChecksOfNatGatewaysAndAddresses(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	addr, err := w.h.EC2.AllocateAddress(ctx, testRegion, testAccount, map[string]string{"Name": "ip"})
	if err != nil {
		t.Fatal(err)
	}
	nat, err := w.h.EC2.CreateNatGateway(ctx, ec2.NatGatewayInput{Region: testRegion, Owner: testAccount, SubnetID: w.subnet.ID,
		ConnectivityType: ec2.ConnectivityPrivate, Tags: map[string]string{"Name": "nat"}})
	if err != nil {
		t.Fatal(err)
	}
	vpcARN, subnetARN := arn("vpc", w.vpc.ID), arn("subnet", w.subnet.ID)
	subnetKeys := keys("ec2:SubnetID", w.subnet.ID, "ec2:Vpc", vpcARN, "ec2:AvailabilityZone", testRegion+"b")
	addrKeys := keys("ec2:AllocationId", addr.AllocationID, "ec2:Domain", "vpc", "ec2:PublicIpAddress", addr.PublicIP)
	instanceCheck := func(action string) described {
		d := describe(checksOf(w.h, map[string]string{"Action": "TerminateInstances", "InstanceId.1": w.instance.ID}))[0]
		d.Action = action
		return d
	}
	for _, tt := range []struct {
		name   string
		params map[string]string
		want   []described
	}{
		{"describe NAT gateways", map[string]string{"Action": "DescribeNatGateways"}, []described{{"ec2:DescribeNatGateways", "*", keys()}}},
		{"describe addresses", map[string]string{"Action": "DescribeAddresses"}, []described{{"ec2:DescribeAddresses", "*", keys()}}},
		{"create NAT gateway acts on it, its subnet and its address", map[string]string{"Action": "CreateNatGateway", "SubnetId": w.subnet.ID,
			"AllocationId": addr.AllocationID, "TagSpecification.1.ResourceType": "natgateway", "TagSpecification.1.Tag.1.Key": "Name",
			"TagSpecification.1.Tag.1.Value": "n"},
			[]described{
				{"ec2:CreateNatGateway", arn("natgateway", "*"), keys("aws:RequestTag/Name", "n", "aws:TagKeys", "Name")},
				{"ec2:CreateTags", arn("natgateway", "*"), keys("ec2:CreateAction", "CreateNatGateway", "aws:RequestTag/Name", "n", "aws:TagKeys", "Name")},
				{"ec2:CreateNatGateway", subnetARN, subnetKeys},
				{"ec2:CreateNatGateway", arn("elastic-ip", addr.AllocationID), addrKeys},
			}},
		{"delete NAT gateway", map[string]string{"Action": "DeleteNatGateway", "NatGatewayId": nat.ID},
			[]described{{"ec2:DeleteNatGateway", arn("natgateway", nat.ID), keys()}}},
		{"allocate", map[string]string{"Action": "AllocateAddress", "Domain": "vpc"}, []described{{"ec2:AllocateAddress", arn("elastic-ip", "*"), keys()}}},
		{"release by public IP finds the allocation", map[string]string{"Action": "ReleaseAddress", "PublicIp": addr.PublicIP},
			[]described{{"ec2:ReleaseAddress", arn("elastic-ip", addr.AllocationID), addrKeys}}},
		{"associate acts on the address and the instance", map[string]string{"Action": "AssociateAddress", "AllocationId": addr.AllocationID, "InstanceId": w.instance.ID},
			[]described{{"ec2:AssociateAddress", arn("elastic-ip", addr.AllocationID), addrKeys}, instanceCheck("ec2:AssociateAddress")}},
		{"disassociate of no association is any address", map[string]string{"Action": "DisassociateAddress", "AssociationId": "eipassoc-0123456789abcdef0"},
			[]described{{"ec2:DisassociateAddress", "*", keys()}}},
		{"modify subnet attribute", map[string]string{"Action": "ModifySubnetAttribute", "SubnetId": w.subnet.ID, "MapPublicIpOnLaunch.Value": "true"},
			[]described{{"ec2:ModifySubnetAttribute", subnetARN, subnetKeys}}},
		{"modify VPC attribute", map[string]string{"Action": "ModifyVpcAttribute", "VpcId": w.vpc.ID, "EnableDnsHostnames.Value": "true"},
			[]described{{"ec2:ModifyVpcAttribute", vpcARN, keys("ec2:VpcID", w.vpc.ID, "ec2:Tenancy", "default")}}},
		{"describe VPC attribute", map[string]string{"Action": "DescribeVpcAttribute", "VpcId": w.vpc.ID, "Attribute": "enableDnsSupport"},
			[]described{{"ec2:DescribeVpcAttribute", "*", keys()}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := describe(checksOf(w.h, tt.params)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("checks:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	// Conditions on their tags see them.
	checks := checksOf(w.h, map[string]string{"Action": "CreateTags", "ResourceId.1": nat.ID, "ResourceId.2": addr.AllocationID, "Tag.1.Key": "k"})
	for i, want := range []string{"nat", "ip"} {
		if got := checks[i].ResourceTags(ctx)["Name"]; got != want {
			t.Errorf("%s: Name tag %q, want %q", checks[i].Resource, got, want)
		}
	}
}
