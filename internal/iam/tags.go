package iam

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// TagUser adds tags to a user or changes their values.
func (s *Service) TagUser(ctx context.Context, name string, tags map[string]string) error {
	return s.mutateUser(ctx, name, func(u *User) (err error) {
		u.Tags, err = mergeTags(u.Tags, tags, "TagsPerUser")
		return err
	})
}

// UntagUser removes tags from a user; keys it does not have are ignored.
func (s *Service) UntagUser(ctx context.Context, name string, keys []string) error {
	if err := checkTagKeys(keys); err != nil {
		return err
	}
	return s.mutateUser(ctx, name, func(u *User) error {
		u.Tags = untag(u.Tags, keys)
		return nil
	})
}

// TagRole adds tags to a role or changes their values.
func (s *Service) TagRole(ctx context.Context, name string, tags map[string]string) error {
	_, err := s.mutateRole(ctx, name, func(r *Role) (err error) {
		r.Tags, err = mergeTags(r.Tags, tags, "TagsPerRole")
		return err
	})
	return err
}

// UntagRole removes tags from a role; keys it does not have are ignored.
func (s *Service) UntagRole(ctx context.Context, name string, keys []string) error {
	if err := checkTagKeys(keys); err != nil {
		return err
	}
	_, err := s.mutateRole(ctx, name, func(r *Role) error {
		r.Tags = untag(r.Tags, keys)
		return nil
	})
	return err
}

// TagPolicy adds tags to a customer managed policy or changes their values.
func (s *Service) TagPolicy(ctx context.Context, arn string, tags map[string]string) error {
	if err := checkPolicyARN(arn); err != nil {
		return err
	}
	err := s.mutatePolicy(ctx, arn, func(p *Policy) (err error) {
		p.Tags, err = mergeTags(p.Tags, tags, "TagsPerPolicy")
		return err
	})
	if err != nil {
		return fmt.Errorf("tag policy %s: %w", arn, err)
	}
	return nil
}

// UntagPolicy removes tags from a customer managed policy.
func (s *Service) UntagPolicy(ctx context.Context, arn string, keys []string) error {
	if err := checkPolicyARN(arn); err != nil {
		return err
	}
	if err := checkTagKeys(keys); err != nil {
		return err
	}
	err := s.mutatePolicy(ctx, arn, func(p *Policy) error {
		p.Tags = untag(p.Tags, keys)
		return nil
	})
	if err != nil {
		return fmt.Errorf("untag policy %s: %w", arn, err)
	}
	return nil
}

// mergeTags adds tags to those an entity has. Tag keys are unique
// regardless of case, so a new key replaces an old one spelt differently.
func mergeTags(have, add map[string]string, quota string) (map[string]string, error) {
	if err := validateTags(add, quota); err != nil {
		return nil, err
	}
	out := maps.Clone(have)
	if out == nil {
		out = map[string]string{}
	}
	for k, v := range add {
		for old := range out {
			if strings.EqualFold(old, k) {
				delete(out, old)
			}
		}
		out[k] = v
	}
	if len(out) > maxTags {
		return nil, quotaError(quota, maxTags)
	}
	return out, nil
}

func checkTagKeys(keys []string) error {
	if len(keys) > maxTags {
		return awserr.Errorf(CodeValidation, "1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to %d", maxTags)
	}
	for _, k := range keys {
		if err := checkTagKey(k, "tagKeys.member"); err != nil {
			return err
		}
	}
	return nil
}

// untag removes keys, matched regardless of case, as IAM matches them.
func untag(have map[string]string, keys []string) map[string]string {
	out := maps.Clone(have)
	for _, k := range keys {
		for old := range out {
			if strings.EqualFold(old, k) {
				delete(out, old)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// mutateUser changes a user in one transaction.
func (s *Service) mutateUser(ctx context.Context, name string, change func(*User) error) error {
	err := s.write(ctx, func(t *store.Txn) error {
		u, rev, err := s.userAt(ctx, name)
		if err != nil {
			return err
		}
		if err := change(u); err != nil {
			return err
		}
		t.Unchanged(userKey(u.Name), rev)
		t.Put(userKey(u.Name), u)
		return nil
	})
	if err != nil {
		return fmt.Errorf("update user %s: %w", name, err)
	}
	return nil
}
