package iam

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awsproto"
)

// ForwardPrincipal is who a forward access session signs as: the caller
// of a service that acts on its behalf (CloudFormation creating a stack's
// resources). Nothing secret: keks can mint such a session again from it.
type ForwardPrincipal struct {
	ARN    string `json:"arn"`
	UserID string `json:"userId"`
}

// IssueForwardSession makes short-lived credentials that resolve to exactly
// p: the same principal (user, root or role session), with a role
// session's tags and session policy, so every call made with them is
// authorized as p's own would be. This is what AWS's forward access
// sessions give a service acting for its caller; p must be a principal
// the front door resolved (keks vouches for it, as AWS does).
func (s *Service) IssueForwardSession(ctx context.Context, p awsproto.Principal, d time.Duration) (*Credentials, error) {
	if p.ARN == "" || p.Federated != "" {
		return nil, fmt.Errorf("forward access session: %q cannot be forwarded", p.ARN)
	}
	if d <= 0 {
		d = time.Hour
	}
	now := s.Now().UTC()
	sess := &Session{
		Token:      "IQoJb3JpZ2luX2VjE" + randomString(200, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
		Expiration: now.Add(d),
		Tags:       maps.Clone(p.SessionTags),
		Policy:     p.SessionPolicy,
		Forward:    &ForwardPrincipal{ARN: p.ARN, UserID: p.UserID},
	}
	// A role session's forward session is of that role: its last use is the role's.
	if rest, ok := strings.CutPrefix(p.ARN, "arn:aws:sts::"); ok {
		if _, tail, ok := strings.Cut(rest, ":assumed-role/"); ok {
			roleName, sessionName, _ := strings.Cut(tail, "/")
			if role, err := s.GetRole(ctx, roleName); err == nil {
				sess.RoleARN, sess.RoleID, sess.SessionName = role.ARN, role.ID, sessionName
			}
		}
	}
	k := &AccessKey{ID: newID(sessionKeyIDPrefix), Secret: newSecret(), Status: KeyActive, CreateDate: now, Session: sess}
	if err := s.Store.Create(ctx, keyKey(k.ID), sealKey(s.Store, k)); err != nil {
		return nil, fmt.Errorf("forward access session of %s: %w", p.ARN, err)
	}
	return &Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret, SessionToken: sess.Token, Expiration: sess.Expiration,
		AssumedRoleARN: p.ARN, AssumedRoleID: p.UserID, RoleARN: sess.RoleARN}, nil
}
