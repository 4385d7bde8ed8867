package iam

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// CreateGroup adds an IAM group.
func (s *Service) CreateGroup(ctx context.Context, name, path string) (*Group, error) {
	if err := checkName("groupName", name, maxGroupName); err != nil {
		return nil, err
	}
	path, err := normPath(path)
	if err != nil {
		return nil, err
	}
	prefix, err := s.arnPrefix(ctx)
	if err != nil {
		return nil, err
	}
	g := &Group{Name: name, Path: path, ARN: prefix + "group" + path + name, ID: newID("AGPA"), CreateDate: s.Now().UTC()}
	err = s.write(ctx, func(t *store.Txn) error {
		return s.createIn(ctx, t, groupKey(name), g, awserr.Errorf(CodeEntityAlreadyExists, "Group with name %s already exists.", name))
	})
	if err != nil {
		return nil, fmt.Errorf("create group %s: %w", name, err)
	}
	return g, nil
}

// GetGroup reads a group by name.
func (s *Service) GetGroup(ctx context.Context, name string) (*Group, error) {
	g, _, err := s.groupAt(ctx, name)
	return g, err
}

func (s *Service) groupAt(ctx context.Context, name string) (*Group, int64, error) {
	if err := checkName("groupName", name, maxGroupName); err != nil {
		return nil, 0, err
	}
	var g Group
	rev, err := s.Store.Get(ctx, groupKey(name), &g)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, awserr.Errorf(CodeNoSuchEntity, "The group with name %s cannot be found.", name)
	} else if err != nil {
		return nil, 0, err
	}
	return &g, rev, nil
}

// ListGroups lists groups sorted by name.
func (s *Service) ListGroups(ctx context.Context) ([]Group, error) {
	return store.List[Group](ctx, s.Store, groupsPrefix)
}

// GroupMembers lists the users in a group, sorted by name.
func (s *Service) GroupMembers(ctx context.Context, g *Group) ([]User, error) {
	users, err := s.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(users, func(u User) bool { return !slices.Contains(u.Groups, g.ID) }), nil
}

// GroupsForUser lists the groups a user is in, sorted by name.
func (s *Service) GroupsForUser(ctx context.Context, userName string) ([]Group, error) {
	u, err := s.GetUser(ctx, userName)
	if err != nil {
		return nil, err
	}
	return s.groupsOf(ctx, u)
}

func (s *Service) groupsOf(ctx context.Context, u *User) ([]Group, error) {
	if len(u.Groups) == 0 {
		return nil, nil
	}
	groups, err := s.ListGroups(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(groups, func(g Group) bool { return !slices.Contains(u.Groups, g.ID) }), nil
}

// DeleteGroup removes a group with no members and no policies, as IAM
// requires. Adding a member claims the group, so none can be added
// between the check and the delete.
func (s *Service) DeleteGroup(ctx context.Context, name string) error {
	err := s.write(ctx, func(t *store.Txn) error {
		g, rev, err := s.groupAt(ctx, name)
		if err != nil {
			return err
		}
		members, err := s.GroupMembers(ctx, g)
		if err != nil {
			return err
		}
		switch {
		case len(members) > 0:
			return awserr.Errorf(CodeDeleteConflict, "Cannot delete entity, must remove users from group first.")
		case len(g.Policies) > 0:
			return awserr.Errorf(CodeDeleteConflict, "Cannot delete entity, must detach all policies first.")
		case len(g.InlinePolicies) > 0:
			return awserr.Errorf(CodeDeleteConflict, "Cannot delete entity, must delete policies first.")
		}
		t.Unchanged(groupKey(name), rev)
		t.Delete(groupKey(name))
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete group %s: %w", name, err)
	}
	return nil
}

// UpdateGroup renames a group or moves it to another path. Members name
// the group by ID, so they stay in it. Empty newName or newPath keep the old.
func (s *Service) UpdateGroup(ctx context.Context, name, newName, newPath string) error {
	if err := checkName("groupName", name, maxGroupName); err != nil {
		return err
	}
	if newName != "" {
		if err := checkName("newGroupName", newName, maxGroupName); err != nil {
			return err
		}
	}
	if newPath != "" {
		if _, err := normPath(newPath); err != nil {
			return err
		}
	}
	prefix, err := s.arnPrefix(ctx)
	if err != nil {
		return err
	}
	err = s.write(ctx, func(t *store.Txn) error {
		g, rev, err := s.groupAt(ctx, name)
		if err != nil {
			return err
		}
		oldName := g.Name
		if newName != "" {
			g.Name = newName
		}
		if newPath != "" {
			g.Path = newPath
		}
		g.ARN = prefix + "group" + g.Path + g.Name
		if strings.EqualFold(oldName, g.Name) {
			t.Unchanged(groupKey(oldName), rev)
			t.Put(groupKey(oldName), g)
			return nil
		}
		if err := s.createIn(ctx, t, groupKey(g.Name), g, awserr.Errorf(CodeEntityAlreadyExists, "Group with name %s already exists.", g.Name)); err != nil {
			return err
		}
		t.Unchanged(groupKey(oldName), rev)
		t.Delete(groupKey(oldName))
		return nil
	})
	if err != nil {
		return fmt.Errorf("update group %s: %w", name, err)
	}
	return nil
}

// AddUserToGroup makes a user a member of a group; adding it again is a no-op.
func (s *Service) AddUserToGroup(ctx context.Context, groupName, userName string) error {
	err := s.write(ctx, func(t *store.Txn) error {
		g, grev, err := s.groupAt(ctx, groupName)
		if err != nil {
			return err
		}
		u, urev, err := s.userAt(ctx, userName)
		if err != nil {
			return err
		}
		if slices.Contains(u.Groups, g.ID) {
			return nil
		}
		if len(u.Groups) >= maxGroupsPerUser {
			return quotaError("GroupsPerUser", maxGroupsPerUser)
		}
		u.Groups = append(u.Groups, g.ID)
		t.Unchanged(userKey(u.Name), urev)
		t.Put(userKey(u.Name), u)
		// Writing the group back claims it: DeleteGroup, which checks for
		// members, then conflicts with this.
		t.Unchanged(groupKey(g.Name), grev)
		t.Put(groupKey(g.Name), g)
		return nil
	})
	if err != nil {
		return fmt.Errorf("add user %s to group %s: %w", userName, groupName, err)
	}
	return nil
}

// RemoveUserFromGroup ends a membership; removing a user that is not a
// member succeeds, as in IAM.
func (s *Service) RemoveUserFromGroup(ctx context.Context, groupName, userName string) error {
	err := s.write(ctx, func(t *store.Txn) error {
		g, _, err := s.groupAt(ctx, groupName)
		if err != nil {
			return err
		}
		u, urev, err := s.userAt(ctx, userName)
		if err != nil {
			return err
		}
		i := slices.Index(u.Groups, g.ID)
		if i < 0 {
			return nil
		}
		u.Groups = slices.Delete(u.Groups, i, i+1)
		t.Unchanged(userKey(u.Name), urev)
		t.Put(userKey(u.Name), u)
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove user %s from group %s: %w", userName, groupName, err)
	}
	return nil
}
