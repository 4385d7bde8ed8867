package iam

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/keksdev/keks/internal/awserr"
)

// IAM's limits on what users, roles, groups and policies carry.
const (
	maxTags            = 50
	maxTagKey          = 128
	maxTagValue        = 256
	maxDescription     = 1000
	maxTrustPolicySize = 2048 // ACLSizePerRole, counted without whitespace
	maxPolicySize      = 6144 // PolicySize, counted without whitespace
	// maxAttachedPolicies is IAM's default quota of managed policies a
	// user, role or group has.
	maxAttachedPolicies = 10
	maxGroupsPerUser    = 10
	maxPolicyVersions   = 5
)

// The longest names IAM's model allows. A user name is at most 64 when
// made, but lookups accept 128 (existingUserNameType).
const (
	maxUserName       = 64
	maxRoleName       = 64
	maxGroupName      = 128
	maxPolicyName     = 128
	maxUserNameLookup = 128
)

var (
	namePattern      = regexp.MustCompile(`^[\w+=,.@-]+$`)
	pathPattern      = regexp.MustCompile(`^/([\x21-\x7E]*/)?$`)
	versionIDPattern = regexp.MustCompile(`^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$`)
	tagPattern       = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// checkName applies IAM's name rule to the parameter field ("userName",
// "groupName"...), as the model's constraint reports it.
func checkName(field, name string, max int) error {
	if n := utf8.RuneCountInString(name); n < 1 || n > max || !namePattern.MatchString(name) {
		return awserr.Errorf(CodeValidation, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have length between 1 and %d", name, field, max)
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

func checkVersionID(id string) error {
	if !versionIDPattern.MatchString(id) {
		return awserr.Errorf(CodeValidation, "1 validation error detected: Value '%s' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?", id)
	}
	return nil
}

// validateTags applies IAM's rules to tags a user, role or policy would
// carry; quota names the limit ("TagsPerUser") as IAM reports it.
func validateTags(tags map[string]string, quota string) error {
	if len(tags) > maxTags {
		return awserr.Errorf(CodeLimitExceeded, "Cannot exceed quota for %s: %d", quota, maxTags)
	}
	seen := map[string]bool{}
	for k, v := range tags {
		if err := checkTagKey(k, "tags.member.key"); err != nil {
			return err
		}
		switch {
		case utf8.RuneCountInString(v) > maxTagValue || !tagPattern.MatchString(v):
			return awserr.Errorf(CodeValidation, "1 validation error detected: Value '%s' at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to %d and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*", v, maxTagValue)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return awserr.Errorf(CodeInvalidInput, "User and role tags cannot start with the reserved prefix 'aws:'.")
		case seen[strings.ToLower(k)]:
			return awserr.Errorf(CodeInvalidInput, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[strings.ToLower(k)] = true
	}
	return nil
}

func checkTagKey(k, field string) error {
	if n := utf8.RuneCountInString(k); n < 1 || n > maxTagKey || !tagPattern.MatchString(k) {
		return awserr.Errorf(CodeValidation, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length between 1 and %d and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+", k, field, maxTagKey)
	}
	return nil
}

func validateDescription(d string) error {
	if utf8.RuneCountInString(d) > maxDescription {
		return awserr.Errorf(CodeValidation, "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to %d", maxDescription)
	}
	return nil
}

func checkMaxSessionDuration(d int) error {
	if d < 3600 || d > 43200 {
		return awserr.Errorf(CodeValidation, "1 validation error detected: Value '%d' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200", d)
	}
	return nil
}

// policySize is a policy's length as IAM counts it against its quotas.
func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// quotaError is IAM's LimitExceeded for a quota by name.
func quotaError(quota string, limit int) error {
	return awserr.Errorf(CodeLimitExceeded, "Cannot exceed quota for %s: %d", quota, limit)
}
