package kms

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/keksdev/keks/internal/awserr"
)

// KMS error codes, as the 2014-11-01 API names them.
const (
	CodeNotFound          = "NotFoundException"
	CodeAlreadyExists     = "AlreadyExistsException"
	CodeInvalidCiphertext = "InvalidCiphertextException"
	CodeIncorrectKey      = "IncorrectKeyException"
	CodeDisabled          = "DisabledException"
	CodeInvalidState      = "KMSInvalidStateException"
	CodeValidation        = "ValidationException"
	CodeInvalidAliasName  = "InvalidAliasNameException"
	CodeMalformedPolicy   = "MalformedPolicyDocumentException"
	CodeLimitExceeded     = "LimitExceededException"
	CodeInvalidMarker     = "InvalidMarkerException"
	CodeTag               = "TagException"
	CodeUnsupported       = "UnsupportedOperationException"
	CodeInvalidKeyUsage   = "InvalidKeyUsageException"
	CodeDryRun            = "DryRunOperationException"
	CodeSerialization     = "SerializationException"
)

// statuses are the HTTP statuses of KMS's errors: 400 for all but a dry
// run that would have succeeded (412).
var statuses = map[string]int{CodeDryRun: http.StatusPreconditionFailed}

// Errorf makes a KMS error. Its status travels with it rather than through
// awserr's table, which is one for all services: NotFoundException is also
// EKS's, with 404.
func Errorf(code, format string, args ...any) *awserr.Error {
	status, ok := statuses[code]
	if !ok {
		status = http.StatusBadRequest
	}
	return &awserr.Error{Code: code, Status: status, Message: fmt.Sprintf(format, args...)}
}

// init registers the statuses of the codes that only KMS has, for any
// error made with awserr.Errorf; NotFoundException stays EKS's.
func init() {
	for _, code := range []string{CodeAlreadyExists, CodeInvalidCiphertext, CodeIncorrectKey, CodeDisabled,
		CodeInvalidState, CodeValidation, CodeInvalidAliasName, CodeMalformedPolicy, CodeLimitExceeded, CodeInvalidMarker,
		CodeTag, CodeUnsupported, CodeInvalidKeyUsage, CodeSerialization, CodeDryRun} {
		awserr.RegisterStatus(code, Errorf(code, "").Status)
	}
}

// validationf is KMS's ValidationException in the wording of AWS's request
// validator ("1 validation error detected: Value ... at 'field' failed to
// satisfy constraint: ...").
func validationf(format string, args ...any) error {
	return Errorf(CodeValidation, "1 validation error detected: "+format, args...)
}

// dryRun is the refusal of a request that would have succeeded.
func dryRunRefusal() error {
	return Errorf(CodeDryRun, "The request would have succeeded, but the DryRun option is set.")
}

// awsErrorCode is the code of an AWS error, "" for any other error.
func awsErrorCode(err error) string {
	var e *awserr.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
