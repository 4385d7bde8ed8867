package console

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
)

// signInFailed is the AWS sign-in page's words, the same whatever was wrong.
const signInFailed = "Your authentication information is incorrect. Please try again."

type signInData struct {
	Next, Error, Method string
	Account, UserName   string
	AccessKeyID         string
	PasswordsOffered    bool
	SignedOut, Expired  bool
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	d := signInData{Next: safeNext(r.URL.Query().Get("next")), Method: r.URL.Query().Get("method"), PasswordsOffered: c.Passwords != nil,
		SignedOut: r.URL.Query().Has("signedout")}
	if d.Method == "" {
		d.Method = "password"
		if c.Passwords == nil {
			d.Method = "key"
		}
	}
	c.render(w, r, http.StatusOK, "signin", &pageData{Title: "Sign in", Data: d})
}

// signIn checks an access key and secret, or an IAM user's password, with
// keks's IAM, and starts a session for the principal they belong to.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The sign-in form could not be read.", http.StatusBadRequest)
		return
	}
	if !sameOrigin(r) {
		http.Error(w, "Sign in from keks's own sign-in page.", http.StatusForbidden)
		return
	}
	d := signInData{Next: safeNext(r.PostFormValue("next")), Method: r.PostFormValue("method"), PasswordsOffered: c.Passwords != nil,
		Account: strings.TrimSpace(r.PostFormValue("account")), UserName: strings.TrimSpace(r.PostFormValue("username")),
		AccessKeyID: strings.TrimSpace(r.PostFormValue("accesskeyid"))}
	var (
		p     awsproto.Principal
		reset bool
		ok    bool
		why   = signInFailed
	)
	switch d.Method {
	case "key":
		p, ok = c.checkAccessKey(r, d.AccessKeyID, strings.TrimSpace(r.PostFormValue("secret")), strings.TrimSpace(r.PostFormValue("sessiontoken")))
	case "password":
		if c.Passwords != nil {
			var err error
			p, reset, err = c.Passwords.SignInWithPassword(r.Context(), d.Account, d.UserName, r.PostFormValue("password"))
			ok = err == nil
			if errors.Is(err, iam.ErrPasswordExpired) {
				why = err.Error()
			}
		}
	}
	if ok && p.Federated != "" {
		ok = false // a web identity's session cannot be forwarded
	}
	if !ok {
		d.Error = why
		c.Log.Info("console sign-in refused", "method", d.Method, "accessKeyId", d.AccessKeyID, "user", d.UserName)
		c.render(w, r, http.StatusUnauthorized, "signin", &pageData{Title: "Sign in", Data: d})
		return
	}
	s := &Session{Account: p.Account, ARN: p.ARN, UserID: p.UserID, SessionTags: p.SessionTags, SessionPolicy: p.SessionPolicy,
		PasswordResetRequired: reset}
	if d.Method == "key" {
		s.AccessKeyID = d.AccessKeyID
	} else {
		s.UserName = d.UserName
	}
	cookie, err := c.sessions.start(r.Context(), s)
	if err != nil {
		c.fail(w, r, nil, err)
		return
	}
	c.Log.Info("console sign-in", "principal", p.ARN, "method", d.Method)
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: cookie, Path: Prefix, HttpOnly: true, Secure: true,
		SameSite: http.SameSiteStrictMode, Expires: s.Expires})
	next := d.Next
	if reset {
		next = Prefix + "/password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// checkAccessKey compares a secret (and a session token, for temporary
// credentials) with the key's in constant time.
func (c *Console) checkAccessKey(r *http.Request, id, secret, token string) (awsproto.Principal, bool) {
	if id == "" || secret == "" || len(id) > 128 || len(secret) > 128 || len(token) > 4096 {
		return awsproto.Principal{}, false
	}
	wantSecret, wantToken, p, err := c.Identity.ResolveAccessKey(r.Context(), id)
	if err != nil {
		return awsproto.Principal{}, false
	}
	ok := subtle.ConstantTimeCompare([]byte(secret), []byte(wantSecret)) == 1
	ok = ok && subtle.ConstantTimeCompare([]byte(token), []byte(wantToken)) == 1
	return p, ok
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request, s *Session) error {
	c.sessions.end(r.Context(), s)
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: Prefix, HttpOnly: true, Secure: true,
		SameSite: http.SameSiteStrictMode, Expires: time.Unix(0, 0), MaxAge: -1})
	http.Redirect(w, r, Prefix+"/signin?signedout", http.StatusSeeOther)
	return nil
}

// safeNext keeps the page to return to after sign-in inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix+"/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(next, Prefix+"/signin") {
		return Prefix + "/clusters"
	}
	return next
}
