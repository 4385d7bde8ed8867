package iam

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// InstanceProfile is what an EC2 instance is launched with to act as a
// role: a container of at most one role.
type InstanceProfile struct {
	Name       string    `json:"name"`
	Path       string    `json:"path"`
	ARN        string    `json:"arn"`
	ID         string    `json:"id"`
	CreateDate time.Time `json:"createDate"`
	// Roles are the names of the profile's roles (one at most).
	Roles []string          `json:"roles,omitempty"`
	Tags  map[string]string `json:"tags,omitempty"`
}

// maxInstanceProfileName is IAM's limit on an instance profile's name.
const maxInstanceProfileName = 128

// maxRolesPerProfile is IAM's quota InstanceSessionsPerInstanceProfile.
const maxRolesPerProfile = 1

const instanceProfilesPrefix = "iam/instanceprofiles/"

func instanceProfileKey(name string) string { return instanceProfilesPrefix + strings.ToLower(name) }

func profileNotFound(name string) error {
	return awserr.Errorf(CodeNoSuchEntity, "Instance Profile %s cannot be found.", name)
}

// CreateInstanceProfile adds an instance profile without roles.
func (s *Service) CreateInstanceProfile(ctx context.Context, p InstanceProfile) (*InstanceProfile, error) {
	if err := checkName("instanceProfileName", p.Name, maxInstanceProfileName); err != nil {
		return nil, err
	}
	path, err := normPath(p.Path)
	if err != nil {
		return nil, err
	}
	if err := validateTags(p.Tags, "TagsPerInstanceProfile"); err != nil {
		return nil, err
	}
	prefix, err := s.arnPrefix(ctx)
	if err != nil {
		return nil, err
	}
	p.Path, p.ARN, p.ID, p.CreateDate, p.Roles = path, prefix+"instance-profile"+path+p.Name, newID("AIPA"), s.Now().UTC(), nil
	err = s.write(ctx, func(t *store.Txn) error {
		return s.createIn(ctx, t, instanceProfileKey(p.Name), &p, awserr.Errorf(CodeEntityAlreadyExists, "Instance Profile %s already exists.", p.Name))
	})
	if err != nil {
		return nil, fmt.Errorf("create instance profile %s: %w", p.Name, err)
	}
	return &p, nil
}

// GetInstanceProfile reads an instance profile by name.
func (s *Service) GetInstanceProfile(ctx context.Context, name string) (*InstanceProfile, error) {
	p, _, err := s.instanceProfileAt(ctx, name)
	return p, err
}

func (s *Service) instanceProfileAt(ctx context.Context, name string) (*InstanceProfile, int64, error) {
	if err := checkName("instanceProfileName", name, maxInstanceProfileName); err != nil {
		return nil, 0, err
	}
	var p InstanceProfile
	rev, err := s.Store.Get(ctx, instanceProfileKey(name), &p)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, profileNotFound(name)
	} else if err != nil {
		return nil, 0, err
	}
	return &p, rev, nil
}

// ListInstanceProfiles lists instance profiles sorted by name.
func (s *Service) ListInstanceProfiles(ctx context.Context) ([]InstanceProfile, error) {
	return store.List[InstanceProfile](ctx, s.Store, instanceProfilesPrefix)
}

// InstanceProfilesForRole lists the instance profiles a role is in.
func (s *Service) InstanceProfilesForRole(ctx context.Context, roleName string) ([]InstanceProfile, error) {
	if _, err := s.GetRole(ctx, roleName); err != nil {
		return nil, err
	}
	all, err := s.ListInstanceProfiles(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(p InstanceProfile) bool { return !p.hasRole(roleName) }), nil
}

func (p *InstanceProfile) hasRole(name string) bool {
	return slices.ContainsFunc(p.Roles, func(r string) bool { return strings.EqualFold(r, name) })
}

// DeleteInstanceProfile removes an instance profile that has no role left.
func (s *Service) DeleteInstanceProfile(ctx context.Context, name string) error {
	err := s.write(ctx, func(t *store.Txn) error {
		p, rev, err := s.instanceProfileAt(ctx, name)
		if err != nil {
			return err
		}
		if len(p.Roles) > 0 {
			return awserr.Errorf(CodeDeleteConflict, "Cannot delete entity, must remove roles from instance profile first.")
		}
		t.Unchanged(instanceProfileKey(name), rev)
		t.Delete(instanceProfileKey(name))
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete instance profile %s: %w", name, err)
	}
	return nil
}

// AddRoleToInstanceProfile puts a role in a profile that has none. The
// role is written back, so a DeleteRole at the same time conflicts and
// then sees the profile.
func (s *Service) AddRoleToInstanceProfile(ctx context.Context, profileName, roleName string) error {
	err := s.write(ctx, func(t *store.Txn) error {
		p, rev, err := s.instanceProfileAt(ctx, profileName)
		if err != nil {
			return err
		}
		r, roleRev, err := s.roleAt(ctx, roleName)
		if err != nil {
			return err
		}
		if p.hasRole(r.Name) {
			return awserr.Errorf(CodeLimitExceeded, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: %d", maxRolesPerProfile)
		}
		if len(p.Roles) >= maxRolesPerProfile {
			return awserr.Errorf(CodeLimitExceeded, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: %d", maxRolesPerProfile)
		}
		p.Roles = append(p.Roles, r.Name)
		t.Unchanged(instanceProfileKey(p.Name), rev)
		t.Put(instanceProfileKey(p.Name), p)
		t.Unchanged(roleKey(r.Name), roleRev)
		t.Put(roleKey(r.Name), r)
		return nil
	})
	if err != nil {
		return fmt.Errorf("add role %s to instance profile %s: %w", roleName, profileName, err)
	}
	return nil
}

// RemoveRoleFromInstanceProfile takes a role out of a profile.
func (s *Service) RemoveRoleFromInstanceProfile(ctx context.Context, profileName, roleName string) error {
	if err := checkName("roleName", roleName, maxRoleName); err != nil {
		return err
	}
	err := s.write(ctx, func(t *store.Txn) error {
		p, rev, err := s.instanceProfileAt(ctx, profileName)
		if err != nil {
			return err
		}
		if !p.hasRole(roleName) {
			return awserr.Errorf(CodeNoSuchEntity, "The role with name %s cannot be found.", roleName)
		}
		p.Roles = slices.DeleteFunc(p.Roles, func(r string) bool { return strings.EqualFold(r, roleName) })
		t.Unchanged(instanceProfileKey(p.Name), rev)
		t.Put(instanceProfileKey(p.Name), p)
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove role %s from instance profile %s: %w", roleName, profileName, err)
	}
	return nil
}

// TagInstanceProfile adds tags to an instance profile or changes their values.
func (s *Service) TagInstanceProfile(ctx context.Context, name string, tags map[string]string) error {
	return s.mutateInstanceProfile(ctx, name, func(p *InstanceProfile) (err error) {
		p.Tags, err = mergeTags(p.Tags, tags, "TagsPerInstanceProfile")
		return err
	})
}

// UntagInstanceProfile removes tags from an instance profile.
func (s *Service) UntagInstanceProfile(ctx context.Context, name string, keys []string) error {
	if err := checkTagKeys(keys); err != nil {
		return err
	}
	return s.mutateInstanceProfile(ctx, name, func(p *InstanceProfile) error {
		p.Tags = untag(p.Tags, keys)
		return nil
	})
}

func (s *Service) mutateInstanceProfile(ctx context.Context, name string, change func(*InstanceProfile) error) error {
	err := s.write(ctx, func(t *store.Txn) error {
		p, rev, err := s.instanceProfileAt(ctx, name)
		if err != nil {
			return err
		}
		if err := change(p); err != nil {
			return err
		}
		t.Unchanged(instanceProfileKey(p.Name), rev)
		t.Put(instanceProfileKey(p.Name), p)
		return nil
	})
	if err != nil {
		return fmt.Errorf("update instance profile %s: %w", name, err)
	}
	return nil
}

// roleInProfile reports whether a role is in any instance profile, as
// what keeps it from being deleted.
func (s *Service) roleInProfile(ctx context.Context, roleName string) (bool, error) {
	all, err := s.ListInstanceProfiles(ctx)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(all, func(p InstanceProfile) bool { return p.hasRole(roleName) }), nil
}

// InstanceProfileRole resolves the instance profile an instance is
// launched with, by name or ARN, to the profile's ARN and its role's ARN
// (empty when the profile has no role). Where no such profile exists, a
// role of that name stands for a profile named after it, as keks did
// before it had instance profiles, so launches naming a role still work.
func (s *Service) InstanceProfileRole(ctx context.Context, nameOrARN string) (profileARN, roleARN string, err error) {
	name := nameOrARN
	if strings.HasPrefix(nameOrARN, "arn:") {
		name = nameOrARN[strings.LastIndex(nameOrARN, "/")+1:]
	}
	p, err := s.GetInstanceProfile(ctx, name)
	if err == nil && (!strings.HasPrefix(nameOrARN, "arn:") || p.ARN == nameOrARN) {
		if len(p.Roles) == 0 {
			return p.ARN, "", nil
		}
		r, err := s.GetRole(ctx, p.Roles[0])
		if err != nil {
			return "", "", err
		}
		return p.ARN, r.ARN, nil
	}
	var aerr *awserr.Error
	if err != nil && !(errors.As(err, &aerr) && aerr.Code == CodeNoSuchEntity) {
		return "", "", err
	}
	r, err := s.GetRole(ctx, name)
	if err != nil {
		return "", "", err
	}
	return strings.Replace(r.ARN, ":role/", ":instance-profile/", 1), r.ARN, nil
}
