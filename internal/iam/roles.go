package iam

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/iam/policy"
	"github.com/keksdev/keks/internal/store"
)

// CreateRole adds a role with its trust policy.
func (s *Service) CreateRole(ctx context.Context, r Role) (*Role, error) {
	if err := checkName("roleName", r.Name, maxRoleName); err != nil {
		return nil, err
	}
	path, err := normPath(r.Path)
	if err != nil {
		return nil, err
	}
	if err := validateDescription(r.Description); err != nil {
		return nil, err
	}
	if err := validateTags(r.Tags, "TagsPerRole"); err != nil {
		return nil, err
	}
	if err := checkTrustPolicy(r.AssumeRolePolicy); err != nil {
		return nil, err
	}
	if r.MaxSessionDuration == 0 {
		r.MaxSessionDuration = 3600
	}
	if err := checkMaxSessionDuration(r.MaxSessionDuration); err != nil {
		return nil, err
	}
	prefix, err := s.arnPrefix(ctx)
	if err != nil {
		return nil, err
	}
	r.Path = path
	r.ARN = prefix + "role" + path + r.Name
	r.ID = newID("AROA")
	r.CreateDate = s.Now().UTC()
	r.Policies, r.InlinePolicies = nil, nil
	err = s.write(ctx, func(t *store.Txn) error {
		if err := s.createIn(ctx, t, roleKey(r.Name), &r, awserr.Errorf(CodeEntityAlreadyExists, "Role with name %s already exists.", r.Name)); err != nil {
			return err
		}
		// A role made again under an old name starts with no history.
		t.Delete(roleUseKey(r.Name))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create role %s: %w", r.Name, err)
	}
	return &r, nil
}

func checkTrustPolicy(doc string) error {
	if err := checkDocument(doc, policy.Trust); err != nil {
		return err
	}
	if policySize(doc) > maxTrustPolicySize {
		return quotaError("ACLSizePerRole", maxTrustPolicySize)
	}
	return nil
}

// GetRole reads a role by name.
func (s *Service) GetRole(ctx context.Context, name string) (*Role, error) {
	r, _, err := s.roleAt(ctx, name)
	return r, err
}

func (s *Service) roleAt(ctx context.Context, name string) (*Role, int64, error) {
	if err := checkName("roleName", name, maxRoleName); err != nil {
		return nil, 0, err
	}
	var r Role
	rev, err := s.Store.Get(ctx, roleKey(name), &r)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, awserr.Errorf(CodeNoSuchEntity, "The role with name %s cannot be found.", name)
	} else if err != nil {
		return nil, 0, err
	}
	return &r, rev, nil
}

// RoleByARN finds a role from its ARN, checking account and path.
func (s *Service) RoleByARN(ctx context.Context, arn string) (*Role, error) {
	i := strings.LastIndex(arn, "/")
	if !strings.HasPrefix(arn, "arn:aws:iam::") || !strings.Contains(arn, ":role/") || i < 0 {
		return nil, awserr.Errorf(CodeValidation, "%s is not a valid role ARN", arn)
	}
	r, err := s.GetRole(ctx, arn[i+1:])
	if err != nil {
		return nil, err
	}
	if r.ARN != arn {
		return nil, awserr.Errorf(CodeNoSuchEntity, "The role with ARN %s cannot be found.", arn)
	}
	return r, nil
}

// ListRoles lists roles sorted by name.
func (s *Service) ListRoles(ctx context.Context) ([]Role, error) {
	return store.List[Role](ctx, s.Store, rolesPrefix)
}

// DeleteRole removes a role that has no policies left, as IAM requires,
// with what keks recorded of its use.
func (s *Service) DeleteRole(ctx context.Context, name string) error {
	err := s.write(ctx, func(t *store.Txn) error {
		r, rev, err := s.roleAt(ctx, name)
		if err != nil {
			return err
		}
		if len(r.Policies) > 0 {
			return awserr.Errorf(CodeDeleteConflict, "Cannot delete entity, must detach all policies first.")
		}
		if len(r.InlinePolicies) > 0 {
			return awserr.Errorf(CodeDeleteConflict, "Cannot delete entity, must delete policies first.")
		}
		// AddRoleToInstanceProfile writes the role back, so a profile
		// gaining it meanwhile makes this transaction conflict.
		if in, err := s.roleInProfile(ctx, r.Name); err != nil {
			return err
		} else if in {
			return awserr.Errorf(CodeDeleteConflict, "Cannot delete entity, must remove roles from instance profile first.")
		}
		t.Unchanged(roleKey(name), rev)
		t.Delete(roleKey(name))
		t.Delete(roleUseKey(name))
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete role %s: %w", name, err)
	}
	s.keyUse.forgetRole(name)
	return nil
}

// RoleUpdate is what UpdateRole changes; nil fields stay as they are.
type RoleUpdate struct {
	Description        *string
	MaxSessionDuration *int
}

// UpdateRole changes a role's description or maximum session duration.
func (s *Service) UpdateRole(ctx context.Context, name string, up RoleUpdate) (*Role, error) {
	if up.Description != nil {
		if err := validateDescription(*up.Description); err != nil {
			return nil, err
		}
	}
	if up.MaxSessionDuration != nil {
		if err := checkMaxSessionDuration(*up.MaxSessionDuration); err != nil {
			return nil, err
		}
	}
	return s.mutateRole(ctx, name, func(r *Role) error {
		if up.Description != nil {
			r.Description = *up.Description
		}
		if up.MaxSessionDuration != nil {
			r.MaxSessionDuration = *up.MaxSessionDuration
		}
		return nil
	})
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, name, doc string) error {
	if err := checkName("roleName", name, maxRoleName); err != nil {
		return err
	}
	if err := checkTrustPolicy(doc); err != nil {
		return err
	}
	_, err := s.mutateRole(ctx, name, func(r *Role) error {
		r.AssumeRolePolicy = doc
		return nil
	})
	return err
}

// mutateRole changes a role in one transaction.
func (s *Service) mutateRole(ctx context.Context, name string, change func(*Role) error) (*Role, error) {
	var out *Role
	err := s.write(ctx, func(t *store.Txn) error {
		r, rev, err := s.roleAt(ctx, name)
		if err != nil {
			return err
		}
		if err := change(r); err != nil {
			return err
		}
		t.Unchanged(roleKey(r.Name), rev)
		t.Put(roleKey(r.Name), r)
		out = r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update role %s: %w", name, err)
	}
	return out, nil
}

// RoleLastUsed reports when a session of the role last signed a request;
// nil when none has. The newest of the stored use and the one noted in
// memory is the answer.
func (s *Service) RoleLastUsed(ctx context.Context, r *Role) (*RoleLastUsed, error) {
	var last *RoleLastUsed
	var stored RoleLastUsed
	if _, err := s.Store.Get(ctx, roleUseKey(r.Name), &stored); err == nil && stored.RoleID == r.ID {
		last = &stored
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if noted, ok := s.keyUse.roleUse(r.Name); ok && noted.RoleID == r.ID && (last == nil || noted.Date.After(last.Date)) {
		last = &noted
	}
	return last, nil
}
