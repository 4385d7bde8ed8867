package ec2

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// CreateSecurityGroup adds a security group to a VPC.
func (s *Service) CreateSecurityGroup(ctx context.Context, sg SecurityGroup) (*SecurityGroup, error) {
	var out *SecurityGroup
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		var err error
		out, err = s.AddSecurityGroup(ctx, t, sg)
		return err
	})
	return out, err
}

// AddSecurityGroup checks a new security group and adds its creation to t,
// which claims the group's VPC so that no other group of the same name
// lands beside it. Other models use it to create a group together with
// their own records.
func (s *Service) AddSecurityGroup(ctx context.Context, t *store.Txn, sg SecurityGroup) (*SecurityGroup, error) {
	if sg.Name == "" {
		return nil, awserr.Errorf(CodeMissingParameter, "The request must contain the parameter groupName")
	}
	if sg.Description == "" {
		return nil, awserr.Errorf(CodeMissingParameter, "The request must contain the parameter groupDescription")
	}
	for _, f := range []struct{ param, value string }{{"groupName", sg.Name}, {"groupDescription", sg.Description}} {
		if len(f.value) > 255 {
			return nil, awserr.Errorf(CodeInvalidParameterValue, "Value for parameter %s is longer than 255 characters.", f.param)
		}
		if strings.ContainsFunc(f.value, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
			return nil, awserr.Errorf(CodeInvalidParameterValue, "Value (%s) for parameter %s is invalid. Character sets beyond ASCII are not supported.", f.value, f.param)
		}
	}
	if strings.HasPrefix(sg.Name, "sg-") {
		return nil, awserr.Errorf(CodeInvalidParameterValue, "Group names may not be in the format sg-*.")
	}
	v, err := s.claimVPC(ctx, t, sg.VPCID)
	if err != nil {
		return nil, err
	}
	all, err := store.List[SecurityGroup](ctx, s.Store, sgPrefix)
	if err != nil {
		return nil, err
	}
	for _, o := range all {
		if o.VPCID == sg.VPCID && o.Name == sg.Name {
			return nil, awserr.Errorf(CodeInvalidGroupDuplicate, "The security group '%s' already exists for VPC '%s'", sg.Name, sg.VPCID)
		}
	}
	sg.ID = newResourceID("sg")
	sg.Region, sg.OwnerID = v.Region, v.OwnerID
	sg.Rules, sg.RulesVersion = append(initialRules(&sg), sg.Rules...), rulesVersion
	for i := range sg.Rules {
		if sg.Rules[i].GroupID == SelfGroup {
			sg.Rules[i].GroupID = sg.ID
		}
		if sg.Rules[i].ID == "" {
			sg.Rules[i].ID = newResourceID("sgr")
		}
	}
	t.Create(sgKey(sg.ID), &sg)
	return &sg, nil
}

// SecurityGroups lists the security groups of a region.
func (s *Service) SecurityGroups(ctx context.Context, region string) ([]SecurityGroup, error) {
	all, err := store.List[SecurityGroup](ctx, s.Store, sgPrefix)
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

// DeleteSecurityGroup removes a security group other than a VPC's
// default, while no instance that is not terminated carries it and no
// other group's rule names it.
func (s *Service) DeleteSecurityGroup(ctx context.Context, id string) error {
	return s.deleteSecurityGroup(ctx, id, false)
}

// RemoveSecurityGroup removes a group a service made (EKS's cluster
// security group) while no instance carries it, and with it the rules of
// other groups that name it, as the service's own clean-up does.
func (s *Service) RemoveSecurityGroup(ctx context.Context, id string) error {
	return s.deleteSecurityGroup(ctx, id, true)
}

func (s *Service) deleteSecurityGroup(ctx context.Context, id string, dropReferences bool) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		sg, rev, err := s.groupAt(ctx, id)
		if err != nil {
			return err
		}
		if sg.Name == "default" {
			return awserr.Errorf(CodeCannotDelete, "the specified group: \"%s\" name: \"default\" cannot be deleted by a user", id)
		}
		t.Unchanged(sgKey(id), rev)
		dependent := awserr.Errorf(CodeDependencyViolation, "resource %s has a dependent object", id)
		instances, err := store.List[Instance](ctx, s.Store, InstancePrefix)
		if err != nil {
			return err
		}
		for _, in := range instances {
			if in.State != StateTerminated && slices.Contains(in.SecurityGroupIDs, id) {
				return dependent
			}
		}
		groups, err := store.List[SecurityGroup](ctx, s.Store, sgPrefix)
		if err != nil {
			return err
		}
		for _, o := range groups {
			if o.ID == id || !slices.ContainsFunc(o.Rules, func(r SecurityGroupRule) bool { return r.GroupID == id }) {
				continue
			}
			if !dropReferences {
				return dependent
			}
			o.Rules = slices.DeleteFunc(o.Rules, func(r SecurityGroupRule) bool { return r.GroupID == id })
			t.Put(sgKey(o.ID), &o)
		}
		t.Delete(sgKey(id))
		return nil
	})
}
