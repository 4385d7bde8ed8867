package eks

import (
	"context"
	"slices"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/eks/accesspolicies"
)

// AssociateAccessPolicyInput is AssociateAccessPolicy's request, decoded.
type AssociateAccessPolicyInput struct {
	Region, ClusterName, PrincipalARN string
	PolicyARN                         string
	ScopeType                         string
	Namespaces                        []string
}

// AssociateAccessPolicy associates an access policy with an entry, or,
// when it is associated already, gives it the new scope: each policy is
// associated once, with one scope.
func (s *Service) AssociateAccessPolicy(ctx context.Context, in AssociateAccessPolicyInput) (*AssociatedPolicy, error) {
	c, err := s.accessEntriesCluster(ctx, in.Region, in.ClusterName)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.accessEntryAt(ctx, c, in.PrincipalARN); err != nil {
		return nil, err
	}
	if err := checkPolicyARN(c.Name, in.PolicyARN); err != nil {
		return nil, err
	}
	if err := checkScope(c.Name, in.ScopeType, in.Namespaces); err != nil {
		return nil, err
	}
	var out AssociatedPolicy
	err = s.changeEntry(ctx, c, in.PrincipalARN, func(e *AccessEntry) error {
		if !takesPolicies(e.Type) {
			return notStandard(c.Name)
		}
		now := s.Now().UTC()
		want := AssociatedPolicy{PolicyARN: in.PolicyARN, ScopeType: in.ScopeType, Namespaces: slices.Clone(in.Namespaces), AssociatedAt: now, ModifiedAt: now}
		i := slices.IndexFunc(e.Policies, func(p AssociatedPolicy) bool { return p.PolicyARN == in.PolicyARN })
		if i < 0 {
			e.Policies = append(e.Policies, want)
			out = want
			return nil
		}
		have := &e.Policies[i]
		// Associating again is how a scope changes; the association keeps its date.
		if have.ScopeType != want.ScopeType || !slices.Equal(have.Namespaces, want.Namespaces) {
			have.ScopeType, have.Namespaces, have.ModifiedAt = want.ScopeType, want.Namespaces, now
		}
		out = *have
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DisassociateAccessPolicy removes an access policy from an entry.
func (s *Service) DisassociateAccessPolicy(ctx context.Context, region, cluster, principalARN, policyARN string) error {
	c, err := s.accessEntriesCluster(ctx, region, cluster)
	if err != nil {
		return err
	}
	return s.changeEntry(ctx, c, principalARN, func(e *AccessEntry) error {
		i := slices.IndexFunc(e.Policies, func(p AssociatedPolicy) bool { return p.PolicyARN == policyARN })
		if i < 0 {
			return awserr.Errorf(CodeResourceNotFound, "The specified policyArn %s is not associated with the access entry of %s.", policyARN, principalARN).With("clusterName", cluster)
		}
		e.Policies = slices.Delete(e.Policies, i, i+1)
		if len(e.Policies) == 0 {
			e.Policies = nil
		}
		return nil
	})
}

// ListAssociatedAccessPolicies pages through an entry's associated
// policies in policy ARN order.
func (s *Service) ListAssociatedAccessPolicies(ctx context.Context, region, cluster, principalARN string, maxResults int, nextToken string) ([]AssociatedPolicy, string, error) {
	e, err := s.GetAccessEntry(ctx, region, cluster, principalARN)
	if err != nil {
		return nil, "", err
	}
	if !takesPolicies(e.Type) {
		return nil, "", notStandard(cluster)
	}
	byARN := map[string]AssociatedPolicy{}
	arns := make([]string, 0, len(e.Policies))
	for _, p := range e.Policies {
		byARN[p.PolicyARN] = p
		arns = append(arns, p.PolicyARN)
	}
	page, next, err := Page(arns, maxResults, nextToken)
	if err != nil {
		return nil, "", err
	}
	out := make([]AssociatedPolicy, 0, len(page))
	for _, arn := range page {
		out = append(out, byARN[arn])
	}
	return out, next, nil
}

// ListAccessPolicies pages through the access policies EKS offers, in
// name order.
func (s *Service) ListAccessPolicies(_ context.Context, maxResults int, nextToken string) ([]accesspolicies.Policy, string, error) {
	byName := map[string]accesspolicies.Policy{}
	names := []string{}
	for _, p := range accesspolicies.All() {
		byName[p.Name] = p
		names = append(names, p.Name)
	}
	page, next, err := Page(names, maxResults, nextToken)
	if err != nil {
		return nil, "", err
	}
	out := make([]accesspolicies.Policy, 0, len(page))
	for _, name := range page {
		out = append(out, byName[name])
	}
	return out, next, nil
}
