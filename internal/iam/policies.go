package iam

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/iam/policy"
	"github.com/keksdev/keks/internal/store"
)

// CreatePolicy adds a customer managed policy with its document as v1.
func (s *Service) CreatePolicy(ctx context.Context, p Policy) (*Policy, error) {
	if err := checkName("policyName", p.Name, maxPolicyName); err != nil {
		return nil, err
	}
	path, err := normPath(p.Path)
	if err != nil {
		return nil, err
	}
	if err := validateDescription(p.Description); err != nil {
		return nil, err
	}
	if err := validateTags(p.Tags, "TagsPerPolicy"); err != nil {
		return nil, err
	}
	if err := checkManagedDocument(p.Document); err != nil {
		return nil, err
	}
	prefix, err := s.arnPrefix(ctx)
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	p = Policy{
		Name: p.Name, Path: path, ARN: prefix + "policy" + path + p.Name, ID: newID("ANPA"), Description: p.Description,
		CreateDate: now, UpdateDate: now, Document: p.Document, Tags: p.Tags,
		DefaultVersionID: "v1", Versions: []PolicyVersion{{ID: "v1", Document: p.Document, CreateDate: now}}, NextVersion: 2,
	}
	err = s.write(ctx, func(t *store.Txn) error {
		return s.createIn(ctx, t, policyKey(p.Name), &p, awserr.Errorf(CodeEntityAlreadyExists, "A policy called %s already exists. Duplicate names are not allowed.", p.Name))
	})
	if err != nil {
		return nil, fmt.Errorf("create policy %s: %w", p.Name, err)
	}
	return &p, nil
}

func checkManagedDocument(doc string) error {
	if err := checkDocument(doc, policy.Identity); err != nil {
		return err
	}
	if policySize(doc) > maxPolicySize {
		return quotaError("PolicySize", maxPolicySize)
	}
	return nil
}

// GetPolicy reads a managed policy by ARN: a customer policy or one of
// AWS's. It reads one record at most, as authorizing a call may ask for it:
// the AttachmentCount of an AWS managed policy (which has no record to keep
// one in) is left to CountAttachments.
func (s *Service) GetPolicy(ctx context.Context, arn string) (*Policy, error) {
	p, _, err := s.managedPolicyAt(ctx, arn)
	return p, err
}

// CountAttachments fills in the AttachmentCount of the AWS managed
// policies among ps, by counting the users, roles and groups they are
// attached to.
func (s *Service) CountAttachments(ctx context.Context, ps []Policy) error {
	if !slices.ContainsFunc(ps, func(p Policy) bool { return p.AWSManaged }) {
		return nil
	}
	counts, err := s.awsAttachmentCounts(ctx)
	if err != nil {
		return err
	}
	for i := range ps {
		if ps[i].AWSManaged {
			ps[i].AttachmentCount = counts[ps[i].ARN]
		}
	}
	return nil
}

func checkPolicyARN(arn string) error {
	if len(arn) < 20 || len(arn) > 2048 {
		return awserr.Errorf(CodeValidation, "1 validation error detected: Value '%s' at 'policyArn' failed to satisfy constraint: Member must have length between 20 and 2048", arn)
	}
	if !strings.HasPrefix(arn, "arn:aws:iam::") || !strings.Contains(arn, ":policy/") {
		return awserr.Errorf(CodeInvalidInput, "ARN %s is not valid.", arn)
	}
	return nil
}

func noSuchPolicy(arn string) error {
	return awserr.Errorf(CodeNoSuchEntity, "Policy %s does not exist or is not attachable.", arn)
}

// managedPolicyAt reads a customer policy with its revision, or describes
// an AWS managed one (revision 0: it has no record).
func (s *Service) managedPolicyAt(ctx context.Context, arn string) (*Policy, int64, error) {
	if err := checkPolicyARN(arn); err != nil {
		return nil, 0, err
	}
	if isAWSPolicyARN(arn) {
		p, ok := awsManagedPolicy(arn)
		if !ok {
			return nil, 0, noSuchPolicy(arn)
		}
		return p, 0, nil
	}
	return s.policyAt(ctx, arn)
}

// policyAt reads a customer managed policy with its revision.
func (s *Service) policyAt(ctx context.Context, arn string) (*Policy, int64, error) {
	if err := checkPolicyARN(arn); err != nil {
		return nil, 0, err
	}
	if isAWSPolicyARN(arn) {
		return nil, 0, awsPolicyReadOnly(arn)
	}
	var p Policy
	rev, err := s.Store.Get(ctx, policyKey(arn[strings.LastIndex(arn, "/")+1:]), &p)
	if errors.Is(err, store.ErrNotFound) || (err == nil && p.ARN != arn) {
		return nil, 0, noSuchPolicy(arn)
	} else if err != nil {
		return nil, 0, err
	}
	p.upgrade()
	return &p, rev, nil
}

// upgrade fills in the versions of a policy stored before keks kept them:
// its one document is v1.
func (p *Policy) upgrade() {
	if len(p.Versions) == 0 {
		p.DefaultVersionID = "v1"
		p.Versions = []PolicyVersion{{ID: "v1", Document: p.Document, CreateDate: p.CreateDate}}
		p.NextVersion = 2
	}
	if p.UpdateDate.IsZero() {
		p.UpdateDate = p.CreateDate
	}
}

// ListPolicies lists customer managed policies sorted by name.
func (s *Service) ListPolicies(ctx context.Context) ([]Policy, error) {
	out, err := store.List[Policy](ctx, s.Store, policiesPrefix)
	for i := range out {
		out[i].upgrade()
	}
	return out, err
}

// Policy scopes of ListPolicies.
const (
	ScopeAll   = "All"
	ScopeAWS   = "AWS"
	ScopeLocal = "Local"
)

// ListManagedPolicies lists the managed policies of a scope with their
// attachment counts.
func (s *Service) ListManagedPolicies(ctx context.Context, scope string) ([]Policy, error) {
	var out []Policy
	if scope != ScopeLocal {
		out = AWSManagedPolicies()
	}
	if scope != ScopeAWS {
		mine, err := s.ListPolicies(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, mine...)
	}
	return out, s.CountAttachments(ctx, out)
}

// DeletePolicy removes a customer managed policy that nothing uses and
// that has no version but its default, as IAM requires. Attachments claim
// the policy as they are made, so none can slip in between the check and
// the delete.
func (s *Service) DeletePolicy(ctx context.Context, arn string) error {
	if err := checkPolicyARN(arn); err != nil {
		return err
	}
	if isAWSPolicyARN(arn) {
		if _, _, err := s.managedPolicyAt(ctx, arn); err != nil {
			return err
		}
		return awsPolicyReadOnly(arn)
	}
	err := s.write(ctx, func(t *store.Txn) error {
		p, rev, err := s.policyAt(ctx, arn)
		if err != nil {
			return err
		}
		// The count is kept by attachments; the listing also catches
		// attachments made before keks kept it.
		attached, err := s.attachedAnywhere(ctx, p.ARN)
		if err != nil {
			return err
		}
		if p.AttachmentCount > 0 || attached {
			return awserr.Errorf(CodeDeleteConflict, "Cannot delete a policy attached to entities.")
		}
		if len(p.Versions) > 1 {
			return awserr.Errorf(CodeDeleteConflict, "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		t.Unchanged(policyKey(p.Name), rev)
		t.Delete(policyKey(p.Name))
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete policy %s: %w", arn, err)
	}
	return nil
}

// attachedAnywhere reports whether a user, role or group has the policy attached.
func (s *Service) attachedAnywhere(ctx context.Context, arn string) (bool, error) {
	users, roles, groups, err := s.entitiesWith(ctx, arn)
	return len(users)+len(roles)+len(groups) > 0, err
}

// entitiesWith lists the users, roles and groups a managed policy is attached to.
func (s *Service) entitiesWith(ctx context.Context, arn string) ([]User, []Role, []Group, error) {
	users, err := s.ListUsers(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	roles, err := s.ListRoles(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	groups, err := s.ListGroups(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	users = slices.DeleteFunc(users, func(u User) bool { return !slices.Contains(u.Policies, arn) })
	roles = slices.DeleteFunc(roles, func(r Role) bool { return !slices.Contains(r.Policies, arn) })
	groups = slices.DeleteFunc(groups, func(g Group) bool { return !slices.Contains(g.Policies, arn) })
	return users, roles, groups, nil
}

// EntitiesForPolicy lists the users, roles and groups a managed policy is
// attached to; the policy must exist.
func (s *Service) EntitiesForPolicy(ctx context.Context, arn string) (*Policy, []User, []Role, []Group, error) {
	p, _, err := s.managedPolicyAt(ctx, arn)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	users, roles, groups, err := s.entitiesWith(ctx, arn)
	return p, users, roles, groups, err
}
