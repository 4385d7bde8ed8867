// Package console is keks's web console: the EKS pages of the AWS
// Management Console, served by keks itself under /console, offline.
//
// Pages are rendered on the server (html/template) and read pages work
// with JavaScript off; htmx, vendored and embedded, refreshes what changes.
// The console is a client of keks's own AWS APIs, as the AWS console is of
// AWS's: every page and action is an AWS call made as the signed-in
// principal (a forward access session of it), so the front door authorizes
// it exactly as it would the same call from the AWS CLI, and the console
// never decides who may do what. Kubernetes views go to the cluster's
// endpoint with the principal's EKS token, so its access entries and RBAC
// decide what it sees.
package console

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/store"
)

// Prefix is where the console is served.
const Prefix = "/console"

// Identity is what signing in and acting as the signed-in principal need
// from IAM.
type Identity interface {
	ResolveAccessKey(ctx context.Context, accessKeyID string) (secret, sessionToken string, p awsproto.Principal, err error)
	IssueForwardSession(ctx context.Context, p awsproto.Principal, d time.Duration) (*iam.Credentials, error)
}

// Passwords signs IAM users in with their console password.
type Passwords interface {
	SignInWithPassword(ctx context.Context, account, userName, password string) (p awsproto.Principal, resetRequired bool, err error)
	GetLoginProfile(ctx context.Context, userName string) (*iam.LoginProfile, error)
}

// Console serves the pages.
type Console struct {
	Endpoint  string       // keks's AWS endpoint, https://host:port
	HTTP      *http.Client // trusting keks's CA
	Region    string
	Store     *store.Store
	Identity  Identity
	Passwords Passwords // nil: access keys only
	Now       func() time.Time
	Log       *slog.Logger

	sessions *sessions
	clients  *clientCache
}

// Handler is the console's HTTP handler, for the paths under Prefix.
func (c *Console) Handler() http.Handler {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	c.clients = &clientCache{console: c, aws: map[string]*awsClients{}, kube: map[string]*kubeClient{}}
	c.sessions = &sessions{store: c.Store, now: c.Now, cache: map[string]*Session{}, ended: c.clients.forget}
	mux := http.NewServeMux()
	mux.Handle("GET "+Prefix+"/static/", http.StripPrefix(Prefix, staticFiles()))
	mux.HandleFunc("GET "+Prefix+"/signin", c.signInPage)
	mux.HandleFunc("POST "+Prefix+"/signin", c.signIn)
	c.page(mux, "POST /signout", c.signOut)
	c.page(mux, "GET /{$}", func(w http.ResponseWriter, r *http.Request, _ *Session) error {
		http.Redirect(w, r, Prefix+"/clusters", http.StatusSeeOther)
		return nil
	})
	c.passwordRoutes(mux)
	c.clusterRoutes(mux)
	c.configRoutes(mux)
	c.computeRoutes(mux)
	c.resourceRoutes(mux)
	return securityHeaders(mux)
}

// sessionHandler is a page or action of a signed-in browser.
type sessionHandler func(w http.ResponseWriter, r *http.Request, s *Session) error

// page registers h under the console's prefix: a browser with no session
// is sent to sign in (and back after), a change must carry the session's
// CSRF token, and an error h returns is shown as the AWS console shows
// it, with the API's own code and message.
func (c *Console) page(mux *http.ServeMux, pattern string, h sessionHandler) {
	method, path, _ := strings.Cut(pattern, " ")
	mux.HandleFunc(method+" "+Prefix+path, func(w http.ResponseWriter, r *http.Request) {
		s, err := c.sessions.find(r.Context(), r)
		if err != nil {
			c.fail(w, r, nil, err)
			return
		}
		if s == nil || !c.stillValid(r.Context(), s) {
			if r.Method != http.MethodGet {
				http.Error(w, "Your session has ended. Sign in again.", http.StatusUnauthorized)
				return
			}
			if isHTMX(r) {
				w.Header().Set("HX-Redirect", Prefix+"/signin")
				return
			}
			http.Redirect(w, r, Prefix+"/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && (!sameOrigin(r) || !s.validCSRF(r)) {
			http.Error(w, "The request was not sent by this console (CSRF token missing or wrong). Reload the page and try again.", http.StatusForbidden)
			return
		}
		if s.PasswordResetRequired && path != "/password" && path != "/signout" {
			http.Redirect(w, r, Prefix+"/password", http.StatusSeeOther)
			return
		}
		if err := h(w, r, s); err != nil {
			c.fail(w, r, s, err)
		}
	})
}

// stillValid ends a session whose access key or login profile is gone.
func (c *Console) stillValid(ctx context.Context, s *Session) bool {
	now := c.Now()
	if now.Sub(s.checked) < recheckEvery {
		return true
	}
	ok := true
	switch {
	case s.AccessKeyID != "":
		_, _, p, err := c.Identity.ResolveAccessKey(ctx, s.AccessKeyID)
		ok = err == nil && p.ARN == s.ARN
	case s.UserName != "" && c.Passwords != nil:
		_, err := c.Passwords.GetLoginProfile(ctx, s.UserName)
		ok = err == nil
	}
	if !ok {
		c.sessions.end(ctx, s)
		return false
	}
	s.checked = now
	return true
}

// sameOrigin refuses a change sent from another site, where the browser
// says where it comes from (SameSite=Strict cookies already keep most out).
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		return err == nil && u.Host == r.Host
	}
	return true
}

func isHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

// securityHeaders keeps the console's pages out of frames and scripts to
// its own files.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// errNotFound is a console page that does not exist.
var errNotFound = errors.New("not found")
