package awsproto

import (
	"context"
	"github.com/keksdev/keks/internal/awserr"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Principal is the IAM identity that signed a request.
type Principal struct {
	Account     string
	ARN         string // as GetCallerIdentity reports it (assumed-role ARN for role sessions)
	UserID      string
	AccessKeyID string
}

// KeyResolver finds the secret and owner of an access key.
type KeyResolver interface {
	ResolveAccessKey(ctx context.Context, accessKeyID string) (secret, sessionToken string, p Principal, err error)
}

// Call is one verified request as a service handler sees it.
type Call struct {
	RequestID string
	Region    string
	Principal Principal
	Body      []byte
	Form      url.Values // Query-protocol parameters
}

// Service is one AWS service served at the front door.
type Service struct {
	Name string
	// Query is true for the Query protocol (form body, XML answers); false for REST-JSON.
	Query bool
	// EC2 errors have their own XML shape.
	EC2    bool
	Handle func(w http.ResponseWriter, r *http.Request, c *Call) error
}

// Router verifies SigV4 and dispatches on the credential scope's service.
type Router struct {
	Keys     KeyResolver
	Services map[string]*Service
	Log      *slog.Logger
	Now      func() time.Time
}

func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := NewRequestID()
	var svc *Service
	var principal Principal
	lookup := func(akid string) (string, string, error) {
		secret, token, p, err := rt.Keys.ResolveAccessKey(r.Context(), akid)
		principal = p
		return secret, token, err
	}
	// The scope names the service; find it before verifying so errors have the right shape.
	if cred, ok := peekCredential(r); ok {
		svc = rt.Services[cred.Service]
	}
	if svc == nil {
		svc = rt.guessService(r)
	}
	signed, err := VerifyRequest(r, rt.Now(), FromSecrets(lookup))
	if err != nil {
		rt.fail(w, r, svc, reqID, err)
		return
	}
	if s := rt.Services[signed.Credential.Service]; s != nil {
		svc = s
	} else {
		rt.fail(w, r, svc, reqID, awserr.Errorf(awserr.CodeUnknownOperation, "keks does not serve the %q service", signed.Credential.Service))
		return
	}
	call := &Call{RequestID: reqID, Region: signed.Credential.Region, Principal: principal, Body: signed.Body}
	if svc.Query {
		form, perr := url.ParseQuery(string(signed.Body))
		if perr != nil {
			rt.fail(w, r, svc, reqID, awserr.Errorf(awserr.CodeInvalidRequest, "malformed form body: %v", perr))
			return
		}
		for k, v := range r.URL.Query() {
			if _, ok := form[k]; !ok && k[0] != 'X' {
				form[k] = v
			}
		}
		call.Form = form
	}
	if err := svc.Handle(w, r, call); err != nil {
		rt.fail(w, r, svc, reqID, err)
	}
}

func (rt *Router) guessService(r *http.Request) *Service {
	if r.Method == http.MethodPost && r.Header.Get("Content-Type") == "application/x-www-form-urlencoded" {
		return rt.Services["sts"]
	}
	return rt.Services["eks"]
}

func peekCredential(r *http.Request) (Credential, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		c, _, _, err := parseAuthHeader(h)
		return c, err == nil
	}
	if v := r.URL.Query().Get("X-Amz-Credential"); v != "" {
		c, err := parseCredential(v)
		return c, err == nil
	}
	return Credential{}, false
}

func (rt *Router) fail(w http.ResponseWriter, r *http.Request, svc *Service, reqID string, err error) {
	e, known := awserr.AsError(err)
	if !known {
		rt.Log.Error("request failed", "requestId", reqID, "method", r.Method, "path", r.URL.Path, "err", err)
	} else {
		rt.Log.Debug("request refused", "requestId", reqID, "path", r.URL.Path, "code", e.Code, "msg", e.Message)
	}
	switch {
	case svc != nil && svc.EC2:
		WriteEC2Error(w, reqID, dialect(e, ec2Codes))
	case svc != nil && svc.Query:
		WriteQueryError(w, reqID, dialect(e, queryCodes))
	default:
		WriteJSONError(w, reqID, dialect(e, jsonCodes))
	}
}

// Services name the same failure differently; these tables rename the
// front door's codes to each protocol family's.
var (
	jsonCodes = map[string]string{
		awserr.CodeSignatureDoesNotMatch: awserr.CodeInvalidSignatureException,
	}
	queryCodes = map[string]string{
		awserr.CodeInvalidSignatureException:  awserr.CodeSignatureDoesNotMatch,
		awserr.CodeInvalidClientTokenID:       "InvalidClientTokenId",
		awserr.CodeExpiredToken:               "ExpiredToken",
		awserr.CodeMissingAuthenticationToken: "MissingAuthenticationToken",
	}
	ec2Codes = map[string]string{
		awserr.CodeInvalidSignatureException:  "AuthFailure",
		awserr.CodeSignatureDoesNotMatch:      "AuthFailure",
		awserr.CodeInvalidClientTokenID:       "AuthFailure",
		awserr.CodeExpiredToken:               "RequestExpired",
		awserr.CodeMissingAuthenticationToken: "MissingAuthenticationToken",
	}
)

func dialect(e *awserr.Error, table map[string]string) *awserr.Error {
	if c, ok := table[e.Code]; ok {
		cp := *e
		cp.Code = c
		return &cp
	}
	return e
}
