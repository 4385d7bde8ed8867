package eks

import (
	"net/http"

	"github.com/keksdev/keks/internal/awserr"
)

// EKS error codes with their HTTP statuses.
const (
	CodeInvalidParameter = "InvalidParameterException"
	CodeInvalidRequest   = "InvalidRequestException"
	CodeResourceNotFound = "ResourceNotFoundException"
	CodeResourceInUse    = "ResourceInUseException"
	CodeResourceLimit    = "ResourceLimitExceededException"
	CodeUnsupportedAZ    = "UnsupportedAvailabilityZoneException"
	CodeBadRequest       = "BadRequestException"
	CodeNotFound         = "NotFoundException"
	CodeClient           = "ClientException"
	CodeAccessDenied     = "AccessDeniedException"
	CodeServer           = "ServerException"
)

func init() {
	awserr.RegisterStatus(CodeInvalidParameter, http.StatusBadRequest)
	awserr.RegisterStatus(CodeInvalidRequest, http.StatusBadRequest)
	awserr.RegisterStatus(CodeResourceNotFound, http.StatusNotFound)
	awserr.RegisterStatus(CodeResourceInUse, http.StatusConflict)
	awserr.RegisterStatus(CodeResourceLimit, http.StatusBadRequest)
	awserr.RegisterStatus(CodeUnsupportedAZ, http.StatusBadRequest)
	awserr.RegisterStatus(CodeBadRequest, http.StatusBadRequest)
	awserr.RegisterStatus(CodeNotFound, http.StatusNotFound)
	awserr.RegisterStatus(CodeClient, http.StatusBadRequest)
	awserr.RegisterStatus(CodeAccessDenied, http.StatusForbidden)
	awserr.RegisterStatus(CodeServer, http.StatusInternalServerError)
}

func invalidParam(cluster, format string, args ...any) error {
	e := awserr.Errorf(CodeInvalidParameter, format, args...)
	if cluster != "" {
		e = e.With("clusterName", cluster)
	}
	return e
}

func clusterNotFound(name string) error {
	return awserr.Errorf(CodeResourceNotFound, "No cluster found for name: %s.", name).With("clusterName", name)
}
