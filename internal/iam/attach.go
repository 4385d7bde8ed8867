package iam

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// AttachPolicy attaches a managed policy to a user, role or group;
// attaching it again is a no-op. A customer policy's attachment count
// changes in the same transaction, which also claims the policy, so that
// DeletePolicy conflicts with it.
func (s *Service) AttachPolicy(ctx context.Context, kind EntityKind, name, policyARN string) error {
	if err := checkPolicyARN(policyARN); err != nil {
		return err
	}
	err := s.write(ctx, func(t *store.Txn) error {
		h, err := s.holderAt(ctx, kind, name)
		if err != nil {
			return err
		}
		p, prev, err := s.managedPolicyAt(ctx, policyARN)
		if err != nil {
			return err
		}
		if slices.Contains(*h.policies, policyARN) {
			return nil
		}
		if len(*h.policies) >= maxAttachedPolicies {
			return quotaError("PoliciesPer"+kind.quotaNoun(), maxAttachedPolicies)
		}
		*h.policies = append(*h.policies, policyARN)
		h.put(t)
		if !p.AWSManaged {
			p.AttachmentCount++
			t.Unchanged(policyKey(p.Name), prev)
			t.Put(policyKey(p.Name), p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("attach %s to %v %s: %w", policyARN, kind, name, err)
	}
	return nil
}

// DetachPolicy detaches a managed policy from a user, role or group.
func (s *Service) DetachPolicy(ctx context.Context, kind EntityKind, name, policyARN string) error {
	if err := checkPolicyARN(policyARN); err != nil {
		return err
	}
	err := s.write(ctx, func(t *store.Txn) error {
		h, err := s.holderAt(ctx, kind, name)
		if err != nil {
			return err
		}
		i := slices.Index(*h.policies, policyARN)
		if i < 0 {
			return awserr.Errorf(CodeNoSuchEntity, "Policy %s was not found.", policyARN)
		}
		*h.policies = slices.Delete(*h.policies, i, i+1)
		h.put(t)
		if isAWSPolicyARN(policyARN) {
			return nil
		}
		p, prev, err := s.policyAt(ctx, policyARN)
		var e *awserr.Error
		if errors.As(err, &e) && e.Code == CodeNoSuchEntity {
			return nil // attached before keks counted, and gone since
		} else if err != nil {
			return err
		}
		p.AttachmentCount = max(0, p.AttachmentCount-1)
		t.Unchanged(policyKey(p.Name), prev)
		t.Put(policyKey(p.Name), p)
		return nil
	})
	if err != nil {
		return fmt.Errorf("detach %s from %v %s: %w", policyARN, kind, name, err)
	}
	return nil
}

// AttachedPolicies lists the managed policies attached to a user, role or
// group, in the order they were attached.
func (s *Service) AttachedPolicies(ctx context.Context, kind EntityKind, name string) ([]Policy, error) {
	h, err := s.holderAt(ctx, kind, name)
	if err != nil {
		return nil, err
	}
	out := make([]Policy, 0, len(*h.policies))
	for _, arn := range *h.policies {
		p, _, err := s.managedPolicyAt(ctx, arn)
		var e *awserr.Error
		if errors.As(err, &e) && e.Code == CodeNoSuchEntity {
			continue
		} else if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, nil
}

// AttachRolePolicy attaches a managed policy to a role.
func (s *Service) AttachRolePolicy(ctx context.Context, roleName, policyARN string) error {
	return s.AttachPolicy(ctx, RoleEntity, roleName, policyARN)
}

// DetachRolePolicy detaches a managed policy from a role.
func (s *Service) DetachRolePolicy(ctx context.Context, roleName, policyARN string) error {
	return s.DetachPolicy(ctx, RoleEntity, roleName, policyARN)
}

// AttachUserPolicy attaches a managed policy to a user.
func (s *Service) AttachUserPolicy(ctx context.Context, userName, policyARN string) error {
	return s.AttachPolicy(ctx, UserEntity, userName, policyARN)
}
