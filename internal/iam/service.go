package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awserr"
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
)

func init() {
	awserr.RegisterStatus(CodeNoSuchEntity, http.StatusNotFound)
	awserr.RegisterStatus(CodeEntityAlreadyExists, http.StatusConflict)
	awserr.RegisterStatus(CodeDeleteConflict, http.StatusConflict)
	awserr.RegisterStatus(CodeLimitExceeded, http.StatusConflict)
	awserr.RegisterStatus(CodeAccessDenied, http.StatusForbidden)
}

var (
	namePattern = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	pathPattern = regexp.MustCompile(`^/([\x21-\x7E]*/)?$`)
)

// Service is the IAM model over the store.
type Service struct {
	Store *store.Store
	Now   func() time.Time
}

func userKey(name string) string   { return "iam/users/" + strings.ToLower(name) }
func roleKey(name string) string   { return "iam/roles/" + strings.ToLower(name) }
func policyKey(name string) string { return "iam/policies/" + strings.ToLower(name) }
func keyKey(id string) string      { return "iam/keys/" + id }

const accountKey = "iam/account"

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

func checkName(kind, name string) error {
	if !namePattern.MatchString(name) {
		return awserr.Errorf(CodeValidation, "1 validation error detected: Value '%s' at '%sName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have length between 1 and 64", name, kind)
	}
	return nil
}

func normPath(p string) (string, error) {
	if p == "" {
		return "/", nil
	}
	if len(p) > 512 || !pathPattern.MatchString(p) {
		return "", awserr.Errorf(CodeValidation, "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	}
	return p, nil
}

// CreateUser adds an IAM user.
func (s *Service) CreateUser(ctx context.Context, name, path string, tags map[string]string) (*User, error) {
	if err := checkName("user", name); err != nil {
		return nil, err
	}
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	path, err := normPath(path)
	if err != nil {
		return nil, err
	}
	acct, err := s.Account(ctx)
	if err != nil {
		return nil, err
	}
	u := &User{Name: name, Path: path, ARN: fmt.Sprintf("arn:aws:iam::%s:user%s%s", acct.ID, path, name), ID: newID("AIDA"), CreateDate: s.Now().UTC(), Tags: tags}
	if err := s.Store.Create(ctx, userKey(name), u); errors.Is(err, store.ErrExists) {
		return nil, awserr.Errorf(CodeEntityAlreadyExists, "User with name %s already exists.", name)
	} else if err != nil {
		return nil, err
	}
	return u, nil
}

// GetUser reads a user.
func (s *Service) GetUser(ctx context.Context, name string) (*User, error) {
	u, _, err := s.userAt(ctx, name)
	return u, err
}

func (s *Service) userAt(ctx context.Context, name string) (*User, int64, error) {
	if err := checkName("user", name); err != nil {
		return nil, 0, err
	}
	var u User
	rev, err := s.Store.Get(ctx, userKey(name), &u)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, awserr.Errorf(CodeNoSuchEntity, "The user with name %s cannot be found.", name)
	} else if err != nil {
		return nil, 0, err
	}
	return &u, rev, nil
}

// ListUsers lists users sorted by name.
func (s *Service) ListUsers(ctx context.Context) ([]User, error) {
	return store.List[User](ctx, s.Store, "iam/users/")
}

// DeleteUser removes a user that has no keys or policies left, as IAM
// requires. Keys and attachments claim the user as they are made, so none
// can slip in between the check and the delete.
func (s *Service) DeleteUser(ctx context.Context, name string) error {
	if err := checkName("user", name); err != nil {
		return err
	}
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		u, rev, err := s.userAt(ctx, name)
		if err != nil {
			return err
		}
		keys, err := s.ListAccessKeys(ctx, u.Name)
		if err != nil {
			return err
		}
		if len(keys) > 0 || len(u.Policies) > 0 {
			return awserr.Errorf(CodeDeleteConflict, "Cannot delete entity, must delete access keys and detach policies first.")
		}
		t.Unchanged(userKey(name), rev)
		t.Delete(userKey(name))
		return nil
	})
}

// CreateAccessKey makes a long-term key for a user, at most two a user.
func (s *Service) CreateAccessKey(ctx context.Context, userName string) (*AccessKey, error) {
	var k *AccessKey
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		// Claiming the user orders this key after any other of its keys,
		// so the quota below counts them all.
		u, rev, err := s.userAt(ctx, userName)
		if err != nil {
			return err
		}
		keys, err := s.ListAccessKeys(ctx, u.Name)
		if err != nil {
			return err
		}
		if len(keys) >= 2 {
			return awserr.Errorf(CodeLimitExceeded, "Cannot exceed quota for AccessKeysPerUser: 2")
		}
		k = &AccessKey{ID: newID("AKIA"), Secret: newSecret(), Status: "Active", CreateDate: s.Now().UTC(), UserName: u.Name}
		t.Unchanged(userKey(userName), rev)
		t.Put(userKey(userName), u)
		t.Create(keyKey(k.ID), k)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// ListAccessKeys lists a user's long-term keys.
func (s *Service) ListAccessKeys(ctx context.Context, userName string) ([]AccessKey, error) {
	all, err := store.List[AccessKey](ctx, s.Store, "iam/keys/")
	if err != nil {
		return nil, err
	}
	var out []AccessKey
	for _, k := range all {
		if k.Session == nil && strings.EqualFold(k.UserName, userName) {
			out = append(out, k)
		}
	}
	return out, nil
}

// DeleteAccessKey removes one of a user's keys.
func (s *Service) DeleteAccessKey(ctx context.Context, userName, id string) error {
	var k AccessKey
	if _, err := s.Store.Get(ctx, keyKey(id), &k); err != nil || k.Session != nil || !strings.EqualFold(k.UserName, userName) {
		return awserr.Errorf(CodeNoSuchEntity, "The Access Key with id %s cannot be found.", id)
	}
	return s.Store.Delete(ctx, keyKey(id))
}

// CreateRole adds a role with its trust policy.
func (s *Service) CreateRole(ctx context.Context, r Role) (*Role, error) {
	if err := checkName("role", r.Name); err != nil {
		return nil, err
	}
	path, err := normPath(r.Path)
	if err != nil {
		return nil, err
	}
	if err := validateDescription(r.Description); err != nil {
		return nil, err
	}
	if err := validateTags(r.Tags); err != nil {
		return nil, err
	}
	if _, err := parsePolicy(r.AssumeRolePolicy); err != nil {
		return nil, err
	}
	if policySize(r.AssumeRolePolicy) > maxTrustPolicySize {
		return nil, awserr.Errorf(CodeLimitExceeded, "Cannot exceed quota for ACLSizePerRole: %d", maxTrustPolicySize)
	}
	if r.MaxSessionDuration == 0 {
		r.MaxSessionDuration = 3600
	}
	if r.MaxSessionDuration < 3600 || r.MaxSessionDuration > 43200 {
		return nil, awserr.Errorf(CodeValidation, "1 validation error detected: Value '%d' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200", r.MaxSessionDuration)
	}
	acct, err := s.Account(ctx)
	if err != nil {
		return nil, err
	}
	r.Path = path
	r.ARN = fmt.Sprintf("arn:aws:iam::%s:role%s%s", acct.ID, path, r.Name)
	r.ID = newID("AROA")
	r.CreateDate = s.Now().UTC()
	if err := s.Store.Create(ctx, roleKey(r.Name), &r); errors.Is(err, store.ErrExists) {
		return nil, awserr.Errorf(CodeEntityAlreadyExists, "Role with name %s already exists.", r.Name)
	} else if err != nil {
		return nil, err
	}
	return &r, nil
}

// GetRole reads a role by name.
func (s *Service) GetRole(ctx context.Context, name string) (*Role, error) {
	r, _, err := s.roleAt(ctx, name)
	return r, err
}

func (s *Service) roleAt(ctx context.Context, name string) (*Role, int64, error) {
	if err := checkName("role", name); err != nil {
		return nil, 0, err
	}
	var r Role
	rev, err := s.Store.Get(ctx, roleKey(name), &r)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, awserr.Errorf(CodeNoSuchEntity, "The role with name %s cannot be found.", name)
	} else if err != nil {
		return nil, 0, err
	}
	return &r, rev, nil
}

// RoleByARN finds a role from its ARN, checking account and path.
func (s *Service) RoleByARN(ctx context.Context, arn string) (*Role, error) {
	i := strings.LastIndex(arn, "/")
	if !strings.HasPrefix(arn, "arn:aws:iam::") || !strings.Contains(arn, ":role/") || i < 0 {
		return nil, awserr.Errorf(CodeValidation, "%s is not a valid role ARN", arn)
	}
	r, err := s.GetRole(ctx, arn[i+1:])
	if err != nil {
		return nil, err
	}
	if r.ARN != arn {
		return nil, awserr.Errorf(CodeNoSuchEntity, "The role with ARN %s cannot be found.", arn)
	}
	return r, nil
}

// ListRoles lists roles sorted by name.
func (s *Service) ListRoles(ctx context.Context) ([]Role, error) {
	return store.List[Role](ctx, s.Store, "iam/roles/")
}

// DeleteRole removes a role that has no policies attached, as IAM requires.
func (s *Service) DeleteRole(ctx context.Context, name string) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		r, rev, err := s.roleAt(ctx, name)
		if err != nil {
			return err
		}
		if len(r.Policies) > 0 {
			return awserr.Errorf(CodeDeleteConflict, "Cannot delete entity, must detach all policies first.")
		}
		t.Unchanged(roleKey(name), rev)
		t.Delete(roleKey(name))
		return nil
	})
}

// CreatePolicy adds a customer managed policy.
func (s *Service) CreatePolicy(ctx context.Context, p Policy) (*Policy, error) {
	if !policyNamePattern.MatchString(p.Name) {
		return nil, awserr.Errorf(CodeValidation, "1 validation error detected: Value '%s' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", p.Name)
	}
	path, err := normPath(p.Path)
	if err != nil {
		return nil, err
	}
	if err := validateDescription(p.Description); err != nil {
		return nil, err
	}
	if _, err := parsePolicy(p.Document); err != nil {
		return nil, err
	}
	if policySize(p.Document) > maxPolicySize {
		return nil, awserr.Errorf(CodeLimitExceeded, "Cannot exceed quota for PolicySize: %d", maxPolicySize)
	}
	acct, err := s.Account(ctx)
	if err != nil {
		return nil, err
	}
	p.Path = path
	p.ARN = fmt.Sprintf("arn:aws:iam::%s:policy%s%s", acct.ID, path, p.Name)
	p.ID = newID("ANPA")
	p.CreateDate = s.Now().UTC()
	if err := s.Store.Create(ctx, policyKey(p.Name), &p); errors.Is(err, store.ErrExists) {
		return nil, awserr.Errorf(CodeEntityAlreadyExists, "A policy called %s already exists. Duplicate names are not allowed.", p.Name)
	} else if err != nil {
		return nil, err
	}
	return &p, nil
}

// GetPolicy reads a managed policy by ARN: a customer policy or one of AWS's.
func (s *Service) GetPolicy(ctx context.Context, arn string) (*Policy, error) {
	if p, ok := awsManagedPolicy(arn); ok {
		return p, nil
	}
	p, _, err := s.policyAt(ctx, arn)
	return p, err
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

// policyAt reads a customer managed policy with its revision.
func (s *Service) policyAt(ctx context.Context, arn string) (*Policy, int64, error) {
	if err := checkPolicyARN(arn); err != nil {
		return nil, 0, err
	}
	var p Policy
	rev, err := s.Store.Get(ctx, policyKey(arn[strings.LastIndex(arn, "/")+1:]), &p)
	if errors.Is(err, store.ErrNotFound) || (err == nil && p.ARN != arn) {
		return nil, 0, awserr.Errorf(CodeNoSuchEntity, "Policy %s does not exist or is not attachable.", arn)
	} else if err != nil {
		return nil, 0, err
	}
	return &p, rev, nil
}

// ListPolicies lists customer managed policies.
func (s *Service) ListPolicies(ctx context.Context) ([]Policy, error) {
	return store.List[Policy](ctx, s.Store, "iam/policies/")
}

// DeletePolicy removes a customer managed policy that nothing uses.
// Attachments claim the policy as they are made, so none can slip in
// between the check and the delete.
func (s *Service) DeletePolicy(ctx context.Context, arn string) error {
	if strings.HasPrefix(arn, awsPolicyPrefix) {
		if _, err := s.GetPolicy(ctx, arn); err != nil {
			return err
		}
		return awserr.Errorf(CodeValidation, "AWS managed policies cannot be deleted.")
	}
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		p, rev, err := s.policyAt(ctx, arn)
		if err != nil {
			return err
		}
		roles, err := s.ListRoles(ctx)
		if err != nil {
			return err
		}
		users, err := s.ListUsers(ctx)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(roles, func(r Role) bool { return slices.Contains(r.Policies, p.ARN) }) ||
			slices.ContainsFunc(users, func(u User) bool { return slices.Contains(u.Policies, p.ARN) }) {
			return awserr.Errorf(CodeDeleteConflict, "Cannot delete a policy attached to entities.")
		}
		t.Unchanged(policyKey(p.Name), rev)
		t.Delete(policyKey(p.Name))
		return nil
	})
}

// AttachRolePolicy attaches a managed policy to a role; attaching twice is a no-op.
func (s *Service) AttachRolePolicy(ctx context.Context, roleName, policyARN string) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		r, rev, err := s.roleAt(ctx, roleName)
		if err != nil {
			return err
		}
		if err := s.claimPolicy(ctx, t, policyARN); err != nil {
			return err
		}
		if slices.Contains(r.Policies, policyARN) {
			return nil
		}
		if len(r.Policies) >= maxAttachedPolicies {
			return awserr.Errorf(CodeLimitExceeded, "Cannot exceed quota for PoliciesPerRole: %d", maxAttachedPolicies)
		}
		r.Policies = append(r.Policies, policyARN)
		t.Unchanged(roleKey(roleName), rev)
		t.Put(roleKey(roleName), r)
		return nil
	})
}

// DetachRolePolicy detaches a managed policy from a role.
func (s *Service) DetachRolePolicy(ctx context.Context, roleName, policyARN string) error {
	if err := checkPolicyARN(policyARN); err != nil {
		return err
	}
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		r, rev, err := s.roleAt(ctx, roleName)
		if err != nil {
			return err
		}
		i := slices.Index(r.Policies, policyARN)
		if i < 0 {
			return awserr.Errorf(CodeNoSuchEntity, "Policy %s was not found.", policyARN)
		}
		r.Policies = slices.Delete(r.Policies, i, i+1)
		t.Unchanged(roleKey(roleName), rev)
		t.Put(roleKey(roleName), r)
		return nil
	})
}

// AttachUserPolicy attaches a managed policy to a user.
func (s *Service) AttachUserPolicy(ctx context.Context, userName, policyARN string) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		u, rev, err := s.userAt(ctx, userName)
		if err != nil {
			return err
		}
		if err := s.claimPolicy(ctx, t, policyARN); err != nil {
			return err
		}
		if slices.Contains(u.Policies, policyARN) {
			return nil
		}
		if len(u.Policies) >= maxAttachedPolicies {
			return awserr.Errorf(CodeLimitExceeded, "Cannot exceed quota for PoliciesPerUser: %d", maxAttachedPolicies)
		}
		u.Policies = append(u.Policies, policyARN)
		t.Unchanged(userKey(userName), rev)
		t.Put(userKey(userName), u)
		return nil
	})
}

// maxAttachedPolicies is IAM's default quota of managed policies a role or user has.
const maxAttachedPolicies = 10

// claimPolicy checks that a managed policy exists and, for a customer
// policy, makes t write it back, so that deleting it conflicts with
// attaching it.
func (s *Service) claimPolicy(ctx context.Context, t *store.Txn, arn string) error {
	if strings.HasPrefix(arn, awsPolicyPrefix) {
		_, err := s.GetPolicy(ctx, arn)
		return err
	}
	p, rev, err := s.policyAt(ctx, arn)
	if err != nil {
		return err
	}
	t.Unchanged(policyKey(p.Name), rev)
	t.Put(policyKey(p.Name), p)
	return nil
}

// PolicyDocument is the part of an IAM policy keks reads.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one policy statement; Principal and Action take IAM's
// string-or-list forms.
type Statement struct {
	Effect    string          `json:"Effect"`
	Principal json.RawMessage `json:"Principal,omitempty"`
	Action    json.RawMessage `json:"Action,omitempty"`
	Condition json.RawMessage `json:"Condition,omitempty"`
}

func parsePolicy(doc string) (*PolicyDocument, error) {
	var p PolicyDocument
	if strings.TrimSpace(doc) == "" {
		return nil, awserr.Errorf(CodeMalformedPolicy, "The policy document is empty.")
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		// A single statement object is also valid IAM.
		var one struct {
			Version   string    `json:"Version"`
			Statement Statement `json:"Statement"`
		}
		if err2 := json.Unmarshal([]byte(doc), &one); err2 != nil {
			return nil, awserr.Errorf(CodeMalformedPolicy, "Syntax errors in policy.")
		}
		p = PolicyDocument{Version: one.Version, Statement: []Statement{one.Statement}}
	}
	if len(p.Statement) == 0 {
		return nil, awserr.Errorf(CodeMalformedPolicy, "Policy document must contain at least one statement.")
	}
	for _, st := range p.Statement {
		if st.Effect != "Allow" && st.Effect != "Deny" {
			return nil, awserr.Errorf(CodeMalformedPolicy, "Invalid effect: %s", st.Effect)
		}
	}
	return &p, nil
}

// stringList decodes IAM's "a string or a list of strings".
func stringList(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}
