package iam

import (
	"errors"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/iam/policy"
)

// checkDocument refuses a policy document IAM would refuse, with
// MalformedPolicyDocument and IAM's message: permissions policies (inline
// and managed) as policy.Identity, trust policies as policy.Trust.
func checkDocument(doc string, kind policy.Kind) error {
	_, err := policy.Parse(doc, kind)
	var malformed *policy.Error
	if errors.As(err, &malformed) {
		return awserr.Errorf(CodeMalformedPolicy, "%s", malformed.Message)
	}
	return err
}
