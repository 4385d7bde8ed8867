package resources

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/keksdev/keks/internal/cloudformation/resource"
)

// AWS::EC2::RouteTable: Ref is the table id.
type routeTableProvider struct{}

func (routeTableProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	vpc, err := ec2Props(req.Properties).required("AWS::EC2::RouteTable", "VpcId")
	if err != nil {
		return resource.Result{}, err
	}
	tags, err := ec2CfnTags(req.Properties)
	if err != nil {
		return resource.Result{}, err
	}
	out, err := req.Clients.EC2.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(vpc), TagSpecifications: ec2TagSpec(ec2types.ResourceTypeRouteTable, tags)})
	if err != nil {
		return resource.Result{}, fmt.Errorf("create route table: %w", err)
	}
	id := aws.ToString(out.RouteTable.RouteTableId)
	return resource.Result{PhysicalID: id, Attributes: ec2IDAttribute("RouteTableId", id), Done: true}, nil
}

func (routeTableProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	if ec2Changed(req.OldProperties, req.Properties, "VpcId") {
		return resource.Result{}, resource.ErrReplace
	}
	if err := ec2Retag(ctx, req.Clients.EC2, req.PhysicalID, req.OldProperties, req.Properties); err != nil {
		return resource.Result{}, err
	}
	return resource.Result{PhysicalID: req.PhysicalID, Attributes: ec2IDAttribute("RouteTableId", req.PhysicalID), Done: true}, nil
}

func (routeTableProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	return ec2DeleteWithRetry(req, func() error {
		_, err := req.Clients.EC2.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: aws.String(req.PhysicalID)})
		return err
	}, "InvalidRouteTableID.NotFound")
}

func (t routeTableProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	if op == "Delete" {
		return t.Delete(ctx, req)
	}
	return resource.Result{PhysicalID: req.PhysicalID, Attributes: ec2IDAttribute("RouteTableId", req.PhysicalID), Done: true}, nil
}

// AWS::EC2::Route: a route to an internet gateway (GatewayId) or a NAT
// gateway (NatGatewayId). Its physical id is <table id>|<destination>,
// as CloudFormation names it.
type routeProvider struct{}

// routeTargets are the targets keks routes to; the rest of the type's
// targets it refuses.
var ec2UnroutedProperties = []string{"DestinationIpv6CidrBlock", "DestinationPrefixListId", "InstanceId", "NetworkInterfaceId",
	"VpcPeeringConnectionId", "TransitGatewayId", "LocalGatewayId", "CarrierGatewayId", "EgressOnlyInternetGatewayId",
	"VpcEndpointId", "CoreNetworkArn"}

func ec2RouteParams(req *resource.Request) (table, dest, igw, nat string, err error) {
	const typ = "AWS::EC2::Route"
	p := ec2Props(req.Properties)
	if err := p.unsupported(typ, ec2UnroutedProperties...); err != nil {
		return "", "", "", "", err
	}
	if table, err = p.required(typ, "RouteTableId"); err != nil {
		return "", "", "", "", err
	}
	if dest, err = p.required(typ, "DestinationCidrBlock"); err != nil {
		return "", "", "", "", err
	}
	return table, dest, p.str("GatewayId"), p.str("NatGatewayId"), nil
}

func (routeProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	table, dest, igw, nat, err := ec2RouteParams(req)
	if err != nil {
		return resource.Result{}, err
	}
	in := &ec2.CreateRouteInput{RouteTableId: aws.String(table), DestinationCidrBlock: aws.String(dest)}
	if igw != "" {
		in.GatewayId = aws.String(igw)
	}
	if nat != "" {
		in.NatGatewayId = aws.String(nat)
	}
	if _, err := req.Clients.EC2.CreateRoute(ctx, in); err != nil {
		return resource.Result{}, fmt.Errorf("create route %s in %s: %w", dest, table, err)
	}
	return resource.Result{PhysicalID: table + "|" + dest, Done: true}, nil
}

// Update changes the route's target in place (ReplaceRoute); a new table
// or destination is a new route.
func (routeProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	if ec2Changed(req.OldProperties, req.Properties, "RouteTableId", "DestinationCidrBlock") {
		return resource.Result{}, resource.ErrReplace
	}
	table, dest, igw, nat, err := ec2RouteParams(req)
	if err != nil {
		return resource.Result{}, err
	}
	in := &ec2.ReplaceRouteInput{RouteTableId: aws.String(table), DestinationCidrBlock: aws.String(dest)}
	if igw != "" {
		in.GatewayId = aws.String(igw)
	}
	if nat != "" {
		in.NatGatewayId = aws.String(nat)
	}
	if _, err := req.Clients.EC2.ReplaceRoute(ctx, in); err != nil {
		return resource.Result{}, fmt.Errorf("replace route %s in %s: %w", dest, table, err)
	}
	return resource.Result{PhysicalID: req.PhysicalID, Done: true}, nil
}

func (routeProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	table, dest, ok := strings.Cut(req.PhysicalID, "|")
	if !ok {
		return resource.Result{PhysicalID: req.PhysicalID, Done: true}, nil // never made
	}
	return ec2DeleteWithRetry(req, func() error {
		_, err := req.Clients.EC2.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: aws.String(table), DestinationCidrBlock: aws.String(dest)})
		return err
	}, "InvalidRoute.NotFound", "InvalidRouteTableID.NotFound")
}

func (r routeProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	if op == "Delete" {
		return r.Delete(ctx, req)
	}
	return ec2SyncWait(ctx, op, req, nil)
}

// AWS::EC2::SubnetRouteTableAssociation: Ref (and GetAtt Id) is the
// association id.
type subnetRouteTableAssociationProvider struct{}

func (subnetRouteTableAssociationProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	const typ = "AWS::EC2::SubnetRouteTableAssociation"
	p := ec2Props(req.Properties)
	table, err := p.required(typ, "RouteTableId")
	if err != nil {
		return resource.Result{}, err
	}
	subnet, err := p.required(typ, "SubnetId")
	if err != nil {
		return resource.Result{}, err
	}
	out, err := req.Clients.EC2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: aws.String(table), SubnetId: aws.String(subnet)})
	if err != nil {
		return resource.Result{}, fmt.Errorf("associate %s with %s: %w", table, subnet, err)
	}
	id := aws.ToString(out.AssociationId)
	return resource.Result{PhysicalID: id, Attributes: ec2IDAttribute("Id", id), Done: true}, nil
}

func (subnetRouteTableAssociationProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	if ec2Changed(req.OldProperties, req.Properties, "RouteTableId", "SubnetId") {
		return resource.Result{}, resource.ErrReplace
	}
	return resource.Result{PhysicalID: req.PhysicalID, Attributes: ec2IDAttribute("Id", req.PhysicalID), Done: true}, nil
}

func (subnetRouteTableAssociationProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	return ec2DeleteWithRetry(req, func() error {
		_, err := req.Clients.EC2.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: aws.String(req.PhysicalID)})
		return err
	}, "InvalidAssociationID.NotFound")
}

func (a subnetRouteTableAssociationProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	if op == "Delete" {
		return a.Delete(ctx, req)
	}
	return resource.Result{PhysicalID: req.PhysicalID, Attributes: ec2IDAttribute("Id", req.PhysicalID), Done: true}, nil
}
