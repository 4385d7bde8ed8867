package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// PasswordPolicy is the account's password policy, as
// UpdateAccountPasswordPolicy sets it. Without one, IAM's default policy
// applies (defaultPasswordRules).
type PasswordPolicy struct {
	MinimumPasswordLength      int  `json:"minimumPasswordLength"`
	RequireSymbols             bool `json:"requireSymbols,omitempty"`
	RequireNumbers             bool `json:"requireNumbers,omitempty"`
	RequireUppercaseCharacters bool `json:"requireUppercaseCharacters,omitempty"`
	RequireLowercaseCharacters bool `json:"requireLowercaseCharacters,omitempty"`
	// AllowUsersToChangePassword lets every user call iam:ChangePassword on
	// itself and iam:GetAccountPasswordPolicy, without a policy saying so.
	AllowUsersToChangePassword bool `json:"allowUsersToChangePassword,omitempty"`
	// MaxPasswordAge is how many days a password is valid; 0: forever.
	MaxPasswordAge int `json:"maxPasswordAge,omitempty"`
	// PasswordReusePrevention is how many of a user's last passwords a
	// new one may not repeat; 0: any.
	PasswordReusePrevention int `json:"passwordReusePrevention,omitempty"`
	// HardExpiry, when true, keeps a user whose password expired from
	// setting a new one at sign-in. Nil when the update left it out, which
	// GetAccountPasswordPolicy then leaves out too.
	HardExpiry *bool `json:"hardExpiry,omitempty"`
}

// ExpirePasswords is true when passwords expire (MaxPasswordAge is set).
func (p *PasswordPolicy) ExpirePasswords() bool { return p.MaxPasswordAge > 0 }

// PasswordPolicyUpdate is UpdateAccountPasswordPolicy's request: the
// numbers are nil when left out, and the whole policy is replaced, what is
// left out taking its default (IAM does no partial updates).
type PasswordPolicyUpdate struct {
	MinimumPasswordLength      *int // default 6
	RequireSymbols             bool
	RequireNumbers             bool
	RequireUppercaseCharacters bool
	RequireLowercaseCharacters bool
	AllowUsersToChangePassword bool
	MaxPasswordAge             *int // default: passwords never expire
	PasswordReusePrevention    *int // default: no reuse prevention
	HardExpiry                 *bool
}

// The bounds IAM's model puts on the policy's numbers.
const (
	defaultMinimumPasswordLength = 6
	minPasswordLength            = 6
	maxPasswordLength            = 128
	maxPasswordAgeDays           = 1095
	maxPasswordReusePrevention   = 24
)

func noPasswordPolicy(accountID string) error {
	return awserr.Errorf(CodeNoSuchEntity, "The Password Policy with domain name %s cannot be found.", accountID)
}

// GetAccountPasswordPolicy reads the account's password policy;
// NoSuchEntity when none is set (the default policy then applies).
func (s *Service) GetAccountPasswordPolicy(ctx context.Context) (*PasswordPolicy, error) {
	p, err := s.passwordPolicy(ctx)
	if err != nil {
		return nil, err
	}
	if p == nil {
		acct, err := s.Account(ctx)
		if err != nil {
			return nil, err
		}
		return nil, noPasswordPolicy(acct.ID)
	}
	return p, nil
}

// passwordPolicy is the account's policy, nil when none is set.
func (s *Service) passwordPolicy(ctx context.Context) (*PasswordPolicy, error) {
	var p PasswordPolicy
	if _, err := s.Store.Get(ctx, passwordPolicyKey, &p); errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read the account password policy: %w", err)
	}
	return &p, nil
}

// UpdateAccountPasswordPolicy sets the account's password policy. It
// applies to passwords set from now on, and its expiry to every password
// at once, as IAM's does.
func (s *Service) UpdateAccountPasswordPolicy(ctx context.Context, up PasswordPolicyUpdate) (*PasswordPolicy, error) {
	p := PasswordPolicy{
		MinimumPasswordLength:      defaultMinimumPasswordLength,
		RequireSymbols:             up.RequireSymbols,
		RequireNumbers:             up.RequireNumbers,
		RequireUppercaseCharacters: up.RequireUppercaseCharacters,
		RequireLowercaseCharacters: up.RequireLowercaseCharacters,
		AllowUsersToChangePassword: up.AllowUsersToChangePassword,
		HardExpiry:                 up.HardExpiry,
	}
	for _, n := range []struct {
		field    string
		v        *int
		min, max int
		to       *int
	}{
		{"minimumPasswordLength", up.MinimumPasswordLength, minPasswordLength, maxPasswordLength, &p.MinimumPasswordLength},
		{"maxPasswordAge", up.MaxPasswordAge, 1, maxPasswordAgeDays, &p.MaxPasswordAge},
		{"passwordReusePrevention", up.PasswordReusePrevention, 1, maxPasswordReusePrevention, &p.PasswordReusePrevention},
	} {
		if n.v == nil {
			continue
		}
		if err := checkRange(n.field, *n.v, n.min, n.max); err != nil {
			return nil, err
		}
		*n.to = *n.v
	}
	err := s.write(ctx, func(t *store.Txn) error {
		t.Put(passwordPolicyKey, &p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update the account password policy: %w", err)
	}
	return &p, nil
}

// checkRange applies a model's bounds on a number, as IAM reports a breach.
func checkRange(field string, v, min, max int) error {
	switch {
	case v < min:
		return awserr.Errorf(CodeValidation, "1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", v, field, min)
	case v > max:
		return awserr.Errorf(CodeValidation, "1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", v, field, max)
	}
	return nil
}

// DeleteAccountPasswordPolicy removes the account's password policy: the
// default policy applies again.
func (s *Service) DeleteAccountPasswordPolicy(ctx context.Context) error {
	acct, err := s.Account(ctx)
	if err != nil {
		return err
	}
	err = s.write(ctx, func(t *store.Txn) error {
		var raw json.RawMessage
		rev, err := s.Store.Get(ctx, passwordPolicyKey, &raw)
		if errors.Is(err, store.ErrNotFound) {
			return noPasswordPolicy(acct.ID)
		} else if err != nil {
			return err
		}
		t.Unchanged(passwordPolicyKey, rev)
		t.Delete(passwordPolicyKey)
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete the account password policy: %w", err)
	}
	return nil
}

// passwordSymbols are the characters IAM's policies count as symbols.
const passwordSymbols = "!@#$%^&*()_+-=[]{}|'"

// The character classes a policy may require, in the order IAM lists them.
type charClasses struct{ upper, lower, number, symbol bool }

func classesOf(password string) charClasses {
	var c charClasses
	for _, r := range password {
		switch {
		case r >= 'A' && r <= 'Z':
			c.upper = true
		case r >= 'a' && r <= 'z':
			c.lower = true
		case r >= '0' && r <= '9':
			c.number = true
		case strings.ContainsRune(passwordSymbols, r):
			c.symbol = true
		}
	}
	return c
}

func (c charClasses) count() int {
	n := 0
	for _, has := range []bool{c.upper, c.lower, c.number, c.symbol} {
		if has {
			n++
		}
	}
	return n
}

// defaultMinimumLength is the default policy's shortest password.
const defaultMinimumLength = 8

// passwordViolations lists how password breaks the account's policy (p,
// or IAM's default policy when nil) for the user userName; empty when it
// conforms. Reuse is checked apart (reusesPassword): it needs the hashes.
func passwordViolations(p *PasswordPolicy, password, userName string) []string {
	var out []string
	n := utf8.RuneCountInString(password)
	c := classesOf(password)
	if p == nil {
		// IAM's default: at least 8 characters, three of the four classes,
		// and not the user's own name.
		if n < defaultMinimumLength {
			out = append(out, fmt.Sprintf("Password should have a minimum length of %d", defaultMinimumLength))
		}
		if c.count() < 3 {
			out = append(out, "Password should include at least three of the following: uppercase letters, lowercase letters, numbers and symbols ("+passwordSymbols+")")
		}
		if strings.EqualFold(password, userName) {
			out = append(out, "Password should not be identical to the user name")
		}
		return out
	}
	if n < p.MinimumPasswordLength {
		out = append(out, fmt.Sprintf("Password should have a minimum length of %d", p.MinimumPasswordLength))
	}
	for _, req := range []struct {
		required, has bool
		what          string
	}{
		{p.RequireUppercaseCharacters, c.upper, "uppercase letter"},
		{p.RequireLowercaseCharacters, c.lower, "lowercase letter"},
		{p.RequireNumbers, c.number, "number"},
		{p.RequireSymbols, c.symbol, "symbol (" + passwordSymbols + ")"},
	} {
		if req.required && !req.has {
			out = append(out, "Password should have at least one "+req.what)
		}
	}
	return out
}

func passwordPolicyViolation(violations []string) error {
	return awserr.Errorf(CodePasswordPolicyViolation, "%s", strings.Join(violations, "; "))
}

// expired reports whether a password set at setAt has outlived the
// policy's MaxPasswordAge at now.
func (p *PasswordPolicy) expired(setAt, now time.Time) bool {
	return p != nil && p.MaxPasswordAge > 0 && !now.Before(setAt.AddDate(0, 0, p.MaxPasswordAge))
}

// changePasswordGrant is what AllowUsersToChangePassword gives every user:
// iam:ChangePassword on itself and iam:GetAccountPasswordPolicy, as an
// identity-based policy that PoliciesOf adds to the user's own.
func changePasswordGrant(userARN string) string {
	type statement struct {
		Effect, Action, Resource string
	}
	doc, _ := json.Marshal(struct {
		Version   string
		Statement []statement
	}{"2012-10-17", []statement{
		{"Allow", "iam:ChangePassword", userARN},
		{"Allow", "iam:GetAccountPasswordPolicy", "*"},
	}})
	return string(doc)
}
