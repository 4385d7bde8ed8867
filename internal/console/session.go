package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/store"
)

const (
	cookieName = "keks-console"
	// sessionLength is the AWS console's: 12 hours, then sign in again.
	sessionLength = 12 * time.Hour
	// recheckEvery is how often a session's credential (its access key,
	// or its user's login profile) is checked again, so deleting it ends
	// the session within that time.
	recheckEvery  = time.Minute
	sessionPrefix = "console/sessions/"
)

// Session is one signed-in browser. It is kept in the store under the
// hash of its cookie, so a keks restart signs nobody out and the store
// never holds what would let someone take a session over.
type Session struct {
	Account       string            `json:"account"`
	ARN           string            `json:"arn"`
	UserID        string            `json:"userId"`
	SessionTags   map[string]string `json:"sessionTags,omitempty"`
	SessionPolicy string            `json:"sessionPolicy,omitempty"`
	// How it signed in: with an access key (its ID), or as an IAM user
	// with a password (its name).
	AccessKeyID string    `json:"accessKeyId,omitempty"`
	UserName    string    `json:"userName,omitempty"`
	CSRF        string    `json:"csrf"`
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires"`
	// PasswordResetRequired sends a user to change its password first.
	PasswordResetRequired bool `json:"passwordResetRequired,omitempty"`

	key     string // store key, from the cookie's hash
	checked time.Time
}

// Principal is who the session acts as in every AWS call it makes.
func (s *Session) Principal() awsproto.Principal {
	return awsproto.Principal{Account: s.Account, ARN: s.ARN, UserID: s.UserID, SessionTags: s.SessionTags, SessionPolicy: s.SessionPolicy}
}

// sessions keeps sessions in the store, with a cache in front so a page
// costs no store read for who is asking.
type sessions struct {
	store *store.Store
	now   func() time.Time
	// ended is told of every session that ends (signed out, expired,
	// its credential gone), so what was kept for it goes too.
	ended func(key string)

	mu    sync.Mutex
	cache map[string]*Session
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func sessionKey(cookie string) string {
	sum := sha256.Sum256([]byte(cookie))
	return sessionPrefix + hex.EncodeToString(sum[:])
}

// start records s and returns the cookie that names it.
func (m *sessions) start(ctx context.Context, s *Session) (string, error) {
	m.expire(ctx)
	cookie := randomToken()
	now := m.now()
	s.CSRF, s.Created, s.Expires, s.key, s.checked = randomToken(), now, now.Add(sessionLength), sessionKey(cookie), now
	if err := m.store.Create(ctx, s.key, s); err != nil {
		return "", fmt.Errorf("record console session: %w", err)
	}
	m.mu.Lock()
	m.cache[s.key] = s
	m.mu.Unlock()
	return cookie, nil
}

// find returns the session a request's cookie names, or nil.
func (m *sessions) find(ctx context.Context, r *http.Request) (*Session, error) {
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return nil, nil
	}
	key := sessionKey(c.Value)
	m.mu.Lock()
	s := m.cache[key]
	m.mu.Unlock()
	if s == nil {
		s = &Session{}
		if _, err := m.store.Get(ctx, key, s); errors.Is(err, store.ErrNotFound) {
			return nil, nil
		} else if err != nil {
			return nil, fmt.Errorf("read console session: %w", err)
		}
		s.key = key
		m.mu.Lock()
		m.cache[key] = s
		m.mu.Unlock()
	}
	if !m.now().Before(s.Expires) {
		m.end(ctx, s)
		return nil, nil
	}
	return s, nil
}

// save writes a changed session back.
func (m *sessions) save(ctx context.Context, s *Session) error {
	if err := m.store.Put(ctx, s.key, s); err != nil {
		return fmt.Errorf("record console session: %w", err)
	}
	return nil
}

// end signs a session out.
func (m *sessions) end(ctx context.Context, s *Session) {
	m.mu.Lock()
	delete(m.cache, s.key)
	m.mu.Unlock()
	_ = m.store.Delete(ctx, s.key)
	if m.ended != nil {
		m.ended(s.key)
	}
}

// expire removes sessions past their end, so the store does not fill with
// browsers that never signed out.
func (m *sessions) expire(ctx context.Context) {
	raws, err := m.store.ListRaw(ctx, sessionPrefix)
	if err != nil {
		return
	}
	now := m.now()
	for _, raw := range raws {
		var s Session
		if json.Unmarshal(raw.Value, &s) == nil && !now.Before(s.Expires) {
			s.key = raw.Key
			m.end(ctx, &s)
		}
	}
}

// validCSRF reports whether a change request carries the session's token,
// in the form (plain forms) or a header (htmx).
func (s *Session) validCSRF(r *http.Request) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) == 1
}
