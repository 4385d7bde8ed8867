package kms

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// The constraints of the 2014-11-01 model's shapes that keks checks.
const (
	maxKeyID          = 2048   // KeyIdType
	maxDescription    = 8192   // DescriptionType
	maxPolicyLength   = 131072 // PolicyType
	maxPlaintext      = 4096   // PlaintextType
	maxCiphertext     = 6144   // CiphertextType
	maxNumberOfBytes  = 1024   // NumberOfBytesType
	maxAliasName      = 256    // AliasNameType
	maxTagKey         = 128    // TagKeyType
	maxTagValue       = 256    // TagValueType
	maxMarker         = 1024   // MarkerType
	maxPendingWindow  = 365    // PendingWindowInDaysType
	maxGrantTokens    = 10     // GrantTokenList
	maxPolicyNameSize = 128    // PolicyNameType
)

// requireKeyID checks a required KeyIdType member.
func requireKeyID(field, v string) error {
	if v == "" {
		return validationf("Value null at '%s' failed to satisfy constraint: Member must not be null", field)
	}
	return lengthAtMost(field, v, maxKeyID)
}

// lengthAtMost checks a string's length in characters, as AWS counts.
func lengthAtMost(field, v string, max int) error {
	if utf8.RuneCountInString(v) > max {
		return validationf("Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", field, max)
	}
	return nil
}

// blobLength checks a blob member's size.
func blobLength(field string, v []byte, max int) error {
	if len(v) == 0 {
		return validationf("Value at '%s' failed to satisfy constraint: Member must have length greater than or equal to 1", field)
	}
	if len(v) > max {
		return validationf("Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", field, max)
	}
	return nil
}

// oneOf checks an enum member; "" (absent) passes.
func oneOf(field, v string, values ...string) error {
	if v == "" || slices.Contains(values, v) {
		return nil
	}
	return validationf("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", v, field, strings.Join(values, ", "))
}

// between checks an optional integer member.
func between(field string, v *int, min, max int) error {
	if v == nil {
		return nil
	}
	if *v < min {
		return validationf("Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", *v, field, min)
	}
	if *v > max {
		return validationf("Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", *v, field, max)
	}
	return nil
}

// grantTokens checks GrantTokens: keks has no grants, so the tokens name
// nothing, but their count is the model's.
func grantTokens(tokens []string) error {
	if len(tokens) > maxGrantTokens {
		return validationf("Value at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to %d", maxGrantTokens)
	}
	return nil
}

// encryptionAlgorithm checks an EncryptionAlgorithm member: a symmetric
// key takes only SYMMETRIC_DEFAULT.
func encryptionAlgorithm(field, v string) error {
	if err := oneOf(field, v, AlgorithmSymmetric, "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"); err != nil {
		return err
	}
	if v != "" && v != AlgorithmSymmetric {
		return invalidKeyUsage(fmt.Sprintf("the encryption algorithm %s", v))
	}
	return nil
}
