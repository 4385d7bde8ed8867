package registry

import (
	"encoding/json"
	"net/http"
)

// ociError is an error of the OCI distribution API, written as
// {"errors":[{"code":...,"message":...}]}, the shape registry clients
// (and ECR's answers) use.
type ociError struct {
	Status  int
	Code    string
	Message string
}

func (e *ociError) Error() string { return e.Code + ": " + e.Message }

func (e *ociError) write(w http.ResponseWriter) {
	type entry struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	body, _ := json.Marshal(struct {
		Errors []entry `json:"errors"`
	}{[]entry{{e.Code, e.Message}}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

// unauthorized answers a request without a valid credential, asking for one.
func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="keks"`)
	(&ociError{Status: http.StatusUnauthorized, Code: "UNAUTHORIZED",
		Message: "Your authorization token is missing, invalid or has expired: run aws ecr get-login-password"}).write(w)
}
