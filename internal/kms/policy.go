package kms

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/keksdev/keks/internal/iam/policy"
)

// DefaultPolicyName is the only key policy name KMS has.
const DefaultPolicyName = "default"

// maxPolicySize is KMS's quota on a key policy document: 32 KB.
const maxPolicySize = 32 * 1024

// DefaultKeyPolicy is the policy KMS gives a key created without one: the
// account's root may do anything with the key, which hands the decision
// to the account's IAM policies.
func DefaultKeyPolicy(account string) string {
	return fmt.Sprintf(`{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::%s:root"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}`, account)
}

// policyChars is PolicyType's pattern: tab, newline, carriage return and
// the printable characters up to U+00FF.
var policyChars = regexp.MustCompile(`^[\x{0009}\x{000A}\x{000D}\x{0020}-\x{00FF}]+$`)

// checkPolicy applies the model's constraints and KMS's quota to a key
// policy, and the policy language's grammar. What the statements say is
// the authorizer's to evaluate.
func checkPolicy(doc string) error {
	switch {
	case doc == "":
		return validationf("Value null at 'policy' failed to satisfy constraint: Member must not be null")
	case len([]rune(doc)) > maxPolicyLength:
		return validationf("Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to %d", maxPolicyLength)
	case !policyChars.MatchString(doc):
		return validationf("Value at 'policy' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+")
	case len(doc) > maxPolicySize:
		return Errorf(CodeLimitExceeded, "The key policy is %d bytes; KMS allows at most %d", len(doc), maxPolicySize)
	}
	return checkPolicyShape(doc)
}

// checkPolicyShape parses the document as keks's authorizer will read it
// (a resource-based policy: every statement names its principals), so
// that a key never holds a policy the authorizer cannot evaluate.
func checkPolicyShape(doc string) error {
	if _, err := policy.Parse(doc, policy.Resource); err != nil {
		var pe *policy.Error
		if errors.As(err, &pe) {
			return Errorf(CodeMalformedPolicy, "%s", pe.Message)
		}
		return fmt.Errorf("parse key policy: %w", err)
	}
	return nil
}

// policyNamePattern is PolicyNameType's pattern.
var policyNamePattern = regexp.MustCompile(`^\w+$`)

// checkPolicyName: "" means the default; the only name is "default".
func checkPolicyName(name string) error {
	if name == "" {
		return nil
	}
	if err := lengthAtMost("policyName", name, maxPolicyNameSize); err != nil {
		return err
	}
	if !policyNamePattern.MatchString(name) {
		return validationf("Value '%s' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]+", name)
	}
	if name != DefaultPolicyName {
		return Errorf(CodeNotFound, "No such policy exists: %s (a key's only policy is %q)", name, DefaultPolicyName)
	}
	return nil
}

// GetKeyPolicy returns a key's policy document.
func (s *Service) GetKeyPolicy(ctx context.Context, sc Scope, keyID, policyName string) (string, error) {
	if err := checkPolicyName(policyName); err != nil {
		return "", err
	}
	k, err := s.keyByID(ctx, sc, keyID)
	if err != nil {
		return "", err
	}
	return k.Policy, nil
}

// PutKeyPolicy replaces a key's policy. keks does not run KMS's lockout
// safety check (whether the new policy still lets the caller put a
// policy), so bypassing it changes nothing.
func (s *Service) PutKeyPolicy(ctx context.Context, sc Scope, keyID, policyName, doc string) error {
	if err := requireKeyID("keyId", keyID); err != nil {
		return err
	}
	if err := checkPolicyName(policyName); err != nil {
		return err
	}
	if err := checkPolicy(doc); err != nil {
		return err
	}
	_, err := s.mutateKey(ctx, sc, keyID, func(k *Key) error {
		k.Policy = doc
		return nil
	})
	return err
}

// ListKeyPolicies lists a key's policy names: always just "default".
func (s *Service) ListKeyPolicies(ctx context.Context, sc Scope, keyID string, pg Page) ([]string, string, error) {
	p, err := newPager(pg, 100, 1000)
	if err != nil {
		return nil, "", err
	}
	if _, err := s.keyByID(ctx, sc, keyID); err != nil {
		return nil, "", err
	}
	names := []string{DefaultPolicyName}
	page, next := p.take(len(names), func(i int) string { return names[i] })
	return names[page.start:page.end], next, nil
}
