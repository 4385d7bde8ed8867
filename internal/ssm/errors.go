package ssm

import (
	"fmt"
	"net/http"

	"github.com/keksdev/keks/internal/awserr"
)

// Parameter Store's error codes, as the 2014-11-06 API names them.
const (
	CodeValidation              = "ValidationException"
	CodeParameterNotFound       = "ParameterNotFound"
	CodeParameterAlreadyExists  = "ParameterAlreadyExists"
	CodeParameterVersionMissing = "ParameterVersionNotFound"
	CodeInvalidNextToken        = "InvalidNextToken"
	CodeUnsupportedType         = "UnsupportedParameterType"
	CodePatternMismatch         = "ParameterPatternMismatchException"
	CodeInvalidAllowedPattern   = "InvalidAllowedPatternException"
	CodeHierarchyLevelLimit     = "HierarchyLevelLimitExceededException"
	CodeInvalidFilterKey        = "InvalidFilterKey"
	CodeInvalidFilterOption     = "InvalidFilterOption"
	CodeInvalidFilterValue      = "InvalidFilterValue"
	CodeAccessDenied            = "AccessDeniedException"
)

// Errorf makes a Parameter Store error: all of them are 400s, and keep
// their code on every protocol (AccessDeniedException included).
func Errorf(code, format string, args ...any) *awserr.Error {
	return &awserr.Error{Code: code, Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...), Exact: true}
}

// notFound is the answer for a parameter that does not exist, with the
// name as the request gave it (selector included).
func notFound(name string) error {
	return Errorf(CodeParameterNotFound, "Parameter %s not found.", name)
}

// validationf is a refused member in the wording of AWS's request
// validator.
func validationf(value, field, constraint string) error {
	return Errorf(CodeValidation, "%s", awserr.ConstraintMessage(value, field, constraint))
}

// Missing is a required member that the request does not have.
func Missing(field string) error {
	return Errorf(CodeValidation, "%s", awserr.NullMessage(field))
}

// CheckLength holds a string member to AWS's length bounds.
func CheckLength(field, value string, lo, hi int) error {
	switch {
	case len(value) < lo:
		return validationf(value, field, fmt.Sprintf("Member must have length greater than or equal to %d", lo))
	case len(value) > hi:
		return validationf(value, field, fmt.Sprintf("Member must have length less than or equal to %d", hi))
	}
	return nil
}

// CheckRange holds a number member (MaxResults) to its bounds.
func CheckRange(field string, v *int32, lo, hi int32) error {
	if v == nil {
		return nil
	}
	switch {
	case *v < lo:
		return validationf(fmt.Sprint(*v), field, fmt.Sprintf("Member must have value greater than or equal to %d", lo))
	case *v > hi:
		return validationf(fmt.Sprint(*v), field, fmt.Sprintf("Member must have value less than or equal to %d", hi))
	}
	return nil
}

// CheckCount holds a list member to its bounds.
func CheckCount(field string, values []string, lo, hi int) error {
	if len(values) >= lo && len(values) <= hi {
		return nil
	}
	constraint := fmt.Sprintf("Member must have length less than or equal to %d", hi)
	if len(values) < lo {
		constraint = fmt.Sprintf("Member must have length greater than or equal to %d", lo)
	}
	return validationf("["+joinComma(values)+"]", field, constraint)
}

func joinComma(values []string) string {
	out := ""
	for i, v := range values {
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out
}

// oneOf holds an enum member to its values ("" is absent and passes).
func oneOf(field, value string, allowed ...string) error {
	if value == "" {
		return nil
	}
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return validationf(value, field, "Member must satisfy enum value set: ["+joinComma(allowed)+"]")
}
