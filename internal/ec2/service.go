package ec2

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// EC2 error codes.
const (
	CodeInvalidVpcNotFound       = "InvalidVpcID.NotFound"
	CodeInvalidSubnetNotFound    = "InvalidSubnetID.NotFound"
	CodeInvalidGroupNotFound     = "InvalidGroup.NotFound"
	CodeInvalidInstanceNotFound  = "InvalidInstanceID.NotFound"
	CodeInvalidInstanceMalformed = "InvalidInstanceID.Malformed"
	CodeInvalidGroupDuplicate    = "InvalidGroup.Duplicate"
	CodeInvalidParameterValue    = "InvalidParameterValue"
	CodeUnsupportedOperation     = "UnsupportedOperation"
	CodeInsufficientCapacity     = "InsufficientInstanceCapacity"
	CodeInvalidParameterCombo    = "InvalidParameterCombination"
	CodeInvalidSubnetConflict    = "InvalidSubnet.Conflict"
	CodeInvalidSubnetRange       = "InvalidSubnet.Range"
	CodeInvalidVpcRange          = "InvalidVpc.Range"
	CodeInvalidID                = "InvalidID"
	CodeDependencyViolation      = "DependencyViolation"
	CodeMissingParameter         = "MissingParameter"
	CodeCannotDelete             = "CannotDelete"
	CodeTagLimitExceeded         = "TagLimitExceeded"
	CodeFilterLimitExceeded      = "FilterLimitExceeded"
	CodeInsufficientAddresses    = "InsufficientFreeAddressesInSubnet"
)

func init() {
	for _, c := range []string{CodeInvalidVpcNotFound, CodeInvalidSubnetNotFound, CodeInvalidGroupNotFound, CodeInvalidInstanceNotFound, CodeInvalidInstanceMalformed,
		CodeInvalidGroupDuplicate, CodeInvalidParameterCombo, CodeInvalidSubnetConflict, CodeInvalidSubnetRange, CodeInvalidVpcRange,
		CodeInvalidID, CodeDependencyViolation, CodeMissingParameter, CodeCannotDelete, CodeTagLimitExceeded, CodeFilterLimitExceeded,
		CodeInsufficientAddresses} {
		awserr.RegisterStatus(c, http.StatusBadRequest)
	}
}

// Service is the EC2 network model over the store.
//
// A record's revision guards what is decided from it: a write that depends
// on a VPC's subnets and groups (a new subnet must not overlap, a new group
// must not share a name, a VPC may go only when empty) writes the VPC back
// in the same transaction, and one that hands out addresses of a subnet
// writes the subnet back; so two such writes to one VPC or subnet conflict,
// and the second is decided again on what the first stored.
type Service struct {
	Store *store.Store
	// KMSKey resolves the KMS keys of encrypted volumes; nil takes every
	// key as given.
	KMSKey KeyLookup
	// MaxVCPUs is the most vCPUs an instance of a zone can have on the
	// hosts that serve it; nil sets no bound.
	MaxVCPUs func(ctx context.Context, zone string) int
}

const (
	vpcPrefix    = "ec2/vpcs/"
	subnetPrefix = "ec2/subnets/"
	sgPrefix     = "ec2/securitygroups/"
)

func vpcKey(id string) string    { return vpcPrefix + id }
func subnetKey(id string) string { return subnetPrefix + id }
func sgKey(id string) string     { return sgPrefix + id }

// CreateVPC makes a VPC, its default security group and its main route
// table (with the local route).
func (s *Service) CreateVPC(ctx context.Context, region, owner, cidr string, isDefault bool, tags map[string]string) (*VPC, error) {
	if _, err := vpcBlock(cidr); err != nil {
		return nil, err
	}
	v := &VPC{ID: newResourceID("vpc"), Region: region, CIDR: cidr, IsDefault: isDefault, OwnerID: owner, Tags: tags}
	sg := &SecurityGroup{ID: newResourceID("sg"), Region: region, VPCID: v.ID, Name: "default", Description: "default VPC security group", OwnerID: owner}
	sg.Rules, sg.RulesVersion = initialRules(sg), rulesVersion
	main := newMainRouteTable(v)
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		t.Create(vpcKey(v.ID), v)
		t.Create(sgKey(sg.ID), sg)
		t.Create(rtbKey(main.ID), main)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create VPC %s: %w", cidr, err)
	}
	return v, nil
}

// VPCs lists the VPCs of a region.
func (s *Service) VPCs(ctx context.Context, region string) ([]VPC, error) {
	all, err := store.List[VPC](ctx, s.Store, vpcPrefix)
	return inRegion(all, region, func(v VPC) string { return v.Region }), err
}

// GetVPC reads one VPC.
func (s *Service) GetVPC(ctx context.Context, id string) (*VPC, error) {
	v, _, err := s.vpcAt(ctx, id)
	return v, err
}

// vpcAt reads a VPC with its revision.
func (s *Service) vpcAt(ctx context.Context, id string) (*VPC, int64, error) {
	var v VPC
	rev, err := s.Store.Get(ctx, vpcKey(id), &v)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, awserr.Errorf(CodeInvalidVpcNotFound, "The vpc ID '%s' does not exist", id)
	} else if err != nil {
		return nil, 0, err
	}
	return &v, rev, nil
}

// claimVPC reads a VPC and makes t depend on it and write it back, so that
// t conflicts with every other write that claims the same VPC.
func (s *Service) claimVPC(ctx context.Context, t *store.Txn, id string) (*VPC, error) {
	v, rev, err := s.vpcAt(ctx, id)
	if err != nil {
		return nil, err
	}
	t.Unchanged(vpcKey(id), rev)
	t.Put(vpcKey(id), v)
	return v, nil
}

// DeleteVPC removes a VPC that has no subnets, no security groups but its
// default one, no route tables but its main one, and no internet gateway;
// its default group and main route table go with it.
func (s *Service) DeleteVPC(ctx context.Context, id string) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		_, rev, err := s.vpcAt(ctx, id)
		if err != nil {
			return err
		}
		t.Unchanged(vpcKey(id), rev)
		subnets, err := store.List[Subnet](ctx, s.Store, subnetPrefix)
		if err != nil {
			return err
		}
		for _, sn := range subnets {
			if sn.VPCID == id {
				return awserr.Errorf(CodeDependencyViolation, "The vpc '%s' has dependencies and cannot be deleted.", id)
			}
		}
		sgs, err := store.List[SecurityGroup](ctx, s.Store, sgPrefix)
		if err != nil {
			return err
		}
		for _, sg := range sgs {
			if sg.VPCID == id && sg.Name != "default" {
				return awserr.Errorf(CodeDependencyViolation, "The vpc '%s' has dependencies and cannot be deleted.", id)
			}
		}
		igws, err := store.List[InternetGateway](ctx, s.Store, igwPrefix)
		if err != nil {
			return err
		}
		for _, g := range igws {
			if g.AttachedTo() == id {
				return awserr.Errorf(CodeDependencyViolation, "The vpc '%s' has dependencies and cannot be deleted.", id)
			}
		}
		if nat, err := s.natGatewayIn(ctx, func(g *NatGateway) bool { return g.VPCID == id }); err != nil {
			return err
		} else if nat {
			return awserr.Errorf(CodeDependencyViolation, "The vpc '%s' has dependencies and cannot be deleted.", id)
		}
		tables, err := store.List[RouteTable](ctx, s.Store, rtbPrefix)
		if err != nil {
			return err
		}
		for _, rt := range tables {
			if rt.VPCID == id && !rt.Main {
				return awserr.Errorf(CodeDependencyViolation, "The vpc '%s' has dependencies and cannot be deleted.", id)
			}
		}
		for _, sg := range sgs {
			if sg.VPCID == id {
				t.Delete(sgKey(sg.ID))
			}
		}
		for _, rt := range tables {
			if rt.VPCID == id {
				t.Delete(rtbKey(rt.ID))
			}
		}
		t.Delete(vpcKey(id))
		return nil
	})
}

// EnsureDefaultVPC makes, once per region, a default VPC with a public and a
// private subnet in each availability zone, laid out as AWS lays out a
// default VPC: an internet gateway, the main route table routing 0.0.0.0/0
// to it (so the subnets using it, the public ones, are public), and a
// route table keks-default-private with only the local route for the
// private subnets. A default VPC made by an older keks gets that layout
// here, and every VPC without a main route table one (EnsureRouteTables).
func (s *Service) EnsureDefaultVPC(ctx context.Context, region, owner string) (*VPC, error) {
	if err := s.EnsureRouteTables(ctx); err != nil {
		return nil, err
	}
	if err := s.EnsureSecurityGroupRules(ctx); err != nil {
		return nil, err
	}
	vpcs, err := s.VPCs(ctx, region)
	if err != nil {
		return nil, err
	}
	for _, v := range vpcs {
		if v.IsDefault {
			if v.DefaultLayout < defaultLayoutVersion {
				if err := s.layDefaultVPC(ctx, v.ID); err != nil {
					return nil, fmt.Errorf("lay out default VPC %s: %w", v.ID, err)
				}
				return s.GetVPC(ctx, v.ID)
			}
			return &v, nil
		}
	}
	v, err := s.CreateVPC(ctx, region, owner, "172.31.0.0/16", true, map[string]string{"Name": "keks-default"})
	if err != nil {
		return nil, err
	}
	for i, z := range Zones(region) {
		public := Subnet{VPCID: v.ID, CIDR: fmt.Sprintf("172.31.%d.0/20", i*16), AvailabilityZone: z.Name, MapPublicIP: true, DefaultForAZ: true,
			Tags: map[string]string{"Name": "keks-default-public-" + z.Name, "kubernetes.io/role/elb": "1"}}
		private := Subnet{VPCID: v.ID, CIDR: fmt.Sprintf("172.31.%d.0/20", (i+3)*16), AvailabilityZone: z.Name,
			Tags: map[string]string{"Name": "keks-default-private-" + z.Name, "kubernetes.io/role/internal-elb": "1"}}
		for _, sn := range []Subnet{public, private} {
			if _, err := s.CreateSubnet(ctx, sn); err != nil {
				return nil, fmt.Errorf("create default subnet %s: %w", sn.CIDR, err)
			}
		}
	}
	if err := s.layDefaultVPC(ctx, v.ID); err != nil {
		return nil, fmt.Errorf("lay out default VPC %s: %w", v.ID, err)
	}
	return s.GetVPC(ctx, v.ID)
}

func inRegion[T any](all []T, region string, of func(T) string) []T {
	out := all[:0]
	for _, v := range all {
		if of(v) == region {
			out = append(out, v)
		}
	}
	return out
}
