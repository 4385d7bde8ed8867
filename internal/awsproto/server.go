package awsproto

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awserr"
)

// Principal is the IAM identity that signed a request, or that an
// unsigned call proved otherwise (see Service.Unsigned).
type Principal struct {
	Account     string
	ARN         string // as GetCallerIdentity reports it (assumed-role ARN for role sessions)
	UserID      string
	AccessKeyID string
	// Federated is the identity provider (an IAM OIDC provider's ARN) of
	// a caller that proved itself with a web identity token.
	Federated string
	// Claims are the condition keys that proof established, by their
	// policy names ("<issuer>:sub", "<issuer>:aud"...).
	Claims map[string][]string
	// SessionTags are a role session's tags, which stand over the role's
	// own as aws:PrincipalTag.
	SessionTags map[string]string
	// SessionPolicy is a role session's session policy, which limits it to
	// what both it and the role's policies allow.
	SessionPolicy string
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
	EC2 bool
	// Version is a Query service's API version (the Version parameter); it
	// names the service of a request that carries no credential scope.
	Version string
	// TargetPrefix marks an AWS JSON 1.1 service: its operations come as
	// X-Amz-Target <TargetPrefix><Operation>, and its errors carry __type.
	TargetPrefix string
	// Checks names what each call needs; with an Authorizer on the Router,
	// a service without it is refused whole.
	Checks Checker
	Handle func(w http.ResponseWriter, r *http.Request, c *Call) error
	// Unsigned authenticates a call that carries no signature but a proof
	// of its own (STS's AssumeRoleWithWebIdentity and its token, whose
	// model says noAuth): ok false leaves the call to need a signature.
	// The principal it returns is authorized as a signer would be.
	Unsigned func(ctx context.Context, form url.Values) (p Principal, ok bool, err error)
}

// Router verifies SigV4 and dispatches on the credential scope's service.
type Router struct {
	Keys KeyResolver
	// Authz decides every call before its handler runs; nil allows all
	// (tests of the wire layers alone).
	Authz    Authorizer
	Services map[string]*Service
	Log      *slog.Logger
	Now      func() time.Time
	// Region is the region of unsigned calls, which carry no credential scope.
	Region string
}

func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := NewRequestID()
	var svc *Service
	defer func() {
		// A panic is keks's bug; the client still gets an AWS error, and the log the stack.
		if p := recover(); p != nil {
			rt.Log.Error("request panicked", "requestId", reqID, "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			rt.fail(w, r, svc, reqID, fmt.Errorf("panic: %v", p))
		}
	}()
	var principal Principal
	lookup := func(akid string) (string, string, error) {
		secret, token, p, err := rt.Keys.ResolveAccessKey(r.Context(), akid)
		principal = p
		return secret, token, err
	}
	// Read the body first: an unsigned Query request names its service only there.
	body, err := bufferBody(r)
	if err != nil {
		rt.fail(w, r, rt.guessService(r, nil), reqID, err)
		return
	}
	// The scope names the service; find it before verifying so errors have the right shape.
	if cred, ok := peekCredential(r); ok {
		svc = rt.Services[cred.Service]
	}
	if svc == nil {
		svc = rt.guessService(r, body)
	}
	call, err := rt.unsignedCall(r, svc, body, reqID)
	if err != nil {
		rt.fail(w, r, svc, reqID, err)
		return
	}
	if call == nil {
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
		call = &Call{RequestID: reqID, Region: signed.Credential.Region, Principal: principal, Body: signed.Body}
	}
	if svc.Query {
		form, perr := url.ParseQuery(string(call.Body))
		if perr != nil {
			rt.fail(w, r, svc, reqID, awserr.Errorf(awserr.CodeInvalidRequest, "malformed form body: %v", perr))
			return
		}
		// Parameters may come in the URL too (GET); the X-Amz-* ones there are the signature's.
		for k, v := range r.URL.Query() {
			if _, ok := form[k]; !ok && !strings.HasPrefix(k, "X-Amz-") {
				form[k] = v
			}
		}
		call.Form = form
	}
	if rt.Authz != nil {
		if err := rt.authorize(r, svc, call); err != nil {
			rt.fail(w, r, svc, reqID, err)
			return
		}
	}
	if err := svc.Handle(w, r, call); err != nil {
		rt.fail(w, r, svc, reqID, err)
	}
}

// unsignedCall is the call of a request that its service authenticates
// itself (Service.Unsigned), signed or not, as AWS ignores a signature on
// such an operation; nil for every other request, which VerifyRequest
// then checks.
func (rt *Router) unsignedCall(r *http.Request, svc *Service, body []byte, reqID string) (*Call, error) {
	if svc == nil || svc.Unsigned == nil || !svc.Query || r.Method != http.MethodPost {
		return nil, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, nil
	}
	p, ok, err := svc.Unsigned(r.Context(), form)
	if !ok || err != nil {
		return nil, err
	}
	return &Call{RequestID: reqID, Region: rt.Region, Principal: p, Body: body}, nil
}

// authorize asks the Authorizer about the checks the call needs; an
// operation the service does not describe goes on to its handler, which
// refuses it as unknown.
func (rt *Router) authorize(r *http.Request, svc *Service, call *Call) error {
	if svc.Checks == nil {
		return awserr.Errorf(awserr.CodeAccessDenied, "keks cannot authorize calls to %s", svc.Name)
	}
	checks := svc.Checks(r, call)
	if checks == nil {
		return nil
	}
	return rt.Authz.Authorize(r.Context(), call, r, svc.Name, checks)
}

// bufferBody reads the body (at most one byte past the limit, which
// VerifyRequest then refuses) and leaves it readable again.
func bufferBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, awserr.Errorf(awserr.CodeInvalidRequest, "read request body: %v", err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// guessService finds the service of a request without a credential scope,
// so that even its refusal comes in that service's shape: a JSON 1.1
// target names it; Query requests (always to /) carry their API version,
// and a form without one is taken for STS; the rest is EKS's REST-JSON.
func (rt *Router) guessService(r *http.Request, body []byte) *Service {
	target := r.Header.Get("X-Amz-Target")
	for _, name := range slices.Sorted(maps.Keys(rt.Services)) {
		if s := rt.Services[name]; s.TargetPrefix != "" && target != "" && strings.HasPrefix(target, s.TargetPrefix) {
			return s
		}
	}
	if r.URL.Path != "/" && r.URL.Path != "" {
		return rt.Services["eks"]
	}
	version := r.URL.Query().Get("Version")
	isForm := r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
	if isForm {
		// A malformed pair elsewhere in the form does not hide its Version.
		if form, _ := url.ParseQuery(string(body)); form.Get("Version") != "" {
			version = form.Get("Version")
		}
	}
	for _, name := range slices.Sorted(maps.Keys(rt.Services)) {
		if s := rt.Services[name]; s.Version != "" && s.Version == version {
			return s
		}
	}
	if isForm || version != "" {
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
	case svc != nil && svc.TargetPrefix != "":
		WriteJSON11Error(w, reqID, dialect(e, jsonCodes))
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
		awserr.CodeAccessDenied:               "AccessDenied",
	}
	ec2Codes = map[string]string{
		awserr.CodeInvalidSignatureException:  "AuthFailure",
		awserr.CodeSignatureDoesNotMatch:      "AuthFailure",
		awserr.CodeInvalidClientTokenID:       "AuthFailure",
		awserr.CodeExpiredToken:               "RequestExpired",
		awserr.CodeMissingAuthenticationToken: "MissingAuthenticationToken",
		awserr.CodeAccessDenied:               "UnauthorizedOperation",
	}
)

func dialect(e *awserr.Error, table map[string]string) *awserr.Error {
	if c, ok := table[e.Code]; ok && !e.Exact {
		cp := *e
		cp.Code = c
		return &cp
	}
	return e
}
