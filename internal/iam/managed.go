package iam

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/iam/awspolicies"
)

// awsPolicyPrefix starts the ARN of every AWS managed policy.
const awsPolicyPrefix = awspolicies.ARNPrefix + "/"

func isAWSPolicyARN(arn string) bool { return strings.HasPrefix(arn, awsPolicyPrefix) }

// awsManagedPolicy describes an AWS managed policy from the published data;
// an ARN under arn:aws:iam::aws:policy/ that is not there does not exist,
// as on AWS.
func awsManagedPolicy(arn string) (*Policy, bool) {
	p, ok := awspolicies.Lookup(arn)
	if !ok {
		return nil, false
	}
	return fromAWS(p), true
}

func fromAWS(p awspolicies.Policy) *Policy {
	id := p.ID
	if id == "" {
		// Stable across calls and restarts, so clients can compare it.
		sum := sha256.Sum256([]byte(p.ARN))
		id = "ANPA" + base32.StdEncoding.EncodeToString(sum[:])[:17]
	}
	created, updated := p.CreateDate.UTC(), p.UpdateDate.UTC()
	if updated.IsZero() {
		updated = created
	}
	return &Policy{
		Name: p.Name, Path: p.Path, ARN: p.ARN, ID: id, Description: p.Description,
		CreateDate: created, UpdateDate: updated, Document: p.Document, DefaultVersionID: p.DefaultVersionID,
		// Only the default version is published; it is the one keks knows.
		Versions:   []PolicyVersion{{ID: p.DefaultVersionID, Document: p.Document, CreateDate: updated}},
		AWSManaged: true,
	}
}

// AWSManagedPolicies lists the AWS managed policies keks describes, by name.
func AWSManagedPolicies() []Policy {
	all := awspolicies.All()
	out := make([]Policy, len(all))
	for i, p := range all {
		out[i] = *fromAWS(p)
	}
	return out
}

// awsPolicyReadOnly refuses changes to an AWS managed policy: only AWS
// makes its versions, tags and deletion.
func awsPolicyReadOnly(arn string) error {
	return awserr.Errorf(CodeAccessDenied, "Policy %s is an AWS managed policy; only AWS can change it.", arn)
}

// awsAttachmentCounts counts, for each AWS managed policy, the users,
// roles and groups it is attached to. AWS policies have no record to keep
// a count in, and they are counted only to be shown.
func (s *Service) awsAttachmentCounts(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	count := func(arns []string) {
		for _, a := range arns {
			if isAWSPolicyARN(a) {
				out[a]++
			}
		}
	}
	users, err := s.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		count(u.Policies)
	}
	roles, err := s.ListRoles(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range roles {
		count(r.Policies)
	}
	groups, err := s.ListGroups(ctx)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		count(g.Policies)
	}
	return out, nil
}
