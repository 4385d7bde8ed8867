package cwlogs

import (
	"fmt"
	"net/http"

	"github.com/keksdev/keks/internal/awserr"
)

// CloudWatch Logs error codes, as the 2014-03-28 API names them.
const (
	CodeInvalidParameter      = "InvalidParameterException"
	CodeResourceNotFound      = "ResourceNotFoundException"
	CodeResourceAlreadyExists = "ResourceAlreadyExistsException"
	CodeLimitExceeded         = "LimitExceededException"
	CodeTooManyTags           = "TooManyTagsException"
	CodeInvalidOperation      = "InvalidOperationException"
	CodeSerialization         = "SerializationException"
)

// Errorf makes a CloudWatch Logs error: all of them are 400s. The status
// travels with the error rather than through awserr's table, which is
// one for all services (ResourceNotFoundException is EKS's 404 there).
func Errorf(code, format string, args ...any) *awserr.Error {
	return &awserr.Error{Code: code, Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// The messages CloudWatch Logs answers for missing and duplicate
// resources, word for word.
var (
	errNoGroup      = Errorf(CodeResourceNotFound, "The specified log group does not exist.")
	errNoStream     = Errorf(CodeResourceNotFound, "The specified log stream does not exist.")
	errGroupExists  = Errorf(CodeResourceAlreadyExists, "The specified log group already exists")
	errStreamExists = Errorf(CodeResourceAlreadyExists, "The specified log stream already exists")
	errBadToken     = Errorf(CodeInvalidParameter, "The specified nextToken is invalid.")
)

// validationf is a refused member in the wording of AWS's request
// validator: "1 validation error detected: Value 'x' at 'field' failed to
// satisfy constraint: <constraint>".
func validationf(value, field, constraint string) error {
	return Errorf(CodeInvalidParameter, "%s", awserr.ConstraintMessage(value, field, constraint))
}

// Missing is a required member that the request does not have.
func Missing(field string) error {
	return Errorf(CodeInvalidParameter, "%s", awserr.NullMessage(field))
}

// checkLimit holds a limit member to its range.
func checkLimit(field string, v, lo, hi int) error {
	switch {
	case v < lo:
		return validationf(fmt.Sprint(v), field, fmt.Sprintf("Member must have value greater than or equal to %d", lo))
	case v > hi:
		return validationf(fmt.Sprint(v), field, fmt.Sprintf("Member must have value less than or equal to %d", hi))
	}
	return nil
}
