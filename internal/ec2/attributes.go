package ec2

import (
	"context"

	"github.com/keksdev/keks/internal/awserr"

	"github.com/keksdev/keks/internal/store"
)

// EnableDNSSupport reports the VPC's enableDnsSupport attribute.
func (v *VPC) EnableDNSSupport() bool { return !v.DNSSupportOff }

// EnableDNSHostnames reports the VPC's enableDnsHostnames attribute.
func (v *VPC) EnableDNSHostnames() bool {
	if v.DNSHostnames != nil {
		return *v.DNSHostnames
	}
	return v.IsDefault
}

// VPCAttributes is what ModifyVpcAttribute changes; nil fields stay.
type VPCAttributes struct {
	EnableDNSSupport   *bool
	EnableDNSHostnames *bool
}

// ModifyVPCAttributes changes a VPC's DNS attributes. EC2 keeps DNS
// hostnames only where DNS support is on.
func (s *Service) ModifyVPCAttributes(ctx context.Context, id string, in VPCAttributes) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		v, rev, err := s.vpcAt(ctx, id)
		if err != nil {
			return err
		}
		if in.EnableDNSSupport != nil {
			v.DNSSupportOff = !*in.EnableDNSSupport
		}
		if in.EnableDNSHostnames != nil {
			on := *in.EnableDNSHostnames
			v.DNSHostnames = &on
		}
		if v.EnableDNSHostnames() && !v.EnableDNSSupport() {
			return awserr.Errorf(CodeInvalidParameterValue, "Cannot enable DNS hostnames while DNS support is disabled for %s.", id)
		}
		t.Unchanged(vpcKey(id), rev)
		t.Put(vpcKey(id), v)
		return nil
	})
}

// SetMapPublicIPOnLaunch changes a subnet's mapPublicIpOnLaunch attribute.
func (s *Service) SetMapPublicIPOnLaunch(ctx context.Context, id string, on bool) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		sn, rev, err := s.subnetAt(ctx, id)
		if err != nil {
			return err
		}
		sn.MapPublicIP = on
		t.Unchanged(subnetKey(id), rev)
		t.Put(subnetKey(id), sn)
		return nil
	})
}
