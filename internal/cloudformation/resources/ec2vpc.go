package resources

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/keksdev/keks/internal/cloudformation/resource"
)

// The network resource types: properties, Ref and Fn::GetAtt as AWS's
// CloudFormation reference gives them. Each calls keks's EC2 API as the
// stack's caller; keks's EC2 is synchronous, so but for NAT gateways and
// deletes that wait for dependencies, each is done when its call returns.
func init() {
	register(map[string]resource.Provider{
		"AWS::EC2::VPC":                         vpcProvider{},
		"AWS::EC2::Subnet":                      subnetProvider{},
		"AWS::EC2::InternetGateway":             internetGatewayProvider{},
		"AWS::EC2::VPCGatewayAttachment":        gatewayAttachmentProvider{},
		"AWS::EC2::RouteTable":                  routeTableProvider{},
		"AWS::EC2::Route":                       routeProvider{},
		"AWS::EC2::SubnetRouteTableAssociation": subnetRouteTableAssociationProvider{},
		"AWS::EC2::NatGateway":                  natGatewayProvider{},
		"AWS::EC2::EIP":                         eipProvider{},
		"AWS::EC2::SecurityGroup":               securityGroupProvider{},
		"AWS::EC2::SecurityGroupIngress":        securityGroupRuleProvider{egress: false},
		"AWS::EC2::SecurityGroupEgress":         securityGroupRuleProvider{egress: true},
	})
}

// ec2SyncWait is the Wait of a type whose operations finish as their call
// returns: done, with the attributes attrs reads again.
func ec2SyncWait(ctx context.Context, op string, req *resource.Request, attrs func(context.Context, *resource.Request, string) (map[string]any, error)) (resource.Result, error) {
	if op == "Delete" || attrs == nil {
		return resource.Result{PhysicalID: req.PhysicalID, Done: true}, nil
	}
	a, err := attrs(ctx, req, req.PhysicalID)
	if err != nil {
		return resource.Result{}, err
	}
	return resource.Result{PhysicalID: req.PhysicalID, Attributes: a, Done: true}, nil
}

// AWS::EC2::VPC: Ref is the VPC id.
type vpcProvider struct{}

func (vpcProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	p := ec2Props(req.Properties)
	if err := p.unsupported("AWS::EC2::VPC", "Ipv4IpamPoolId", "Ipv4NetmaskLength"); err != nil {
		return resource.Result{}, err
	}
	if t := p.str("InstanceTenancy"); t != "" && t != "default" {
		return resource.Result{}, fmt.Errorf("AWS::EC2::VPC: keks has only default tenancy, not %s", t)
	}
	cidr, err := p.required("AWS::EC2::VPC", "CidrBlock")
	if err != nil {
		return resource.Result{}, err
	}
	tags, err := ec2CfnTags(req.Properties)
	if err != nil {
		return resource.Result{}, err
	}
	out, err := req.Clients.EC2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr), TagSpecifications: ec2TagSpec(ec2types.ResourceTypeVpc, tags)})
	if err != nil {
		return resource.Result{}, fmt.Errorf("create VPC: %w", err)
	}
	id := aws.ToString(out.Vpc.VpcId)
	if err := setVPCAttributes(ctx, req, id, nil); err != nil {
		return resource.Result{PhysicalID: id}, err
	}
	return vpcResult(ctx, req, id)
}

// setVPCAttributes sets EnableDnsSupport and EnableDnsHostnames where the
// template gives them and (on an update) they changed, one per call as
// EC2 requires; support before hostnames, which need it.
func setVPCAttributes(ctx context.Context, req *resource.Request, id string, old map[string]any) error {
	p := ec2Props(req.Properties)
	for _, name := range []string{"EnableDnsSupport", "EnableDnsHostnames"} {
		v, set, err := p.boolean(name)
		if err != nil {
			return err
		}
		if !set || (old != nil && !ec2Changed(old, req.Properties, name)) {
			continue
		}
		in := &ec2.ModifyVpcAttributeInput{VpcId: aws.String(id)}
		if name == "EnableDnsSupport" {
			in.EnableDnsSupport = &ec2types.AttributeBooleanValue{Value: aws.Bool(v)}
		} else {
			in.EnableDnsHostnames = &ec2types.AttributeBooleanValue{Value: aws.Bool(v)}
		}
		if _, err := req.Clients.EC2.ModifyVpcAttribute(ctx, in); err != nil {
			return fmt.Errorf("set %s of %s: %w", name, id, err)
		}
	}
	return nil
}

func vpcResult(ctx context.Context, req *resource.Request, id string) (resource.Result, error) {
	a, err := vpcAttributes(ctx, req, id)
	if err != nil {
		return resource.Result{PhysicalID: id}, err
	}
	return resource.Result{PhysicalID: id, Attributes: a, Done: true}, nil
}

// vpcAttributes are CidrBlock, CidrBlockAssociations, DefaultSecurityGroup
// (its group named default), Ipv6CidrBlocks and VpcId.
func vpcAttributes(ctx context.Context, req *resource.Request, id string) (map[string]any, error) {
	vpcs, err := req.Clients.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id}})
	if err != nil {
		return nil, fmt.Errorf("describe VPC %s: %w", id, err)
	}
	if len(vpcs.Vpcs) != 1 {
		return nil, fmt.Errorf("VPC %s not found", id)
	}
	v := vpcs.Vpcs[0]
	var assocs []any
	for _, a := range v.CidrBlockAssociationSet {
		assocs = append(assocs, aws.ToString(a.AssociationId))
	}
	groups, err := req.Clients.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{id}}, {Name: aws.String("group-name"), Values: []string{"default"}}}})
	if err != nil {
		return nil, fmt.Errorf("find default security group of %s: %w", id, err)
	}
	def := ""
	if len(groups.SecurityGroups) > 0 {
		def = aws.ToString(groups.SecurityGroups[0].GroupId)
	}
	return map[string]any{"VpcId": id, "CidrBlock": aws.ToString(v.CidrBlock), "CidrBlockAssociations": assocs,
		"DefaultSecurityGroup": def, "Ipv6CidrBlocks": []any{}}, nil
}

func (vpcProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	if ec2Changed(req.OldProperties, req.Properties, "CidrBlock", "InstanceTenancy", "Ipv4IpamPoolId", "Ipv4NetmaskLength") {
		return resource.Result{}, resource.ErrReplace
	}
	if err := setVPCAttributes(ctx, req, req.PhysicalID, req.OldProperties); err != nil {
		return resource.Result{}, err
	}
	if err := ec2Retag(ctx, req.Clients.EC2, req.PhysicalID, req.OldProperties, req.Properties); err != nil {
		return resource.Result{}, err
	}
	return vpcResult(ctx, req, req.PhysicalID)
}

func (vpcProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	return ec2DeleteWithRetry(req, func() error {
		_, err := req.Clients.EC2.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(req.PhysicalID)})
		return err
	}, "InvalidVpcID.NotFound")
}

func (v vpcProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	if op == "Delete" {
		return v.Delete(ctx, req)
	}
	return ec2SyncWait(ctx, op, req, vpcAttributes)
}

// AWS::EC2::Subnet: Ref is the subnet id.
type subnetProvider struct{}

func (subnetProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	const typ = "AWS::EC2::Subnet"
	p := ec2Props(req.Properties)
	if err := p.unsupported(typ, "Ipv6CidrBlock", "Ipv6Native", "Ipv4IpamPoolId", "Ipv4NetmaskLength", "OutpostArn", "EnableDns64"); err != nil {
		return resource.Result{}, err
	}
	vpc, err := p.required(typ, "VpcId")
	if err != nil {
		return resource.Result{}, err
	}
	cidr, err := p.required(typ, "CidrBlock")
	if err != nil {
		return resource.Result{}, err
	}
	tags, err := ec2CfnTags(req.Properties)
	if err != nil {
		return resource.Result{}, err
	}
	in := &ec2.CreateSubnetInput{VpcId: aws.String(vpc), CidrBlock: aws.String(cidr), TagSpecifications: ec2TagSpec(ec2types.ResourceTypeSubnet, tags)}
	if az := p.str("AvailabilityZone"); az != "" {
		in.AvailabilityZone = aws.String(az)
	} else if id := p.str("AvailabilityZoneId"); id != "" {
		in.AvailabilityZoneId = aws.String(id)
	}
	out, err := req.Clients.EC2.CreateSubnet(ctx, in)
	if err != nil {
		return resource.Result{}, fmt.Errorf("create subnet: %w", err)
	}
	id := aws.ToString(out.Subnet.SubnetId)
	if err := setMapPublicIP(ctx, req, id, nil); err != nil {
		return resource.Result{PhysicalID: id}, err
	}
	return subnetResult(ctx, req, id)
}

func setMapPublicIP(ctx context.Context, req *resource.Request, id string, old map[string]any) error {
	v, set, err := ec2Props(req.Properties).boolean("MapPublicIpOnLaunch")
	if err != nil {
		return err
	}
	if old != nil && ec2Changed(old, req.Properties, "MapPublicIpOnLaunch") && !set {
		set, v = true, false // removed from the template: back to EC2's default
	}
	if !set || (old != nil && !ec2Changed(old, req.Properties, "MapPublicIpOnLaunch")) {
		return nil
	}
	_, err = req.Clients.EC2.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: aws.String(id),
		MapPublicIpOnLaunch: &ec2types.AttributeBooleanValue{Value: aws.Bool(v)}})
	if err != nil {
		return fmt.Errorf("set MapPublicIpOnLaunch of %s: %w", id, err)
	}
	return nil
}

func subnetResult(ctx context.Context, req *resource.Request, id string) (resource.Result, error) {
	a, err := subnetAttributes(ctx, req, id)
	if err != nil {
		return resource.Result{PhysicalID: id}, err
	}
	return resource.Result{PhysicalID: id, Attributes: a, Done: true}, nil
}

// subnetAttributes are AvailabilityZone, AvailabilityZoneId, CidrBlock,
// Ipv6CidrBlocks, SubnetId and VpcId.
func subnetAttributes(ctx context.Context, req *resource.Request, id string) (map[string]any, error) {
	out, err := req.Clients.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{id}})
	if err != nil {
		return nil, fmt.Errorf("describe subnet %s: %w", id, err)
	}
	if len(out.Subnets) != 1 {
		return nil, fmt.Errorf("subnet %s not found", id)
	}
	s := out.Subnets[0]
	return map[string]any{"SubnetId": id, "VpcId": aws.ToString(s.VpcId), "CidrBlock": aws.ToString(s.CidrBlock),
		"AvailabilityZone": aws.ToString(s.AvailabilityZone), "AvailabilityZoneId": aws.ToString(s.AvailabilityZoneId),
		"Ipv6CidrBlocks": []any{}}, nil
}

func (subnetProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	if ec2Changed(req.OldProperties, req.Properties, "VpcId", "CidrBlock", "AvailabilityZone", "AvailabilityZoneId") {
		return resource.Result{}, resource.ErrReplace
	}
	if err := setMapPublicIP(ctx, req, req.PhysicalID, req.OldProperties); err != nil {
		return resource.Result{}, err
	}
	if err := ec2Retag(ctx, req.Clients.EC2, req.PhysicalID, req.OldProperties, req.Properties); err != nil {
		return resource.Result{}, err
	}
	return subnetResult(ctx, req, req.PhysicalID)
}

func (subnetProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	return ec2DeleteWithRetry(req, func() error {
		_, err := req.Clients.EC2.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(req.PhysicalID)})
		return err
	}, "InvalidSubnetID.NotFound")
}

func (s subnetProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	if op == "Delete" {
		return s.Delete(ctx, req)
	}
	return ec2SyncWait(ctx, op, req, subnetAttributes)
}

// AWS::EC2::InternetGateway: Ref is the gateway id.
type internetGatewayProvider struct{}

func (internetGatewayProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	tags, err := ec2CfnTags(req.Properties)
	if err != nil {
		return resource.Result{}, err
	}
	out, err := req.Clients.EC2.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{TagSpecifications: ec2TagSpec(ec2types.ResourceTypeInternetGateway, tags)})
	if err != nil {
		return resource.Result{}, fmt.Errorf("create internet gateway: %w", err)
	}
	id := aws.ToString(out.InternetGateway.InternetGatewayId)
	return resource.Result{PhysicalID: id, Attributes: ec2IDAttribute("InternetGatewayId", id), Done: true}, nil
}

func ec2IDAttribute(name, id string) map[string]any { return map[string]any{name: id} }

func (internetGatewayProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	if err := ec2Retag(ctx, req.Clients.EC2, req.PhysicalID, req.OldProperties, req.Properties); err != nil {
		return resource.Result{}, err
	}
	return resource.Result{PhysicalID: req.PhysicalID, Attributes: ec2IDAttribute("InternetGatewayId", req.PhysicalID), Done: true}, nil
}

func (internetGatewayProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	return ec2DeleteWithRetry(req, func() error {
		_, err := req.Clients.EC2.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(req.PhysicalID)})
		return err
	}, "InvalidInternetGatewayID.NotFound")
}

func (g internetGatewayProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	if op == "Delete" {
		return g.Delete(ctx, req)
	}
	return resource.Result{PhysicalID: req.PhysicalID, Attributes: ec2IDAttribute("InternetGatewayId", req.PhysicalID), Done: true}, nil
}

// AWS::EC2::VPCGatewayAttachment attaches an internet gateway (keks has
// no VPN gateways). Its physical id is IGW|<vpc id>, as CloudFormation
// names it; the gateway is kept in State.
type gatewayAttachmentProvider struct{}

func (gatewayAttachmentProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	const typ = "AWS::EC2::VPCGatewayAttachment"
	p := ec2Props(req.Properties)
	if err := p.unsupported(typ, "VpnGatewayId"); err != nil {
		return resource.Result{}, err
	}
	vpc, err := p.required(typ, "VpcId")
	if err != nil {
		return resource.Result{}, err
	}
	igw, err := p.required(typ, "InternetGatewayId")
	if err != nil {
		return resource.Result{}, err
	}
	if _, err := req.Clients.EC2.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{VpcId: aws.String(vpc), InternetGatewayId: aws.String(igw)}); err != nil {
		return resource.Result{}, fmt.Errorf("attach %s to %s: %w", igw, vpc, err)
	}
	return resource.Result{PhysicalID: "IGW|" + vpc, State: map[string]string{"vpcId": vpc, "internetGatewayId": igw}, Done: true}, nil
}

func (gatewayAttachmentProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	if ec2Changed(req.OldProperties, req.Properties, "VpcId", "InternetGatewayId", "VpnGatewayId") {
		return resource.Result{}, resource.ErrReplace
	}
	return resource.Result{PhysicalID: req.PhysicalID, Done: true}, nil
}

func (gatewayAttachmentProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	vpc, igw := req.State["vpcId"], req.State["internetGatewayId"]
	if vpc == "" || igw == "" {
		p := ec2Props(req.Properties)
		vpc, igw = p.str("VpcId"), p.str("InternetGatewayId")
	}
	if vpc == "" || igw == "" {
		return resource.Result{PhysicalID: req.PhysicalID, Done: true}, nil // never made
	}
	return ec2DeleteWithRetry(req, func() error {
		_, err := req.Clients.EC2.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{VpcId: aws.String(vpc), InternetGatewayId: aws.String(igw)})
		return err
	}, "Gateway.NotAttached", "InvalidInternetGatewayID.NotFound", "InvalidVpcID.NotFound")
}

func (a gatewayAttachmentProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	if op == "Delete" {
		return a.Delete(ctx, req)
	}
	return ec2SyncWait(ctx, op, req, nil)
}
