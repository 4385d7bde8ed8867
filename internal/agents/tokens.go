package agents

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/keksdev/keks/internal/store"
)

// DefaultTokenTTL is how long a join token is good for unless asked
// otherwise; MaxTokenTTL bounds what may be asked (kubeadm's default is a
// day; a token here is for one host joining now).
const (
	DefaultTokenTTL = time.Hour
	MaxTokenTTL     = 7 * 24 * time.Hour
)

// tokenShape is kubeadm's bootstrap token: <6 id>.<16 secret>, lowercase
// letters and digits.
var tokenShape = regexp.MustCompile(`^([a-z0-9]{6})\.([a-z0-9]{16})$`)

// token is a join token as stored, under its id: only its secret's hash,
// so that reading the store does not give a way in.
type token struct {
	ID         string    `json:"id"`
	SecretHash string    `json:"secretHash"` // hex SHA-256 of the secret
	Created    time.Time `json:"created"`
	Expires    time.Time `json:"expires"`
}

// NewToken is a freshly made join token.
type NewToken struct {
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

// CreateToken makes a one-time join token valid for ttl (DefaultTokenTTL
// when zero). Expired tokens are dropped on the way: nothing else would.
func (s *Service) CreateToken(ctx context.Context, ttl time.Duration) (*NewToken, error) {
	switch {
	case ttl == 0:
		ttl = DefaultTokenTTL
	case ttl < time.Minute || ttl > MaxTokenTTL:
		return nil, invalid("a join token's TTL must be between 1 minute and %s, not %s", MaxTokenTTL, ttl)
	}
	if err := s.pruneTokens(ctx); err != nil {
		return nil, err
	}
	now := s.now()
	for {
		id, secret := randomAlnum(6), randomAlnum(16)
		t := token{ID: id, SecretHash: hashSecret(secret), Created: now.UTC(), Expires: now.Add(ttl).UTC()}
		err := s.Store.Create(ctx, tokenPrefix+id, &t)
		if err == nil {
			return &NewToken{Token: id + "." + secret, Expires: t.Expires}, nil
		}
		if !errors.Is(err, store.ErrExists) {
			return nil, fmt.Errorf("store a join token: %w", err)
		}
		// 36^6 ids: a clash is rare, and then another id does.
	}
}

func (s *Service) pruneTokens(ctx context.Context) error {
	all, err := store.List[token](ctx, s.Store, tokenPrefix)
	if err != nil {
		return fmt.Errorf("list join tokens: %w", err)
	}
	for _, t := range all {
		if !s.now().Before(t.Expires) {
			if err := s.Store.Delete(ctx, tokenPrefix+t.ID); err != nil {
				return fmt.Errorf("drop expired join token %s: %w", t.ID, err)
			}
		}
	}
	return nil
}

// readToken finds the stored token raw names and checks its secret and
// expiry; every refusal is the same invalidToken.
func (s *Service) readToken(ctx context.Context, raw string) (key string, rev int64, err error) {
	m := tokenShape.FindStringSubmatch(raw)
	if m == nil {
		return "", 0, invalidToken()
	}
	key = tokenPrefix + m[1]
	var stored token
	rev, err = s.Store.Get(ctx, key, &stored)
	if errors.Is(err, store.ErrNotFound) {
		return "", 0, invalidToken()
	} else if err != nil {
		return "", 0, fmt.Errorf("read join token %s: %w", m[1], err)
	}
	if subtle.ConstantTimeCompare([]byte(hashSecret(m[2])), []byte(stored.SecretHash)) != 1 || !s.now().Before(stored.Expires) {
		return "", 0, invalidToken()
	}
	return key, rev, nil
}

// checkToken checks the token raw names and makes the transaction t
// consume it.
func (s *Service) checkToken(ctx context.Context, t *store.Txn, raw string) error {
	key, rev, err := s.readToken(ctx, raw)
	if err != nil {
		return err
	}
	// The join commits only if the token is still as read: of two joins
	// with one token, one wins and the other finds it gone.
	t.Unchanged(key, rev)
	t.Delete(key)
	return nil
}

// ValidToken says whether s has a join token's shape (it may still be
// unknown, expired or used).
func ValidToken(s string) bool { return tokenShape.MatchString(s) }

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"

// randomAlnum is n letters and digits from crypto/rand, uniform (bytes at
// or past the largest multiple of 36 are drawn again).
func randomAlnum(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		_, _ = rand.Read(buf) // never fails (crypto/rand panics instead)
		for _, b := range buf {
			if int(b) < 256-256%len(alnum) && len(out) < n {
				out = append(out, alnum[int(b)%len(alnum)])
			}
		}
	}
	return string(out)
}
