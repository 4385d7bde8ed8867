package ec2api

import (
	"context"
	"maps"
	"reflect"
	"testing"

	"github.com/keksdev/keks/internal/ec2"
)

func TestChecksOfRoutingActions(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	rt, err := w.h.EC2.CreateRouteTable(ctx, ec2.RouteTable{VPCID: w.vpc.ID, Tags: map[string]string{"tier": "private"}})
	if err != nil {
		t.Fatal(err)
	}
	assoc, err := w.h.EC2.AssociateRouteTable(ctx, rt.ID, w.subnet.ID)
	if err != nil {
		t.Fatal(err)
	}
	igw, err := w.h.EC2.CreateInternetGateway(ctx, testRegion, testAccount, map[string]string{"Name": "gw"})
	if err != nil {
		t.Fatal(err)
	}
	vpcARN, subnetARN, rtARN, igwARN := arn("vpc", w.vpc.ID), arn("subnet", w.subnet.ID), arn("route-table", rt.ID), arn("internet-gateway", igw.ID)
	zone := testRegion + "b"
	subnetKeys := keys("ec2:SubnetID", w.subnet.ID, "ec2:Vpc", vpcARN, "ec2:AvailabilityZone", zone)
	rtKeys := keys("ec2:RouteTableID", rt.ID, "ec2:Vpc", vpcARN)
	for _, tt := range []struct {
		name   string
		params map[string]string
		want   []described
	}{
		{"describe tables", map[string]string{"Action": "DescribeRouteTables"}, []described{{"ec2:DescribeRouteTables", "*", keys()}}},
		{"describe gateways", map[string]string{"Action": "DescribeInternetGateways"}, []described{{"ec2:DescribeInternetGateways", "*", keys()}}},
		{"create gateway with tags", map[string]string{"Action": "CreateInternetGateway", "TagSpecification.1.ResourceType": "internet-gateway",
			"TagSpecification.1.Tag.1.Key": "Name", "TagSpecification.1.Tag.1.Value": "gw"},
			[]described{
				{"ec2:CreateInternetGateway", arn("internet-gateway", "*"), keys("aws:RequestTag/Name", "gw", "aws:TagKeys", "Name")},
				{"ec2:CreateTags", arn("internet-gateway", "*"), keys("ec2:CreateAction", "CreateInternetGateway", "aws:RequestTag/Name", "gw", "aws:TagKeys", "Name")},
			}},
		{"attach acts on the gateway and the VPC", map[string]string{"Action": "AttachInternetGateway", "InternetGatewayId": igw.ID, "VpcId": w.vpc.ID},
			[]described{
				{"ec2:AttachInternetGateway", igwARN, keys("ec2:InternetGatewayID", igw.ID)},
				{"ec2:AttachInternetGateway", vpcARN, keys("ec2:VpcID", w.vpc.ID, "ec2:Tenancy", "default")},
			}},
		{"delete gateway", map[string]string{"Action": "DeleteInternetGateway", "InternetGatewayId": igw.ID},
			[]described{{"ec2:DeleteInternetGateway", igwARN, keys("ec2:InternetGatewayID", igw.ID)}}},
		{"create table acts on the new table and its VPC", map[string]string{"Action": "CreateRouteTable", "VpcId": w.vpc.ID},
			[]described{
				{"ec2:CreateRouteTable", arn("route-table", "*"), keys("ec2:Vpc", vpcARN)},
				{"ec2:CreateRouteTable", vpcARN, keys("ec2:VpcID", w.vpc.ID, "ec2:Tenancy", "default")},
			}},
		{"create route acts on the table", map[string]string{"Action": "CreateRoute", "RouteTableId": rt.ID, "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw.ID},
			[]described{{"ec2:CreateRoute", rtARN, rtKeys}}},
		{"an unknown table is still named", map[string]string{"Action": "DeleteRoute", "RouteTableId": "rtb-0123456789abcdef0"},
			[]described{{"ec2:DeleteRoute", arn("route-table", "rtb-0123456789abcdef0"), keys("ec2:RouteTableID", "rtb-0123456789abcdef0")}}},
		{"associate acts on the table and the subnet", map[string]string{"Action": "AssociateRouteTable", "RouteTableId": rt.ID, "SubnetId": w.subnet.ID},
			[]described{{"ec2:AssociateRouteTable", rtARN, rtKeys}, {"ec2:AssociateRouteTable", subnetARN, subnetKeys}}},
		{"disassociate finds the association's table and subnet", map[string]string{"Action": "DisassociateRouteTable", "AssociationId": assoc.ID},
			[]described{{"ec2:DisassociateRouteTable", rtARN, rtKeys}, {"ec2:DisassociateRouteTable", subnetARN, subnetKeys}}},
		{"an unknown association is any", map[string]string{"Action": "DisassociateRouteTable", "AssociationId": "rtbassoc-0123456789abcdef0"},
			[]described{{"ec2:DisassociateRouteTable", "*", keys()}}},
		{"replace association acts on the new table and the subnet", map[string]string{"Action": "ReplaceRouteTableAssociation", "AssociationId": assoc.ID, "RouteTableId": rt.ID},
			[]described{{"ec2:ReplaceRouteTableAssociation", rtARN, rtKeys}, {"ec2:ReplaceRouteTableAssociation", subnetARN, subnetKeys}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := describe(checksOf(w.h, tt.params)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("checks:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}

	// CreateTags on a table and a gateway looks their tags up.
	checks := checksOf(w.h, map[string]string{"Action": "CreateTags", "ResourceId.1": rt.ID, "ResourceId.2": igw.ID, "Tag.1.Key": "k"})
	want := []map[string]string{{"tier": "private"}, {"Name": "gw"}}
	if len(checks) != len(want) {
		t.Fatalf("got %d checks, want %d", len(checks), len(want))
	}
	for i, ch := range checks {
		if ch.ResourceTags == nil || !maps.Equal(ch.ResourceTags(ctx), want[i]) {
			t.Errorf("%s: tags not looked up as %v", ch.Resource, want[i])
		}
	}
}
