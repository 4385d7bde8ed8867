package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam/policy"
	"github.com/keksdev/keks/internal/store"
)

var sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// ResolveAccessKey finds a key's secret and owner; it makes Service an awsproto.KeyResolver.
func (s *Service) ResolveAccessKey(ctx context.Context, id string) (string, string, awsproto.Principal, error) {
	var k AccessKey
	if _, err := s.Store.Get(ctx, keyKey(id), &k); errors.Is(err, store.ErrNotFound) {
		return "", "", awsproto.Principal{}, awserr.Errorf(awserr.CodeInvalidClientTokenID, "The security token included in the request is invalid.")
	} else if err != nil {
		return "", "", awsproto.Principal{}, err
	}
	if k.Status != "Active" {
		return "", "", awsproto.Principal{}, awserr.Errorf(awserr.CodeInvalidClientTokenID, "The security token included in the request is invalid.")
	}
	if err := openKey(s.Store, &k); err != nil {
		return "", "", awsproto.Principal{}, err
	}
	id2, err := s.identityOf(ctx, &k)
	if err != nil {
		return "", "", awsproto.Principal{}, err
	}
	token := ""
	var sessionTags map[string]string
	var sessionPolicy string
	if k.Session != nil {
		sessionTags, sessionPolicy = k.Session.Tags, k.Session.Policy
		if s.Now().After(k.Session.Expiration) {
			return "", "", awsproto.Principal{}, awserr.Errorf(awserr.CodeExpiredToken, "The security token included in the request is expired")
		}
		token = k.Session.Token
	}
	p := id2.principal()
	p.AccessKeyID, p.SessionTags, p.SessionPolicy = k.ID, sessionTags, sessionPolicy
	return k.Secret, token, p, nil
}

// principal is who a caller with this identity is to the front door,
// before what its key adds (the key's ID, a session's tags and policy).
func (id *Identity) principal() awsproto.Principal {
	return awsproto.Principal{Account: id.Account, ARN: id.ARN, UserID: id.UserID}
}

// userIdentity is the identity of user u of account accountID: its keys'
// and its console sign-in's alike.
func userIdentity(accountID string, u *User) *Identity {
	return &Identity{Account: accountID, ARN: u.ARN, UserID: u.ID}
}

func (s *Service) identityOf(ctx context.Context, k *AccessKey) (*Identity, error) {
	acct, err := s.Account(ctx)
	if err != nil {
		return nil, err
	}
	if k.Session != nil && k.Session.Forward != nil {
		return &Identity{Account: acct.ID, ARN: k.Session.Forward.ARN, UserID: k.Session.Forward.UserID}, nil
	}
	if k.Session != nil {
		roleName := k.Session.RoleARN[strings.LastIndex(k.Session.RoleARN, "/")+1:]
		return &Identity{
			Account: acct.ID,
			ARN:     fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", acct.ID, roleName, k.Session.SessionName),
			UserID:  k.Session.RoleID + ":" + k.Session.SessionName,
		}, nil
	}
	u, err := s.GetUser(ctx, k.UserName)
	if err != nil {
		return nil, awserr.Errorf(awserr.CodeInvalidClientTokenID, "The security token included in the request is invalid.")
	}
	return userIdentity(acct.ID, u), nil
}

// Credentials are temporary credentials from STS.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
	AssumedRoleARN  string
	AssumedRoleID   string
	RoleARN         string // the role's ARN, path included
}

// AssumeRole issues session credentials for roleARN if its trust policy lets caller assume it.
func (s *Service) AssumeRole(ctx context.Context, caller awsproto.Principal, roleARN, sessionName string, durationSeconds int) (*Credentials, error) {
	if err := checkSessionRequest(sessionName, durationSeconds); err != nil {
		return nil, err
	}
	role, err := s.RoleByARN(ctx, roleARN)
	if err != nil {
		var e *awserr.Error
		if errors.As(err, &e) && e.Code == CodeNoSuchEntity {
			return nil, awserr.Errorf(CodeAccessDenied, "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.ARN, roleARN)
		}
		return nil, err
	}
	d, err := sessionDuration(role, durationSeconds)
	if err != nil {
		return nil, err
	}
	if !s.trusts(ctx, role, caller) {
		return nil, awserr.Errorf(CodeAccessDenied, "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.ARN, roleARN)
	}
	return s.issueSession(ctx, role, sessionName, d)
}

// checkSessionRequest applies STS's rules to a requested session's name
// and duration (0 when the request gives none).
func checkSessionRequest(sessionName string, durationSeconds int) error {
	if !sessionNamePattern.MatchString(sessionName) {
		return awserr.Errorf(CodeValidation, "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64", sessionName)
	}
	if durationSeconds != 0 && (durationSeconds < 900 || durationSeconds > 43200) {
		return awserr.Errorf(CodeValidation, "1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", durationSeconds)
	}
	return nil
}

// sessionDuration is a session's length: an hour unless asked, at most the role's maximum.
func sessionDuration(role *Role, durationSeconds int) (time.Duration, error) {
	if durationSeconds == 0 {
		durationSeconds = 3600
	}
	if durationSeconds > role.MaxSessionDuration {
		return 0, awserr.Errorf(CodeValidation, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	return time.Duration(durationSeconds) * time.Second, nil
}

// IssueRoleSession makes session credentials for a role without a trust check;
// keks uses it for principals it vouches for itself (instances, pods).
func (s *Service) IssueRoleSession(ctx context.Context, roleARN, sessionName string, d time.Duration) (*Credentials, error) {
	role, err := s.RoleByARN(ctx, roleARN)
	if err != nil {
		return nil, err
	}
	return s.issueSession(ctx, role, sessionName, d)
}

func (s *Service) issueSession(ctx context.Context, role *Role, sessionName string, d time.Duration) (*Credentials, error) {
	return s.issueTaggedSession(ctx, role, sessionName, d, nil, "")
}

func (s *Service) issueTaggedSession(ctx context.Context, role *Role, sessionName string, d time.Duration, tags map[string]string, sessionPolicy string) (*Credentials, error) {
	now := s.Now().UTC()
	k := &AccessKey{ID: newID("ASIA"), Secret: newSecret(), Status: "Active", CreateDate: now, Session: &Session{
		Token: "IQoJb3JpZ2luX2VjE" + randomString(200, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"), Expiration: now.Add(d),
		RoleARN: role.ARN, RoleID: role.ID, SessionName: sessionName, Tags: tags, Policy: sessionPolicy,
	}}
	if err := s.Store.Create(ctx, keyKey(k.ID), sealKey(s.Store, k)); err != nil {
		return nil, err
	}
	id, err := s.identityOf(ctx, k)
	if err != nil {
		return nil, err
	}
	return &Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret, SessionToken: k.Session.Token, Expiration: k.Session.Expiration,
		AssumedRoleARN: id.ARN, AssumedRoleID: id.UserID, RoleARN: role.ARN}, nil
}

// PruneSessions deletes expired session keys.
func (s *Service) PruneSessions(ctx context.Context) error {
	keys, err := store.List[AccessKey](ctx, s.Store, "iam/keys/")
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.Session != nil && s.Now().After(k.Session.Expiration.Add(time.Hour)) {
			if err := s.Store.Delete(ctx, keyKey(k.ID)); err != nil {
				return err
			}
		}
	}
	return nil
}

// trusts reports whether a role's trust policy names caller for
// sts:AssumeRole. Conditions are the front door's to judge, with the
// request's own keys (sts:ExternalId, aws:SourceIp...) that this model does
// not see: here an Allow's conditions are taken to hold and a conditional
// Deny not to apply, so that the model never refuses what the front door
// allowed. A statement naming only the caller's account counts: the
// caller's own policies are the front door's to check too.
func (s *Service) trusts(ctx context.Context, role *Role, caller awsproto.Principal) bool {
	doc, err := policy.Parse(withoutConditions(role.AssumeRolePolicy), policy.Resource)
	if err != nil {
		return false
	}
	who := policy.Principal{ARN: caller.ARN, Account: caller.Account, UserID: caller.UserID}
	if e, ok := principalEntityOf(caller); ok && e.kind == RoleEntity {
		// A role's ARN in a Principal element stands for its sessions.
		if r, err := s.GetRole(ctx, e.name); err == nil {
			who.RoleARN = r.ARN
		}
	}
	switch doc.EvaluateResource(&policy.Request{Principal: who, Action: "sts:AssumeRole", Resource: role.ARN}) {
	case policy.Allow, policy.AllowAccount:
		return true
	}
	return false
}

// withoutConditions drops the Condition of each Allow statement of a policy
// document, and each Deny statement that has one; a document it cannot
// read is returned as it is, for the parser to refuse.
func withoutConditions(doc string) string {
	var top map[string]any
	if json.Unmarshal([]byte(doc), &top) != nil {
		return doc
	}
	var statements []any
	switch st := top["Statement"].(type) {
	case []any:
		statements = st
	case map[string]any:
		statements = []any{st}
	default:
		return doc
	}
	kept := statements[:0:0]
	for _, st := range statements {
		m, ok := st.(map[string]any)
		if !ok {
			return doc
		}
		if _, conditional := m["Condition"]; conditional {
			if m["Effect"] == "Deny" {
				continue
			}
			delete(m, "Condition")
		}
		kept = append(kept, m)
	}
	top["Statement"] = kept
	out, err := json.Marshal(top)
	if err != nil {
		return doc
	}
	return string(out)
}

// ActiveKey is an access key with its owner, for identity snapshots.
type ActiveKey struct {
	Key      AccessKey
	Identity Identity
}

// ActiveKeys lists every key that can sign today: users' active keys and
// unexpired sessions.
func (s *Service) ActiveKeys(ctx context.Context) ([]ActiveKey, error) {
	keys, err := store.List[AccessKey](ctx, s.Store, "iam/keys/")
	if err != nil {
		return nil, err
	}
	var out []ActiveKey
	for i := range keys {
		k := &keys[i]
		if k.Status != "Active" || (k.Session != nil && s.Now().After(k.Session.Expiration)) {
			continue
		}
		if openKey(s.Store, k) != nil {
			continue // a secret that does not open signs nothing (ResolveAccessKey refuses it too)
		}
		id, err := s.identityOf(ctx, k)
		if err != nil {
			continue
		}
		out = append(out, ActiveKey{Key: *k, Identity: *id})
	}
	return out, nil
}
