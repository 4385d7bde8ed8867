package ec2

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// CreateSubnet carves a subnet out of a VPC in one availability zone.
func (s *Service) CreateSubnet(ctx context.Context, sn Subnet) (*Subnet, error) {
	sn.ID = newResourceID("subnet")
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		// Claiming the VPC orders this create after any other of its
		// subnets, so the overlap check below sees them all.
		v, err := s.claimVPC(ctx, t, sn.VPCID)
		if err != nil {
			return err
		}
		p, err := subnetBlock(netip.MustParsePrefix(v.CIDR), sn.CIDR)
		if err != nil {
			return err
		}
		zones := Zones(v.Region)
		if sn.AvailabilityZone == "" {
			sn.AvailabilityZone = zones[0].Name
		}
		i := slices.IndexFunc(zones, func(z Zone) bool { return z.Name == sn.AvailabilityZone || z.ID == sn.AvailabilityZone })
		if i < 0 {
			return awserr.Errorf(CodeInvalidParameterValue, "Value (%s) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: %s, %s, %s.",
				sn.AvailabilityZone, zones[0].Name, zones[1].Name, zones[2].Name)
		}
		sn.AvailabilityZone = zones[i].Name
		existing, err := store.List[Subnet](ctx, s.Store, subnetPrefix)
		if err != nil {
			return err
		}
		for _, o := range existing {
			if o.VPCID == sn.VPCID && netip.MustParsePrefix(o.CIDR).Overlaps(p) {
				return awserr.Errorf(CodeInvalidSubnetConflict, "The CIDR '%s' conflicts with another subnet", sn.CIDR)
			}
		}
		sn.Region, sn.OwnerID = v.Region, v.OwnerID
		t.Create(subnetKey(sn.ID), &sn)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sn, nil
}

// Subnets lists the subnets of a region.
func (s *Service) Subnets(ctx context.Context, region string) ([]Subnet, error) {
	all, err := store.List[Subnet](ctx, s.Store, subnetPrefix)
	return inRegion(all, region, func(v Subnet) string { return v.Region }), err
}

// GetSubnet reads one subnet.
func (s *Service) GetSubnet(ctx context.Context, id string) (*Subnet, error) {
	sn, _, err := s.subnetAt(ctx, id)
	return sn, err
}

func (s *Service) subnetAt(ctx context.Context, id string) (*Subnet, int64, error) {
	var sn Subnet
	rev, err := s.Store.Get(ctx, subnetKey(id), &sn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, awserr.Errorf(CodeInvalidSubnetNotFound, "The subnet ID '%s' does not exist", id)
	} else if err != nil {
		return nil, 0, err
	}
	return &sn, rev, nil
}

// DeleteSubnet removes a subnet that no instance uses, and its route table
// association; inUse reports whether anything else (a cluster) still does.
func (s *Service) DeleteSubnet(ctx context.Context, id string, inUse func(subnetID string) (bool, error)) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		sn, rev, err := s.subnetAt(ctx, id)
		if err != nil {
			return err
		}
		// Instances claim their subnet as they take an address; depending on
		// its revision keeps one from starting in a subnet being deleted.
		t.Unchanged(subnetKey(id), rev)
		instances, err := s.Instances(ctx, sn.Region)
		if err != nil {
			return err
		}
		used := slices.ContainsFunc(instances, func(in Instance) bool { return in.SubnetID == id && in.State != StateTerminated })
		if !used {
			// A NAT gateway keeps its subnet until it is deleted.
			if used, err = s.natGatewayIn(ctx, func(g *NatGateway) bool { return g.SubnetID == id }); err != nil {
				return err
			}
		}
		if !used && inUse != nil {
			if used, err = inUse(id); err != nil {
				return fmt.Errorf("find what uses subnet %s: %w", id, err)
			}
		}
		if used {
			return awserr.Errorf(CodeDependencyViolation, "The subnet '%s' has dependencies and cannot be deleted.", id)
		}
		// Its explicit route table association goes with it.
		if err := s.dropAssociations(ctx, t, id); err != nil {
			return err
		}
		t.Delete(subnetKey(id))
		t.Delete(vniKey(id)) // not handed out again: the counter only grows
		return nil
	})
}

// GatewayAddress is the subnet's first address, which keks gives the
// subnet's bridge on the host: instances route through it, and the host's
// own processes reach them from it.
func (s *Subnet) GatewayAddress() (netip.Addr, error) {
	p, err := netip.ParsePrefix(s.CIDR)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("subnet %s: %w", s.ID, err)
	}
	return p.Masked().Addr().Next(), nil
}
