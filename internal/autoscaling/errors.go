package autoscaling

import (
	"net/http"

	"github.com/keksdev/keks/internal/awserr"
)

// Auto Scaling's error codes (botocore's autoscaling 2011-01-01 model).
const (
	CodeValidation       = "ValidationError"
	CodeInvalidNextToken = "InvalidNextToken"
)

func init() { awserr.RegisterStatus(CodeValidation, http.StatusBadRequest) }

func invalid(format string, args ...any) error { return awserr.Errorf(CodeValidation, format, args...) }

func groupNotFound(name string) error {
	return invalid("AutoScalingGroup name not found - AutoScalingGroup %s not found", name)
}
