package iam

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/keksdev/keks/internal/awserr"
)

// IAM's limits on what users, roles and policies carry.
const (
	maxTags            = 50
	maxTagKey          = 128
	maxTagValue        = 256
	maxDescription     = 1000
	maxTrustPolicySize = 2048 // ACLSizePerRole, counted without whitespace
	maxPolicySize      = 6144 // PolicySize, counted without whitespace
)

var tagPattern = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

// validateTags applies IAM's rules to the tags of a new user or role.
func validateTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return awserr.Errorf(CodeLimitExceeded, "Cannot exceed quota for TagsPerUser: %d", maxTags)
	}
	seen := map[string]bool{}
	for k, v := range tags {
		switch {
		case len([]rune(k)) < 1 || len([]rune(k)) > maxTagKey || !tagPattern.MatchString(k):
			return awserr.Errorf(CodeValidation, "1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and %d and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+", k, maxTagKey)
		case len([]rune(v)) > maxTagValue || !tagPattern.MatchString(v):
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

func validateDescription(d string) error {
	if len([]rune(d)) > maxDescription {
		return awserr.Errorf(CodeValidation, "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to %d", maxDescription)
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
