package iam

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/iam/policy"
	"github.com/keksdev/keks/internal/store"
)

// PutInlinePolicy adds or replaces a policy embedded in a user, role or
// group. IAM bounds the total size of an entity's inline policies.
func (s *Service) PutInlinePolicy(ctx context.Context, kind EntityKind, name, policyName, doc string) error {
	if err := checkName("policyName", policyName, maxPolicyName); err != nil {
		return err
	}
	if err := checkDocument(doc, policy.Identity); err != nil {
		return err
	}
	err := s.write(ctx, func(t *store.Txn) error {
		h, err := s.holderAt(ctx, kind, name)
		if err != nil {
			return err
		}
		inline := maps.Clone(*h.inline)
		if inline == nil {
			inline = map[string]string{}
		}
		inline[policyName] = doc
		total := 0
		for _, d := range inline {
			total += policySize(d)
		}
		if total > kind.inlineLimit() {
			return awserr.Errorf(CodeLimitExceeded, "Maximum policy size of %d bytes exceeded for %v %s", kind.inlineLimit(), kind, h.name)
		}
		*h.inline = inline
		h.put(t)
		return nil
	})
	if err != nil {
		return fmt.Errorf("put policy %s of %v %s: %w", policyName, kind, name, err)
	}
	return nil
}

func noSuchInline(kind EntityKind, policyName string) error {
	return awserr.Errorf(CodeNoSuchEntity, "The %v policy with name %s cannot be found.", kind, policyName)
}

// InlinePolicy reads a policy embedded in a user, role or group; it
// returns the entity's name as stored, and the document.
func (s *Service) InlinePolicy(ctx context.Context, kind EntityKind, name, policyName string) (string, string, error) {
	if err := checkName("policyName", policyName, maxPolicyName); err != nil {
		return "", "", err
	}
	h, err := s.holderAt(ctx, kind, name)
	if err != nil {
		return "", "", err
	}
	doc, ok := (*h.inline)[policyName]
	if !ok {
		return "", "", noSuchInline(kind, policyName)
	}
	return h.name, doc, nil
}

// DeleteInlinePolicy removes a policy embedded in a user, role or group.
func (s *Service) DeleteInlinePolicy(ctx context.Context, kind EntityKind, name, policyName string) error {
	if err := checkName("policyName", policyName, maxPolicyName); err != nil {
		return err
	}
	err := s.write(ctx, func(t *store.Txn) error {
		h, err := s.holderAt(ctx, kind, name)
		if err != nil {
			return err
		}
		if _, ok := (*h.inline)[policyName]; !ok {
			return noSuchInline(kind, policyName)
		}
		inline := maps.Clone(*h.inline)
		delete(inline, policyName)
		*h.inline = inline
		h.put(t)
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete policy %s of %v %s: %w", policyName, kind, name, err)
	}
	return nil
}

// InlinePolicyNames lists the names of a user's, role's or group's inline
// policies, sorted.
func (s *Service) InlinePolicyNames(ctx context.Context, kind EntityKind, name string) ([]string, error) {
	h, err := s.holderAt(ctx, kind, name)
	if err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(*h.inline)), nil
}
