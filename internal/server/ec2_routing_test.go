package server_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// routingRegion keeps the routing tests' VPCs apart from those other tests count.
const routingRegion = "ap-south-1"

func routingConfig() aws.Config {
	cfg := awsConfig()
	cfg.Region = routingRegion
	return cfg
}

func ec2Filter(name string, values ...string) ec2types.Filter {
	return ec2types.Filter{Name: aws.String(name), Values: values}
}

// routeTables describes the route tables the filters find.
func routeTables(t *testing.T, c *ec2.Client, filters ...ec2types.Filter) []ec2types.RouteTable {
	t.Helper()
	out, err := c.DescribeRouteTables(context.Background(), &ec2.DescribeRouteTablesInput{Filters: filters})
	if err != nil {
		t.Fatalf("DescribeRouteTables %v: %v", filters, err)
	}
	return out.RouteTables
}

func routeTo(rt ec2types.RouteTable, dest string) *ec2types.Route {
	for i := range rt.Routes {
		if aws.ToString(rt.Routes[i].DestinationCidrBlock) == dest {
			return &rt.Routes[i]
		}
	}
	return nil
}

// TestRouteTablesAndInternetGatewaysOnTheWire makes a public and a private
// subnet as one does on AWS, with the SDK, and reads them back in EC2's shapes.
func TestRouteTablesAndInternetGatewaysOnTheWire(t *testing.T) {
	ctx := context.Background()
	c := ec2.NewFromConfig(routingConfig())
	account := testServer.models.Bootstrap.AccountID
	vpcOut, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.90.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	vpc := aws.ToString(vpcOut.Vpc.VpcId)
	var subnets []string
	for _, cidr := range []string{"10.90.1.0/24", "10.90.2.0/24"} {
		sn, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpc), CidrBlock: aws.String(cidr)})
		if err != nil {
			t.Fatal(err)
		}
		subnets = append(subnets, aws.ToString(sn.Subnet.SubnetId))
	}
	public, private := subnets[0], subnets[1]

	// The VPC comes with its main route table.
	tables := routeTables(t, c, ec2Filter("vpc-id", vpc))
	if len(tables) != 1 {
		t.Fatalf("a new VPC has %d route tables, want 1", len(tables))
	}
	main := tables[0]
	mainID := aws.ToString(main.RouteTableId)
	if !strings.HasPrefix(mainID, "rtb-") || aws.ToString(main.VpcId) != vpc || aws.ToString(main.OwnerId) != account || len(main.PropagatingVgws) != 0 {
		t.Errorf("main table %+v", main)
	}
	if len(main.Routes) != 1 || aws.ToString(main.Routes[0].DestinationCidrBlock) != "10.90.0.0/16" || aws.ToString(main.Routes[0].GatewayId) != "local" ||
		main.Routes[0].State != ec2types.RouteStateActive || main.Routes[0].Origin != ec2types.RouteOriginCreateRouteTable {
		t.Errorf("main routes %+v", main.Routes)
	}
	if len(main.Associations) != 1 || !aws.ToBool(main.Associations[0].Main) || main.Associations[0].SubnetId != nil ||
		aws.ToString(main.Associations[0].RouteTableId) != mainID || !strings.HasPrefix(aws.ToString(main.Associations[0].RouteTableAssociationId), "rtbassoc-") ||
		main.Associations[0].AssociationState == nil || main.Associations[0].AssociationState.State != ec2types.RouteTableAssociationStateCodeAssociated {
		t.Errorf("main associations %+v", main.Associations)
	}

	// An internet gateway, attached, and the main table's default route to it.
	igwOut, err := c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{TagSpecifications: []ec2types.TagSpecification{{
		ResourceType: ec2types.ResourceTypeInternetGateway, Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("routing-gw")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	igw := aws.ToString(igwOut.InternetGateway.InternetGatewayId)
	if !strings.HasPrefix(igw, "igw-") || len(igwOut.InternetGateway.Attachments) != 0 || tagMap(igwOut.InternetGateway.Tags)["Name"] != "routing-gw" ||
		aws.ToString(igwOut.InternetGateway.OwnerId) != account {
		t.Errorf("CreateInternetGateway: %+v", igwOut.InternetGateway)
	}
	_, err = c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: aws.String(mainID), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String(igw)})
	wantError(t, "route to an unattached gateway", err, "InvalidParameterValue", "belong to different networks")
	if _, err := c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(vpc)}); err != nil {
		t.Fatal(err)
	}
	igws, err := c.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: []ec2types.Filter{ec2Filter("attachment.vpc-id", vpc)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(igws.InternetGateways) != 1 || aws.ToString(igws.InternetGateways[0].InternetGatewayId) != igw ||
		len(igws.InternetGateways[0].Attachments) != 1 || aws.ToString(igws.InternetGateways[0].Attachments[0].VpcId) != vpc ||
		igws.InternetGateways[0].Attachments[0].State != ec2types.AttachmentStatus("available") {
		t.Errorf("DescribeInternetGateways by attachment: %+v", igws.InternetGateways)
	}
	route, err := c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: aws.String(mainID), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String(igw)})
	if err != nil || !aws.ToBool(route.Return) {
		t.Fatalf("CreateRoute: %+v, %v", route, err)
	}
	_, err = c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: aws.String(mainID), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String(igw)})
	wantError(t, "CreateRoute twice", err, "RouteAlreadyExists", "The route identified by 0.0.0.0/0 already exists.")

	// A private table for the private subnet.
	rtOut, err := c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(vpc), TagSpecifications: []ec2types.TagSpecification{{
		ResourceType: ec2types.ResourceTypeRouteTable, Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("routing-private")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	privateID := aws.ToString(rtOut.RouteTable.RouteTableId)
	if len(rtOut.RouteTable.Routes) != 1 || len(rtOut.RouteTable.Associations) != 0 || tagMap(rtOut.RouteTable.Tags)["Name"] != "routing-private" {
		t.Errorf("CreateRouteTable: %+v", rtOut.RouteTable)
	}
	assoc, err := c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: aws.String(privateID), SubnetId: aws.String(private)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(aws.ToString(assoc.AssociationId), "rtbassoc-") || assoc.AssociationState.State != ec2types.RouteTableAssociationStateCodeAssociated {
		t.Errorf("AssociateRouteTable: %+v", assoc)
	}
	_, err = c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: aws.String(mainID), SubnetId: aws.String(private)})
	wantError(t, "second association", err, "Resource.AlreadyAssociated", "conflicts with an existing association")

	models := testServer.models.EC2
	for id, want := range map[string]bool{public: true, private: false} {
		if got, err := models.SubnetIsPublic(ctx, id); err != nil || got != want {
			t.Errorf("SubnetIsPublic(%s) = %v, %v; want %v", id, got, err, want)
		}
	}

	// The filters.
	for _, tc := range []struct {
		filters []ec2types.Filter
		want    []string
	}{
		{[]ec2types.Filter{ec2Filter("association.subnet-id", private)}, []string{privateID}},
		{[]ec2types.Filter{ec2Filter("vpc-id", vpc), ec2Filter("association.main", "true")}, []string{mainID}},
		{[]ec2types.Filter{ec2Filter("vpc-id", vpc), ec2Filter("association.main", "false")}, []string{privateID}},
		{[]ec2types.Filter{ec2Filter("route.gateway-id", igw)}, []string{mainID}},
		{[]ec2types.Filter{ec2Filter("vpc-id", vpc), ec2Filter("route.destination-cidr-block", "0.0.0.0/0")}, []string{mainID}},
		{[]ec2types.Filter{ec2Filter("route-table-id", privateID, mainID)}, []string{mainID, privateID}},
		{[]ec2types.Filter{ec2Filter("association.route-table-association-id", aws.ToString(assoc.AssociationId))}, []string{privateID}},
		{[]ec2types.Filter{ec2Filter("tag:Name", "routing-priv*")}, []string{privateID}},
		{[]ec2types.Filter{ec2Filter("vpc-id", vpc), ec2Filter("tag-key", "Name")}, []string{privateID}},
	} {
		var got []string
		for _, rt := range routeTables(t, c, tc.filters...) {
			got = append(got, aws.ToString(rt.RouteTableId))
		}
		slices.Sort(got)
		slices.Sort(tc.want)
		if !slices.Equal(got, tc.want) {
			t.Errorf("DescribeRouteTables %v: %v, want %v", tc.filters, got, tc.want)
		}
	}
	_, err = c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{ec2Filter("route.gateway", igw)}})
	wantError(t, "misspelt filter", err, "InvalidParameterValue", "The filter 'route.gateway' is invalid")
	_, err = c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{mainID, "rtb-00000000000000000"}})
	wantError(t, "unknown table", err, "InvalidRouteTableID.NotFound", "The routeTable ID 'rtb-00000000000000000' does not exist")
	_, err = c.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{InternetGatewayIds: []string{"igw-00000000000000000"}})
	wantError(t, "unknown gateway", err, "InvalidInternetGatewayID.NotFound", "The internetGateway ID 'igw-00000000000000000' does not exist")
	byTag, err := c.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: []ec2types.Filter{ec2Filter("tag:Name", "routing-gw"), ec2Filter("attachment.state", "available")}})
	if err != nil || len(byTag.InternetGateways) != 1 {
		t.Errorf("DescribeInternetGateways by tag and state: %+v, %v", byTag, err)
	}

	// Tags on tables and gateways.
	if _, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{mainID, igw}, Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("net")}}}); err != nil {
		t.Fatal(err)
	}
	if got := routeTables(t, c, ec2Filter("tag:team", "net")); len(got) != 1 || aws.ToString(got[0].RouteTableId) != mainID {
		t.Errorf("tables tagged team=net: %+v", got)
	}
	if _, err := c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{igw}, Tags: []ec2types.Tag{{Key: aws.String("team")}}}); err != nil {
		t.Fatal(err)
	}

	// What may not go while it is used.
	_, err = c.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(igw)})
	wantError(t, "delete an attached gateway", err, "DependencyViolation", "The internetGateway '"+igw+"' has dependencies and cannot be deleted.")
	_, err = c.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: aws.String(privateID)})
	wantError(t, "delete an associated table", err, "DependencyViolation", "The routeTable '"+privateID+"' has dependencies and cannot be deleted.")
	_, err = c.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: main.Associations[0].RouteTableAssociationId})
	wantError(t, "disassociate main", err, "InvalidParameterValue", "cannot disassociate the main route table association")

	// Moving the private subnet's association, and back.
	moved, err := c.ReplaceRouteTableAssociation(ctx, &ec2.ReplaceRouteTableAssociationInput{AssociationId: assoc.AssociationId, RouteTableId: aws.String(mainID)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(moved.NewAssociationId) == aws.ToString(assoc.AssociationId) || moved.AssociationState.State != ec2types.RouteTableAssociationStateCodeAssociated {
		t.Errorf("ReplaceRouteTableAssociation: %+v", moved)
	}
	if got := routeTables(t, c, ec2Filter("association.subnet-id", private)); len(got) != 1 || aws.ToString(got[0].RouteTableId) != mainID {
		t.Errorf("after ReplaceRouteTableAssociation the subnet's table is %+v", got)
	}
	if _, err := c.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: moved.NewAssociationId}); err != nil {
		t.Fatal(err)
	}

	// Detached, the gateway leaves a blackhole.
	if _, err := c.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(vpc)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(vpc)})
	wantError(t, "detach twice", err, "Gateway.NotAttached", "is not attached to network "+vpc)
	if r := routeTo(routeTables(t, c, ec2Filter("route-table-id", mainID))[0], "0.0.0.0/0"); r == nil || r.State != ec2types.RouteStateBlackhole {
		t.Errorf("route to a detached gateway: %+v", r)
	}
	if got := routeTables(t, c, ec2Filter("vpc-id", vpc), ec2Filter("route.state", "blackhole")); len(got) != 1 {
		t.Errorf("tables with a blackhole: %d, want 1", len(got))
	}
	_, err = c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(vpc)})
	wantError(t, "delete a VPC with subnets and tables", err, "DependencyViolation", "has dependencies")

	// Everything goes, in AWS's order.
	if _, err := c.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: aws.String(mainID), DestinationCidrBlock: aws.String("0.0.0.0/0")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: aws.String(mainID), DestinationCidrBlock: aws.String("0.0.0.0/0")})
	wantError(t, "delete a route twice", err, "InvalidRoute.NotFound", "no route with destination-cidr-block 0.0.0.0/0")
	for _, del := range []func() error{
		func() error {
			_, err := c.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(igw)})
			return err
		},
		func() error {
			_, err := c.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: aws.String(privateID)})
			return err
		},
		func() error {
			_, err := c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(public)})
			return err
		},
		func() error {
			_, err := c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(private)})
			return err
		},
		func() error { _, err := c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(vpc)}); return err },
	} {
		if err := del(); err != nil {
			t.Fatal(err)
		}
	}
	if got := routeTables(t, c, ec2Filter("vpc-id", vpc)); len(got) != 0 {
		t.Errorf("route tables of a deleted VPC: %+v", got)
	}
}

// TestDefaultVPCRoutingOnTheWire reads the default VPC keks made at start:
// an internet gateway, the main table routing 0.0.0.0/0 to it, and
// keks-default-private for the three private subnets.
func TestDefaultVPCRoutingOnTheWire(t *testing.T) {
	ctx := context.Background()
	c := ec2.NewFromConfig(awsConfig())
	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{ec2Filter("is-default", "true")}})
	if err != nil || len(vpcs.Vpcs) != 1 {
		t.Fatalf("default VPC: %+v, %v", vpcs, err)
	}
	vpc := aws.ToString(vpcs.Vpcs[0].VpcId)
	igws, err := c.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: []ec2types.Filter{ec2Filter("attachment.vpc-id", vpc)}})
	if err != nil || len(igws.InternetGateways) != 1 {
		t.Fatalf("default VPC's gateways: %+v, %v", igws, err)
	}
	igw := aws.ToString(igws.InternetGateways[0].InternetGatewayId)
	mains := routeTables(t, c, ec2Filter("vpc-id", vpc), ec2Filter("association.main", "true"))
	if len(mains) != 1 {
		t.Fatalf("default VPC has %d main tables", len(mains))
	}
	if r := routeTo(mains[0], "0.0.0.0/0"); r == nil || aws.ToString(r.GatewayId) != igw || r.State != ec2types.RouteStateActive || r.Origin != ec2types.RouteOriginCreateRoute {
		t.Errorf("main table's default route %+v", r)
	}
	privates := routeTables(t, c, ec2Filter("vpc-id", vpc), ec2Filter("tag:Name", "keks-default-private"))
	if len(privates) != 1 || len(privates[0].Routes) != 1 || len(privates[0].Associations) != 3 {
		t.Fatalf("keks-default-private: %+v", privates)
	}
	subnets, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{ec2Filter("vpc-id", vpc), ec2Filter("tag:Name", "keks-default-private-*")}})
	if err != nil || len(subnets.Subnets) != 3 {
		t.Fatalf("private subnets: %+v, %v", subnets, err)
	}
	for _, sn := range subnets.Subnets {
		id := aws.ToString(sn.SubnetId)
		if !slices.ContainsFunc(privates[0].Associations, func(a ec2types.RouteTableAssociation) bool { return aws.ToString(a.SubnetId) == id }) {
			t.Errorf("private subnet %s is not associated with keks-default-private", id)
		}
		if public, err := testServer.models.EC2.SubnetIsPublic(ctx, id); err != nil || public {
			t.Errorf("SubnetIsPublic(%s) = %v, %v", id, public, err)
		}
	}
	publics, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{ec2Filter("vpc-id", vpc), ec2Filter("tag:Name", "keks-default-public-*")}})
	if err != nil || len(publics.Subnets) != 3 {
		t.Fatalf("public subnets: %+v, %v", publics, err)
	}
	for _, sn := range publics.Subnets {
		if public, err := testServer.models.EC2.SubnetIsPublic(ctx, aws.ToString(sn.SubnetId)); err != nil || !public {
			t.Errorf("SubnetIsPublic(%s) = %v, %v", aws.ToString(sn.SubnetId), public, err)
		}
	}
}
