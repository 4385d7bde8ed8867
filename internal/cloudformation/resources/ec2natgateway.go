package resources

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/keksdev/keks/internal/cloudformation/resource"
)

// AWS::EC2::NatGateway: Ref and GetAtt NatGatewayId are the gateway id.
// Create is done once the gateway is available, Delete once it is
// deleted (its subnet and Elastic IP can go only then).
type natGatewayProvider struct{}

func (natGatewayProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	const typ = "AWS::EC2::NatGateway"
	p := ec2Props(req.Properties)
	if err := p.unsupported(typ, "PrivateIpAddress", "SecondaryAllocationIds", "SecondaryPrivateIpAddresses",
		"SecondaryPrivateIpAddressCount", "MaxDrainDurationSeconds"); err != nil {
		return resource.Result{}, err
	}
	subnet, err := p.required(typ, "SubnetId")
	if err != nil {
		return resource.Result{}, err
	}
	tags, err := ec2CfnTags(req.Properties)
	if err != nil {
		return resource.Result{}, err
	}
	in := &ec2.CreateNatGatewayInput{SubnetId: aws.String(subnet), TagSpecifications: ec2TagSpec(ec2types.ResourceTypeNatgateway, tags)}
	if a := p.str("AllocationId"); a != "" {
		in.AllocationId = aws.String(a)
	}
	if c := p.str("ConnectivityType"); c != "" {
		in.ConnectivityType = ec2types.ConnectivityType(c)
	}
	// The engine's token is stable across retries of this create, so a
	// retry finds the gateway the first attempt made.
	if t := req.ClientToken; t != "" && len(t) <= 64 {
		in.ClientToken = aws.String(t)
	}
	out, err := req.Clients.EC2.CreateNatGateway(ctx, in)
	if err != nil {
		return resource.Result{}, fmt.Errorf("create NAT gateway: %w", err)
	}
	id := aws.ToString(out.NatGateway.NatGatewayId)
	return natGatewayState(id, out.NatGateway.State, "Create")
}

// natGatewayState is the result of a gateway in state st for op.
func natGatewayState(id string, st ec2types.NatGatewayState, op string) (resource.Result, error) {
	r := resource.Result{PhysicalID: id, Attributes: ec2IDAttribute("NatGatewayId", id)}
	switch {
	case st == ec2types.NatGatewayStateFailed:
		return resource.Result{PhysicalID: id}, fmt.Errorf("NAT gateway %s failed", id)
	case op == "Delete":
		r.Done = st == ec2types.NatGatewayStateDeleted
	case st == ec2types.NatGatewayStateDeleting || st == ec2types.NatGatewayStateDeleted:
		return resource.Result{PhysicalID: id}, fmt.Errorf("NAT gateway %s is %s", id, st)
	default:
		r.Done = st == ec2types.NatGatewayStateAvailable
	}
	return r, nil
}

func (natGatewayProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	if ec2Changed(req.OldProperties, req.Properties, "SubnetId", "AllocationId", "ConnectivityType", "PrivateIpAddress") {
		return resource.Result{}, resource.ErrReplace
	}
	if err := ec2Retag(ctx, req.Clients.EC2, req.PhysicalID, req.OldProperties, req.Properties); err != nil {
		return resource.Result{}, err
	}
	return resource.Result{PhysicalID: req.PhysicalID, Attributes: ec2IDAttribute("NatGatewayId", req.PhysicalID), Done: true}, nil
}

func (natGatewayProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	_, err := req.Clients.EC2.DeleteNatGateway(ctx, &ec2.DeleteNatGatewayInput{NatGatewayId: aws.String(req.PhysicalID)})
	if ec2IsGone(err, "NatGatewayNotFound", "InvalidNatGatewayID.NotFound", "InvalidNatGatewayID.Malformed") {
		return resource.Result{PhysicalID: req.PhysicalID, Done: true}, nil
	} else if err != nil {
		return resource.Result{}, fmt.Errorf("delete NAT gateway %s: %w", req.PhysicalID, err)
	}
	return resource.Result{PhysicalID: req.PhysicalID, Done: false}, nil
}

func (natGatewayProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	out, err := req.Clients.EC2.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{req.PhysicalID}})
	if op == "Delete" && ec2IsGone(err, "NatGatewayNotFound") {
		return resource.Result{PhysicalID: req.PhysicalID, Done: true}, nil
	} else if err != nil {
		return resource.Result{}, fmt.Errorf("describe NAT gateway %s: %w", req.PhysicalID, err)
	}
	if len(out.NatGateways) != 1 {
		if op == "Delete" {
			return resource.Result{PhysicalID: req.PhysicalID, Done: true}, nil
		}
		return resource.Result{}, fmt.Errorf("NAT gateway %s not found", req.PhysicalID)
	}
	return natGatewayState(req.PhysicalID, out.NatGateways[0].State, op)
}

// AWS::EC2::EIP: Ref is the public IP; GetAtt AllocationId and PublicIp.
// The allocation id is kept in State for the release.
type eipProvider struct{}

func (eipProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	const typ = "AWS::EC2::EIP"
	p := ec2Props(req.Properties)
	if err := p.unsupported(typ, "InstanceId", "TransferAddress", "IpamPoolId", "Address"); err != nil {
		return resource.Result{}, err
	}
	if d := p.str("Domain"); d != "" && d != "vpc" {
		return resource.Result{}, fmt.Errorf("%s: Domain must be vpc, not %s", typ, d)
	}
	tags, err := ec2CfnTags(req.Properties)
	if err != nil {
		return resource.Result{}, err
	}
	in := &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc, TagSpecifications: ec2TagSpec(ec2types.ResourceTypeElasticIp, tags)}
	if pool := p.str("PublicIpv4Pool"); pool != "" {
		in.PublicIpv4Pool = aws.String(pool)
	}
	if g := p.str("NetworkBorderGroup"); g != "" {
		in.NetworkBorderGroup = aws.String(g)
	}
	out, err := req.Clients.EC2.AllocateAddress(ctx, in)
	if err != nil {
		return resource.Result{}, fmt.Errorf("allocate address: %w", err)
	}
	return eipResult(aws.ToString(out.PublicIp), aws.ToString(out.AllocationId)), nil
}

func eipResult(ip, allocation string) resource.Result {
	return resource.Result{PhysicalID: ip, Attributes: map[string]any{"AllocationId": allocation, "PublicIp": ip},
		State: map[string]string{"allocationId": allocation}, Done: true}
}

func (eipProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	if ec2Changed(req.OldProperties, req.Properties, "Domain", "InstanceId", "PublicIpv4Pool", "NetworkBorderGroup", "TransferAddress", "IpamPoolId", "Address") {
		return resource.Result{}, resource.ErrReplace
	}
	allocation := req.State["allocationId"]
	if err := ec2Retag(ctx, req.Clients.EC2, allocation, req.OldProperties, req.Properties); err != nil {
		return resource.Result{}, err
	}
	return eipResult(req.PhysicalID, allocation), nil
}

func (eipProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	in := &ec2.ReleaseAddressInput{}
	if a := req.State["allocationId"]; a != "" {
		in.AllocationId = aws.String(a)
	} else if req.PhysicalID != "" {
		in.PublicIp = aws.String(req.PhysicalID)
	} else {
		return resource.Result{Done: true}, nil // never made
	}
	// An address a NAT gateway still holds (EC2 answers AuthFailure) or
	// that is otherwise in use is released once it is let go of.
	return ec2DeleteRetrying(req, func() error {
		_, err := req.Clients.EC2.ReleaseAddress(ctx, in)
		return err
	}, []string{"AuthFailure", "InvalidIPAddress.InUse"}, "InvalidAllocationID.NotFound", "InvalidAddress.NotFound")
}

func (e eipProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	if op == "Delete" {
		return e.Delete(ctx, req)
	}
	return eipResult(req.PhysicalID, req.State["allocationId"]), nil
}
