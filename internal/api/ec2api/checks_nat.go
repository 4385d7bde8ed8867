package ec2api

import (
	"context"

	"github.com/keksdev/keks/internal/awsproto"
)

// The checks of NAT gateways, Elastic IP addresses and the subnet and VPC
// attributes, as the Service Authorization Reference lists them:
// CreateNatGateway acts on the new natgateway, its subnet and the
// elastic-ip it takes; AllocateAddress on the new elastic-ip.

func (e *ec2Call) createNatGateway() []awsproto.Check {
	const action = "ec2:CreateNatGateway"
	checks := e.creating("CreateNatGateway", "natgateway", nil)
	checks = append(checks, e.onSubnet(action, e.c.Form.Get("SubnetId")))
	if id := e.c.Form.Get("AllocationId"); id != "" {
		checks = append(checks, e.onElasticIP(action, id))
	}
	return checks
}

func (e *ec2Call) deleteNatGateway() []awsproto.Check {
	return []awsproto.Check{e.onNatGateway("ec2:DeleteNatGateway", e.c.Form.Get("NatGatewayId"))}
}

func (e *ec2Call) allocateAddress() []awsproto.Check {
	return e.creating("AllocateAddress", "elastic-ip", nil)
}

// releaseAddress acts on the address named by allocation id or public IP.
func (e *ec2Call) releaseAddress() []awsproto.Check {
	return []awsproto.Check{e.onElasticIP("ec2:ReleaseAddress", e.allocationNamed())}
}

// associateAddress acts on the address and the instance it goes to.
func (e *ec2Call) associateAddress() []awsproto.Check {
	const action = "ec2:AssociateAddress"
	return []awsproto.Check{e.onElasticIP(action, e.allocationNamed()), e.onInstance(action, e.c.Form.Get("InstanceId"))}
}

// disassociateAddress acts on the address whose association ends.
func (e *ec2Call) disassociateAddress() []awsproto.Check {
	id := ""
	if e.h.EC2 != nil {
		if all, err := e.h.EC2.Addresses(e.ctx, e.c.Region); err == nil {
			assoc, ip := e.c.Form.Get("AssociationId"), e.c.Form.Get("PublicIp")
			for _, a := range all {
				if (assoc != "" && a.AssociationID == assoc) || (assoc == "" && ip != "" && a.PublicIP == ip) {
					id = a.AllocationID
				}
			}
		}
	}
	return []awsproto.Check{e.onElasticIP("ec2:DisassociateAddress", id)}
}

// allocationNamed is the allocation a call names by AllocationId or PublicIp.
func (e *ec2Call) allocationNamed() string {
	id := e.c.Form.Get("AllocationId")
	if ip := e.c.Form.Get("PublicIp"); id == "" && ip != "" && e.h.EC2 != nil {
		if a, err := e.h.EC2.AddressByIP(e.ctx, e.c.Region, ip); err == nil {
			id = a.AllocationID
		}
	}
	return id
}

func (e *ec2Call) modifySubnetAttribute() []awsproto.Check {
	return []awsproto.Check{e.onSubnet("ec2:ModifySubnetAttribute", e.c.Form.Get("SubnetId"))}
}

func (e *ec2Call) modifyVpcAttribute() []awsproto.Check {
	return []awsproto.Check{e.onVPC("ec2:ModifyVpcAttribute", e.c.Form.Get("VpcId"))}
}

func (e *ec2Call) onNatGateway(action, id string) awsproto.Check {
	ch := awsproto.Check{Action: action, Resource: e.arn("natgateway", id)}
	if ch.Resource != "*" {
		ch.ResourceTags = e.tagsOf(id)
	}
	return ch
}

func (e *ec2Call) onElasticIP(action, id string) awsproto.Check {
	ch := awsproto.Check{Action: action, Resource: e.arn("elastic-ip", id)}
	if ch.Resource == "*" {
		return ch
	}
	ch.ResourceTags = e.tagsOf(id)
	if e.h.EC2 != nil {
		if a, err := e.h.EC2.GetAddress(e.ctx, id); err == nil && a.Region == e.c.Region {
			ch.Context = map[string][]string{"ec2:AllocationId": {id}, "ec2:Domain": {a.Domain}, "ec2:PublicIpAddress": {a.PublicIP}}
		}
	}
	return ch
}

// networkTagsOf is the tags of a NAT gateway or Elastic IP address of the
// region, or nil.
func (h *Handler) networkTagsOf(ctx context.Context, region, id string) map[string]string {
	if h.EC2 == nil {
		return nil
	}
	switch typeOfID(id) {
	case "natgateway":
		if g, err := h.EC2.GetNatGateway(ctx, id); err == nil && g.Region == region {
			return g.Tags
		}
	case "elastic-ip":
		if a, err := h.EC2.GetAddress(ctx, id); err == nil && a.Region == region {
			return a.Tags
		}
	}
	return nil
}
