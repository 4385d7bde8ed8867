// Package awserr defines AWS errors: a code clients switch on, an HTTP status
// and a message. Models return them; the front door writes them.
package awserr

import (
	"errors"
	"fmt"
	"net/http" // status codes only
)

// Error is an AWS error: a code clients switch on, an HTTP status, a message
// and, for REST-JSON services, extra members of the error body.
type Error struct {
	Code    string
	Status  int
	Message string
	// Sender is false for errors that are the service's fault (Query protocol's <Type>).
	Fields map[string]any
	// Exact keeps Code as it is on every protocol: the front door renames
	// its own codes per protocol family (ExpiredTokenException is
	// ExpiredToken on Query services), which a service's own error that
	// shares the name must not undergo.
	Exact bool
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// With returns a copy of e carrying an extra member in its JSON body.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Fields = map[string]any{}
	for k, v := range e.Fields {
		c.Fields[k] = v
	}
	c.Fields[key] = value
	return &c
}

// WithStatus returns a copy of e with its own code kept on every protocol
// and the given HTTP status.
func (e *Error) WithStatus(status int) *Error {
	c := *e
	c.Status, c.Exact = status, true
	return &c
}

// Codes shared by every service; service packages define their own too.
const (
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	CodeIncompleteSignature        = "IncompleteSignatureException"
	CodeInvalidSignatureException  = "InvalidSignatureException"
	CodeSignatureDoesNotMatch      = "SignatureDoesNotMatch"
	CodeInvalidClientTokenID       = "UnrecognizedClientException"
	CodeExpiredToken               = "ExpiredTokenException"
	CodeInvalidRequest             = "InvalidRequestException"
	CodeRequestTooLarge            = "RequestEntityTooLargeException"
	CodeUnknownOperation           = "UnknownOperationException"
	CodeInvalidAction              = "InvalidAction"
	CodeServiceFailure             = "InternalFailure"
	// CodeAccessDenied is an authorization refusal; Query services call it
	// AccessDenied and EC2 UnauthorizedOperation.
	CodeAccessDenied = "AccessDeniedException"
)

var statusByCode = map[string]int{
	CodeMissingAuthenticationToken: http.StatusForbidden,
	CodeIncompleteSignature:        http.StatusForbidden,
	CodeInvalidSignatureException:  http.StatusForbidden,
	CodeSignatureDoesNotMatch:      http.StatusForbidden,
	CodeInvalidClientTokenID:       http.StatusForbidden,
	CodeExpiredToken:               http.StatusForbidden,
	CodeInvalidRequest:             http.StatusBadRequest,
	CodeRequestTooLarge:            http.StatusRequestEntityTooLarge,
	CodeUnknownOperation:           http.StatusNotFound,
	CodeInvalidAction:              http.StatusBadRequest,
	CodeServiceFailure:             http.StatusInternalServerError,
	CodeAccessDenied:               http.StatusForbidden,
}

// RegisterStatus records the HTTP status of a service-specific error code.
func RegisterStatus(code string, status int) { statusByCode[code] = status }

// Errorf makes an Error whose status comes from its code (400 if unknown).
func Errorf(code, format string, args ...any) *Error {
	st, ok := statusByCode[code]
	if !ok {
		st = http.StatusBadRequest
	}
	return &Error{Code: code, Status: st, Message: fmt.Sprintf(format, args...)}
}

// AsError turns any error into an AWS error; errors that are not already
// AWS errors are the service's fault and become a 500 InternalFailure.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return &Error{Code: CodeServiceFailure, Status: http.StatusInternalServerError, Message: "We encountered an internal error. Please try again."}, false
}
