package iam

import (
	"context"
	"fmt"
	"slices"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// CreatePolicyVersion adds a version to a customer managed policy, at
// most five a policy, and makes it the default if asked. Version numbers
// are never reused, as in IAM.
func (s *Service) CreatePolicyVersion(ctx context.Context, arn, doc string, setDefault bool) (*PolicyVersion, error) {
	if err := checkPolicyARN(arn); err != nil {
		return nil, err
	}
	if err := checkManagedDocument(doc); err != nil {
		return nil, err
	}
	var v PolicyVersion
	err := s.mutatePolicy(ctx, arn, func(p *Policy) error {
		if len(p.Versions) >= maxPolicyVersions {
			return awserr.Errorf(CodeLimitExceeded, "A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxPolicyVersions)
		}
		now := s.Now().UTC()
		v = PolicyVersion{ID: fmt.Sprintf("v%d", p.NextVersion), Document: doc, CreateDate: now}
		p.NextVersion++
		p.Versions = append(p.Versions, v)
		p.UpdateDate = now
		if setDefault {
			p.DefaultVersionID, p.Document = v.ID, doc
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create a version of %s: %w", arn, err)
	}
	return &v, nil
}

func noSuchVersion(arn, id string) error {
	return awserr.Errorf(CodeNoSuchEntity, "Policy %s version %s does not exist or is not attachable.", arn, id)
}

// PolicyVersion reads one version of a managed policy, with the policy.
func (s *Service) PolicyVersion(ctx context.Context, arn, id string) (*Policy, *PolicyVersion, error) {
	if err := checkPolicyARN(arn); err != nil {
		return nil, nil, err
	}
	if err := checkVersionID(id); err != nil {
		return nil, nil, err
	}
	p, _, err := s.managedPolicyAt(ctx, arn)
	if err != nil {
		return nil, nil, err
	}
	i := slices.IndexFunc(p.Versions, func(v PolicyVersion) bool { return v.ID == id })
	if i < 0 {
		return nil, nil, noSuchVersion(arn, id)
	}
	return p, &p.Versions[i], nil
}

// PolicyVersions reads a managed policy with its versions, oldest first.
func (s *Service) PolicyVersions(ctx context.Context, arn string) (*Policy, error) {
	p, _, err := s.managedPolicyAt(ctx, arn)
	return p, err
}

// DeletePolicyVersion removes a version that is not the default.
func (s *Service) DeletePolicyVersion(ctx context.Context, arn, id string) error {
	if err := checkPolicyARN(arn); err != nil {
		return err
	}
	if err := checkVersionID(id); err != nil {
		return err
	}
	err := s.mutatePolicy(ctx, arn, func(p *Policy) error {
		i := slices.IndexFunc(p.Versions, func(v PolicyVersion) bool { return v.ID == id })
		if i < 0 {
			return noSuchVersion(arn, id)
		}
		if id == p.DefaultVersionID {
			return awserr.Errorf(CodeDeleteConflict, "Cannot delete the default version of a policy.")
		}
		p.Versions = slices.Delete(p.Versions, i, i+1)
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete version %s of %s: %w", id, arn, err)
	}
	return nil
}

// SetDefaultPolicyVersion makes a version the one in force.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, arn, id string) error {
	if err := checkPolicyARN(arn); err != nil {
		return err
	}
	if err := checkVersionID(id); err != nil {
		return err
	}
	err := s.mutatePolicy(ctx, arn, func(p *Policy) error {
		i := slices.IndexFunc(p.Versions, func(v PolicyVersion) bool { return v.ID == id })
		if i < 0 {
			return noSuchVersion(arn, id)
		}
		p.DefaultVersionID, p.Document = id, p.Versions[i].Document
		return nil
	})
	if err != nil {
		return fmt.Errorf("set the default version of %s: %w", arn, err)
	}
	return nil
}

// mutatePolicy changes a customer managed policy in one transaction; AWS
// managed policies are read-only.
func (s *Service) mutatePolicy(ctx context.Context, arn string, change func(*Policy) error) error {
	if isAWSPolicyARN(arn) {
		if _, _, err := s.managedPolicyAt(ctx, arn); err != nil {
			return err
		}
		return awsPolicyReadOnly(arn)
	}
	return s.write(ctx, func(t *store.Txn) error {
		p, rev, err := s.policyAt(ctx, arn)
		if err != nil {
			return err
		}
		if err := change(p); err != nil {
			return err
		}
		t.Unchanged(policyKey(p.Name), rev)
		t.Put(policyKey(p.Name), p)
		return nil
	})
}
