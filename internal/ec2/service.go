package ec2

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// EC2 error codes.
const (
	CodeInvalidVpcNotFound    = "InvalidVpcID.NotFound"
	CodeInvalidSubnetNotFound = "InvalidSubnetID.NotFound"
	CodeInvalidGroupNotFound  = "InvalidGroup.NotFound"
	CodeInvalidGroupDuplicate = "InvalidGroup.Duplicate"
	CodeInvalidParameterValue = "InvalidParameterValue"
	CodeInvalidSubnetConflict = "InvalidSubnet.Conflict"
	CodeInvalidSubnetRange    = "InvalidSubnet.Range"
	CodeInvalidVpcRange       = "InvalidVpc.Range"
	CodeDependencyViolation   = "DependencyViolation"
	CodeMissingParameter      = "MissingParameter"
)

func init() {
	for _, c := range []string{CodeInvalidVpcNotFound, CodeInvalidSubnetNotFound, CodeInvalidGroupNotFound, CodeInvalidGroupDuplicate, CodeInvalidSubnetConflict, CodeInvalidSubnetRange, CodeInvalidVpcRange, CodeDependencyViolation, CodeMissingParameter} {
		awserr.RegisterStatus(c, http.StatusBadRequest)
	}
}

// Service is the EC2 network model over the store.
type Service struct {
	Store *store.Store
}

func vpcKey(id string) string    { return "ec2/vpcs/" + id }
func subnetKey(id string) string { return "ec2/subnets/" + id }
func sgKey(id string) string     { return "ec2/securitygroups/" + id }

// CreateVPC makes a VPC and its default security group.
func (s *Service) CreateVPC(ctx context.Context, region, owner, cidr string, isDefault bool, tags map[string]string) (*VPC, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() || p.Masked() != p {
		return nil, awserr.Errorf(CodeInvalidParameterValue, "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", cidr)
	}
	if p.Bits() < 16 || p.Bits() > 28 {
		return nil, awserr.Errorf(CodeInvalidVpcRange, "The CIDR '%s' is invalid.", cidr)
	}
	v := &VPC{ID: newResourceID("vpc"), Region: region, CIDR: cidr, IsDefault: isDefault, OwnerID: owner, Tags: tags}
	if err := s.Store.Create(ctx, vpcKey(v.ID), v); err != nil {
		return nil, err
	}
	sg := &SecurityGroup{ID: newResourceID("sg"), Region: region, VPCID: v.ID, Name: "default", Description: "default VPC security group", OwnerID: owner}
	if err := s.Store.Create(ctx, sgKey(sg.ID), sg); err != nil {
		return nil, err
	}
	return v, nil
}

// VPCs lists the VPCs of a region.
func (s *Service) VPCs(ctx context.Context, region string) ([]VPC, error) {
	all, err := store.List[VPC](ctx, s.Store, "ec2/vpcs/")
	return inRegion(all, region, func(v VPC) string { return v.Region }), err
}

// GetVPC reads one VPC.
func (s *Service) GetVPC(ctx context.Context, id string) (*VPC, error) {
	var v VPC
	if _, err := s.Store.Get(ctx, vpcKey(id), &v); errors.Is(err, store.ErrNotFound) {
		return nil, awserr.Errorf(CodeInvalidVpcNotFound, "The vpc ID '%s' does not exist", id)
	} else if err != nil {
		return nil, err
	}
	return &v, nil
}

// DeleteVPC removes a VPC that has no subnets and no security groups but its default one.
func (s *Service) DeleteVPC(ctx context.Context, id string) error {
	if _, err := s.GetVPC(ctx, id); err != nil {
		return err
	}
	subnets, err := store.List[Subnet](ctx, s.Store, "ec2/subnets/")
	if err != nil {
		return err
	}
	for _, sn := range subnets {
		if sn.VPCID == id {
			return awserr.Errorf(CodeDependencyViolation, "The vpc '%s' has dependencies and cannot be deleted.", id)
		}
	}
	sgs, err := store.List[SecurityGroup](ctx, s.Store, "ec2/securitygroups/")
	if err != nil {
		return err
	}
	for _, sg := range sgs {
		if sg.VPCID == id && sg.Name != "default" {
			return awserr.Errorf(CodeDependencyViolation, "The vpc '%s' has dependencies and cannot be deleted.", id)
		}
	}
	for _, sg := range sgs {
		if sg.VPCID == id {
			if err := s.Store.Delete(ctx, sgKey(sg.ID)); err != nil {
				return err
			}
		}
	}
	return s.Store.Delete(ctx, vpcKey(id))
}

// CreateSubnet carves a subnet out of a VPC in one availability zone.
func (s *Service) CreateSubnet(ctx context.Context, sn Subnet) (*Subnet, error) {
	v, err := s.GetVPC(ctx, sn.VPCID)
	if err != nil {
		return nil, err
	}
	p, err := netip.ParsePrefix(sn.CIDR)
	if err != nil || !p.Addr().Is4() || p.Masked() != p {
		return nil, awserr.Errorf(CodeInvalidParameterValue, "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", sn.CIDR)
	}
	vp := netip.MustParsePrefix(v.CIDR)
	if !vp.Contains(p.Addr()) || p.Bits() < vp.Bits() || p.Bits() > 28 {
		return nil, awserr.Errorf(CodeInvalidSubnetRange, "The CIDR '%s' is invalid.", sn.CIDR)
	}
	zones := Zones(v.Region)
	if sn.AvailabilityZone == "" {
		sn.AvailabilityZone = zones[0].Name
	}
	if !slices.ContainsFunc(zones, func(z Zone) bool { return z.Name == sn.AvailabilityZone || z.ID == sn.AvailabilityZone }) {
		return nil, awserr.Errorf(CodeInvalidParameterValue, "Value (%s) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: %s, %s, %s.", sn.AvailabilityZone, zones[0].Name, zones[1].Name, zones[2].Name)
	}
	for _, z := range zones {
		if z.ID == sn.AvailabilityZone {
			sn.AvailabilityZone = z.Name
		}
	}
	existing, err := store.List[Subnet](ctx, s.Store, "ec2/subnets/")
	if err != nil {
		return nil, err
	}
	for _, o := range existing {
		if o.VPCID == sn.VPCID && netip.MustParsePrefix(o.CIDR).Overlaps(p) {
			return nil, awserr.Errorf(CodeInvalidSubnetConflict, "The CIDR '%s' conflicts with another subnet", sn.CIDR)
		}
	}
	sn.ID = newResourceID("subnet")
	sn.Region = v.Region
	sn.OwnerID = v.OwnerID
	if err := s.Store.Create(ctx, subnetKey(sn.ID), &sn); err != nil {
		return nil, err
	}
	return &sn, nil
}

// Subnets lists the subnets of a region.
func (s *Service) Subnets(ctx context.Context, region string) ([]Subnet, error) {
	all, err := store.List[Subnet](ctx, s.Store, "ec2/subnets/")
	return inRegion(all, region, func(v Subnet) string { return v.Region }), err
}

// GetSubnet reads one subnet.
func (s *Service) GetSubnet(ctx context.Context, id string) (*Subnet, error) {
	var sn Subnet
	if _, err := s.Store.Get(ctx, subnetKey(id), &sn); errors.Is(err, store.ErrNotFound) {
		return nil, awserr.Errorf(CodeInvalidSubnetNotFound, "The subnet ID '%s' does not exist", id)
	} else if err != nil {
		return nil, err
	}
	return &sn, nil
}

// DeleteSubnet removes a subnet; InUse reports whether anything still uses it.
func (s *Service) DeleteSubnet(ctx context.Context, id string, inUse func(subnetID string) (bool, error)) error {
	if _, err := s.GetSubnet(ctx, id); err != nil {
		return err
	}
	if inUse != nil {
		used, err := inUse(id)
		if err != nil {
			return err
		}
		if used {
			return awserr.Errorf(CodeDependencyViolation, "The subnet '%s' has dependencies and cannot be deleted.", id)
		}
	}
	return s.Store.Delete(ctx, subnetKey(id))
}

// CreateSecurityGroup adds a security group to a VPC.
func (s *Service) CreateSecurityGroup(ctx context.Context, sg SecurityGroup) (*SecurityGroup, error) {
	if sg.Name == "" || sg.Description == "" {
		return nil, awserr.Errorf(CodeMissingParameter, "The request must contain the parameter groupName and groupDescription")
	}
	if len(sg.Name) > 255 || len(sg.Description) > 255 {
		return nil, awserr.Errorf(CodeInvalidParameterValue, "Value for parameter groupName or groupDescription is longer than 255 characters.")
	}
	v, err := s.GetVPC(ctx, sg.VPCID)
	if err != nil {
		return nil, err
	}
	all, err := store.List[SecurityGroup](ctx, s.Store, "ec2/securitygroups/")
	if err != nil {
		return nil, err
	}
	for _, o := range all {
		if o.VPCID == sg.VPCID && o.Name == sg.Name {
			return nil, awserr.Errorf(CodeInvalidGroupDuplicate, "The security group '%s' already exists for VPC '%s'", sg.Name, sg.VPCID)
		}
	}
	sg.ID = newResourceID("sg")
	sg.Region = v.Region
	sg.OwnerID = v.OwnerID
	if err := s.Store.Create(ctx, sgKey(sg.ID), &sg); err != nil {
		return nil, err
	}
	return &sg, nil
}

// SecurityGroups lists the security groups of a region.
func (s *Service) SecurityGroups(ctx context.Context, region string) ([]SecurityGroup, error) {
	all, err := store.List[SecurityGroup](ctx, s.Store, "ec2/securitygroups/")
	return inRegion(all, region, func(v SecurityGroup) string { return v.Region }), err
}

// GetSecurityGroup reads one security group.
func (s *Service) GetSecurityGroup(ctx context.Context, id string) (*SecurityGroup, error) {
	var sg SecurityGroup
	if _, err := s.Store.Get(ctx, sgKey(id), &sg); errors.Is(err, store.ErrNotFound) {
		return nil, awserr.Errorf(CodeInvalidGroupNotFound, "The security group '%s' does not exist", id)
	} else if err != nil {
		return nil, err
	}
	return &sg, nil
}

// DeleteSecurityGroup removes a security group other than a VPC's default.
func (s *Service) DeleteSecurityGroup(ctx context.Context, id string) error {
	sg, err := s.GetSecurityGroup(ctx, id)
	if err != nil {
		return err
	}
	if sg.Name == "default" {
		return awserr.Errorf("CannotDelete", "the specified group: \"%s\" name: \"default\" cannot be deleted by a user", id)
	}
	return s.Store.Delete(ctx, sgKey(id))
}

// TagResource merges tags into a VPC, subnet or security group.
func (s *Service) TagResource(ctx context.Context, id string, tags map[string]string) error {
	merge := func(t *map[string]string) error {
		if *t == nil {
			*t = map[string]string{}
		}
		for k, v := range tags {
			(*t)[k] = v
		}
		return nil
	}
	var err error
	switch {
	case len(id) > 4 && id[:4] == "vpc-":
		_, err = store.Mutate(ctx, s.Store, vpcKey(id), func(v *VPC) error { return merge(&v.Tags) })
	case len(id) > 7 && id[:7] == "subnet-":
		_, err = store.Mutate(ctx, s.Store, subnetKey(id), func(v *Subnet) error { return merge(&v.Tags) })
	case len(id) > 3 && id[:3] == "sg-":
		_, err = store.Mutate(ctx, s.Store, sgKey(id), func(v *SecurityGroup) error { return merge(&v.Tags) })
	default:
		return awserr.Errorf(CodeInvalidParameterValue, "Invalid id: \"%s\"", id)
	}
	if errors.Is(err, store.ErrNotFound) {
		return awserr.Errorf("InvalidID", "The ID '%s' is not valid", id)
	}
	return err
}

// EnsureDefaultVPC makes, once per region, a default VPC with a public and a
// private subnet in each availability zone.
func (s *Service) EnsureDefaultVPC(ctx context.Context, region, owner string) (*VPC, error) {
	vpcs, err := s.VPCs(ctx, region)
	if err != nil {
		return nil, err
	}
	for _, v := range vpcs {
		if v.IsDefault {
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
	return v, nil
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
