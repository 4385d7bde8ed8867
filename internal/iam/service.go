package iam

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/oidc"
	"github.com/keksdev/keks/internal/store"
)

// IAM and STS error codes.
const (
	CodeNoSuchEntity        = "NoSuchEntity"
	CodeEntityAlreadyExists = "EntityAlreadyExists"
	CodeValidation          = "ValidationError"
	CodeMalformedPolicy     = "MalformedPolicyDocument"
	CodeDeleteConflict      = "DeleteConflict"
	CodeAccessDenied        = "AccessDenied"
	CodeLimitExceeded       = "LimitExceeded"
	CodeInvalidInput        = "InvalidInput"
	// Console passwords: a password the account's policy refuses, and a
	// caller that is not an IAM user changing its own password.
	CodePasswordPolicyViolation = "PasswordPolicyViolation"
	CodeInvalidUserType         = "InvalidUserType"
	// STS's refusals of a web identity token.
	CodeInvalidIdentityToken = "InvalidIdentityToken"
	CodeIDPCommunication     = "IDPCommunicationError"
)

func init() {
	awserr.RegisterStatus(CodeNoSuchEntity, http.StatusNotFound)
	awserr.RegisterStatus(CodeEntityAlreadyExists, http.StatusConflict)
	awserr.RegisterStatus(CodeDeleteConflict, http.StatusConflict)
	awserr.RegisterStatus(CodeLimitExceeded, http.StatusConflict)
	awserr.RegisterStatus(CodeAccessDenied, http.StatusForbidden)
	awserr.RegisterStatus(CodeInvalidIdentityToken, http.StatusBadRequest)
	awserr.RegisterStatus(CodeIDPCommunication, http.StatusBadRequest)
}

// Service is the IAM model over the store. Its zero value (with Store and
// Now set) is ready; Run moves the recording of key use off the request path.
type Service struct {
	Store *store.Store
	Now   func() time.Time
	// WebIdentityKeys verifies web identity tokens' signatures with their
	// issuers' published keys; nil refuses every such token.
	WebIdentityKeys *oidc.Verifier

	// cache holds PoliciesOf's answers until the next IAM write.
	cache principalCache
	// keyUse throttles and queues RecordKeyUse's writes.
	keyUse keyUseRecorder
}

// Store keys. Names are kept lower-cased because IAM names are unique
// regardless of case.
func userKey(name string) string    { return "iam/users/" + strings.ToLower(name) }
func roleKey(name string) string    { return "iam/roles/" + strings.ToLower(name) }
func groupKey(name string) string   { return "iam/groups/" + strings.ToLower(name) }
func policyKey(name string) string  { return "iam/policies/" + strings.ToLower(name) }
func keyKey(id string) string       { return "iam/keys/" + id }
func keyUseKey(id string) string    { return UsagePrefix + "keys/" + id }
func roleUseKey(name string) string { return UsagePrefix + "roles/" + strings.ToLower(name) }

// A login profile and the last use of a password are the user's by its ID,
// which a rename keeps.
func loginProfileKey(userID string) string { return loginProfilesPrefix + userID }
func passwordUseKey(userID string) string  { return passwordUsePrefix + userID }

// UsagePrefix holds when keys and roles were last used: bookkeeping that
// any signed request may write (at most once a key a minute), whatever
// the call's outcome, as IAM records use of refused calls too; and when
// passwords were, which a console sign-in writes.
const UsagePrefix = "iam/usage/"

const (
	accountKey     = "iam/account"
	usersPrefix    = "iam/users/"
	rolesPrefix    = "iam/roles/"
	groupsPrefix   = "iam/groups/"
	policiesPrefix = "iam/policies/"
	keysPrefix     = "iam/keys/"
	// The account's password policy, when one is set.
	passwordPolicyKey   = "iam/passwordpolicy"
	loginProfilesPrefix = "iam/loginprofiles/"
	passwordUsePrefix   = UsagePrefix + "passwords/"
)

// Account returns the installation's account, creating it on first use.
func (s *Service) Account(ctx context.Context) (*Account, error) {
	var a Account
	if _, err := s.Store.Get(ctx, accountKey, &a); err == nil {
		return &a, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	a = Account{ID: newAccountID(), CreatedAt: s.Now().UTC()}
	if err := s.Store.Create(ctx, accountKey, &a); err != nil && !errors.Is(err, store.ErrExists) {
		return nil, err
	}
	_, err := s.Store.Get(ctx, accountKey, &a)
	return &a, err
}

// write commits a transaction that changes users, roles, groups or
// policies, then drops PoliciesOf's cached answers: the next call reads
// what this one wrote. Every such write goes through here.
func (s *Service) write(ctx context.Context, build func(t *store.Txn) error) error {
	defer s.cache.invalidate()
	return s.Store.Transact(ctx, build)
}

// arnPrefix is the start of the ARNs of the account's IAM entities.
func (s *Service) arnPrefix(ctx context.Context) (string, error) {
	acct, err := s.Account(ctx)
	if err != nil {
		return "", err
	}
	return "arn:aws:iam::" + acct.ID + ":", nil
}
