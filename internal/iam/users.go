package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// CreateUser adds an IAM user.
func (s *Service) CreateUser(ctx context.Context, name, path string, tags map[string]string) (*User, error) {
	if err := checkName("userName", name, maxUserName); err != nil {
		return nil, err
	}
	if err := validateTags(tags, "TagsPerUser"); err != nil {
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
	u := &User{Name: name, Path: path, ARN: prefix + "user" + path + name, ID: newID("AIDA"), CreateDate: s.Now().UTC(), Tags: tags}
	err = s.write(ctx, func(t *store.Txn) error {
		return s.createIn(ctx, t, userKey(name), u, awserr.Errorf(CodeEntityAlreadyExists, "User with name %s already exists.", name))
	})
	if err != nil {
		return nil, fmt.Errorf("create user %s: %w", name, err)
	}
	return u, nil
}

// createIn makes t create v at key, or returns exists when key is taken.
// The existence check comes first because a failed create condition is,
// to Transact, a conflict to retry rather than an answer.
func (s *Service) createIn(ctx context.Context, t *store.Txn, key string, v any, exists error) error {
	var raw json.RawMessage
	if _, err := s.Store.Get(ctx, key, &raw); err == nil {
		return exists
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	t.Create(key, v)
	return nil
}

// GetUser reads a user.
func (s *Service) GetUser(ctx context.Context, name string) (*User, error) {
	u, _, err := s.userAt(ctx, name)
	return u, err
}

func noSuchUser(name string) error {
	return awserr.Errorf(CodeNoSuchEntity, "The user with name %s cannot be found.", name)
}

func (s *Service) userAt(ctx context.Context, name string) (*User, int64, error) {
	if err := checkName("userName", name, maxUserNameLookup); err != nil {
		return nil, 0, err
	}
	var u User
	rev, err := s.Store.Get(ctx, userKey(name), &u)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, noSuchUser(name)
	} else if err != nil {
		return nil, 0, err
	}
	return &u, rev, nil
}

// UserByARN finds a user from its ARN, as a caller's principal names it.
func (s *Service) UserByARN(ctx context.Context, arn string) (*User, error) {
	i := strings.LastIndex(arn, "/")
	if !strings.HasPrefix(arn, "arn:aws:iam::") || !strings.Contains(arn, ":user/") || i < 0 {
		return nil, awserr.Errorf(CodeValidation, "%s is not a valid user ARN", arn)
	}
	u, err := s.GetUser(ctx, arn[i+1:])
	if err == nil && u.ARN != arn {
		err = awserr.Errorf(CodeNoSuchEntity, "The user with ARN %s cannot be found.", arn)
	}
	return u, err
}

// ListUsers lists users sorted by name.
func (s *Service) ListUsers(ctx context.Context) ([]User, error) {
	return store.List[User](ctx, s.Store, usersPrefix)
}

// UpdateUser renames a user or moves it to another path; its ID, keys,
// groups and policies stay with it. Empty newName or newPath keep the old.
func (s *Service) UpdateUser(ctx context.Context, name, newName, newPath string) error {
	if err := checkName("userName", name, maxUserNameLookup); err != nil {
		return err
	}
	if newName != "" {
		if err := checkName("newUserName", newName, maxUserName); err != nil {
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
		u, rev, err := s.userAt(ctx, name)
		if err != nil {
			return err
		}
		oldName := u.Name
		if newName != "" {
			u.Name = newName
		}
		if newPath != "" {
			u.Path = newPath
		}
		u.ARN = prefix + "user" + u.Path + u.Name
		if strings.EqualFold(oldName, u.Name) {
			t.Unchanged(userKey(oldName), rev)
			t.Put(userKey(oldName), u)
		} else {
			if err := s.createIn(ctx, t, userKey(u.Name), u, awserr.Errorf(CodeEntityAlreadyExists, "User with name %s already exists.", u.Name)); err != nil {
				return err
			}
			t.Unchanged(userKey(oldName), rev)
			t.Delete(userKey(oldName))
		}
		// The user's keys name it: they follow in the same transaction.
		keys, err := s.userKeysAt(ctx, oldName)
		if err != nil {
			return err
		}
		for _, k := range keys {
			k.key.UserName = u.Name
			t.Unchanged(keyKey(k.key.ID), k.rev)
			t.Put(keyKey(k.key.ID), sealKey(s.Store, &k.key))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update user %s: %w", name, err)
	}
	return nil
}

// DeleteUser removes a user that has nothing left attached, as IAM
// requires. Keys, a login profile, attachments and memberships claim the
// user as they are made, so none can slip in between the check and the
// delete. When its password was last used goes with it.
func (s *Service) DeleteUser(ctx context.Context, name string) error {
	err := s.write(ctx, func(t *store.Txn) error {
		u, rev, err := s.userAt(ctx, name)
		if err != nil {
			return err
		}
		keys, err := s.userKeysAt(ctx, u.Name)
		if err != nil {
			return err
		}
		profile, _, err := s.profileAt(ctx, u)
		if err != nil {
			return err
		}
		switch {
		case profile != nil:
			return awserr.Errorf(CodeDeleteConflict, "Cannot delete entity, must delete login profile first.")
		case len(keys) > 0:
			return awserr.Errorf(CodeDeleteConflict, "Cannot delete entity, must delete access keys first.")
		case len(u.Groups) > 0:
			return awserr.Errorf(CodeDeleteConflict, "Cannot delete entity, must remove user from all groups first.")
		case len(u.Policies) > 0:
			return awserr.Errorf(CodeDeleteConflict, "Cannot delete entity, must detach all policies first.")
		case len(u.InlinePolicies) > 0:
			return awserr.Errorf(CodeDeleteConflict, "Cannot delete entity, must delete policies first.")
		}
		t.Unchanged(userKey(name), rev)
		t.Delete(userKey(name))
		t.Delete(passwordUseKey(u.ID))
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete user %s: %w", name, err)
	}
	return nil
}
