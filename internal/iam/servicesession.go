package iam

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/keksdev/keks/internal/iam/policy"
)

// ServiceSessionRequest is an AWS service assuming a role on someone's
// behalf (EKS Pod Identity: pods.eks.amazonaws.com), with session tags.
type ServiceSessionRequest struct {
	Service     string // the service principal, "pods.eks.amazonaws.com"
	RoleARN     string
	SessionName string
	Duration    time.Duration
	Tags        map[string]string
	// ExternalID, when set, is the request's sts:ExternalId.
	ExternalID string
	// Caller, when set, is the session that assumes RoleARN in place of the
	// service (a chained role): its trust policy must name that session's role.
	Caller *Credentials
	// Policy is a session policy limiting the session, if any.
	Policy string
	// Context holds the request's other condition keys (aws:SourceArn,
	// aws:SourceAccount: the resource the service acts for).
	Context map[string][]string
}

// AssumeRoleAsService issues a session of a role to an AWS service when the
// role's trust policy lets that service sts:AssumeRole (and, with tags,
// sts:TagSession), conditions included: a trust policy can require the
// session tags the service sets. It reports false, with no error, when the
// trust policy does not allow it.
func (s *Service) AssumeRoleAsService(ctx context.Context, in ServiceSessionRequest) (*Credentials, bool, error) {
	role, err := s.RoleByARN(ctx, in.RoleARN)
	if isNoSuchEntity(err) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	doc, err := policy.Parse(role.AssumeRolePolicy, policy.Resource)
	if err != nil {
		return nil, false, nil
	}
	who := policy.Principal{Service: in.Service}
	if in.Caller != nil {
		acct, err := s.Account(ctx)
		if err != nil {
			return nil, false, err
		}
		caller, err := s.RoleByARN(ctx, in.Caller.RoleARN)
		if err != nil {
			return nil, false, nil
		}
		who = policy.Principal{ARN: in.Caller.AssumedRoleARN, Account: acct.ID, UserID: in.Caller.AssumedRoleID, RoleARN: caller.ARN}
	}
	keys := maps.Clone(in.Context)
	if keys == nil {
		keys = map[string][]string{}
	}
	keys["sts:RoleSessionName"] = []string{in.SessionName}
	if in.ExternalID != "" {
		keys["sts:ExternalId"] = []string{in.ExternalID}
	}
	for k, v := range in.Tags {
		keys["aws:RequestTag/"+k] = []string{v}
	}
	if len(in.Tags) > 0 {
		keys["aws:TagKeys"] = slices.Sorted(maps.Keys(in.Tags))
	}
	actions := []string{"sts:AssumeRole"}
	if len(in.Tags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	for _, action := range actions {
		switch doc.EvaluateResource(&policy.Request{Principal: who, Action: action, Resource: role.ARN, Context: keys}) {
		case policy.Allow, policy.AllowAccount:
		default:
			return nil, false, nil
		}
	}
	d := in.Duration
	if d <= 0 {
		d = time.Hour
	}
	creds, err := s.issueTaggedSession(ctx, role, in.SessionName, d, in.Tags, in.Policy)
	return creds, err == nil, err
}

// ServiceTrusted says whether a role's trust policy lets an AWS service do
// each of actions on it, before the service asks: an Allow's conditions
// are taken to hold and a conditional Deny not to apply, as trusts judges
// a caller (EKS checks a Pod Identity role so when an association is made).
func ServiceTrusted(role *Role, service string, actions ...string) bool {
	doc, err := policy.Parse(withoutConditions(role.AssumeRolePolicy), policy.Resource)
	if err != nil {
		return false
	}
	for _, action := range actions {
		if doc.EvaluateResource(&policy.Request{Principal: policy.Principal{Service: service}, Action: action, Resource: role.ARN}) != policy.Allow {
			return false
		}
	}
	return true
}
