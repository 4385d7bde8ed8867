package imds

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// setup makes the key that signs this process's session tokens. Tokens are
// signed rather than stored, so they cost nothing to keep; a token of an
// earlier keks process fails its check and the SDK fetches a new one, as
// it does when EC2's own tokens lapse.
func (h *Handler) setup() {
	h.tokenKey = make([]byte, 32)
	if _, err := rand.Read(h.tokenKey); err != nil {
		panic("imds: no randomness for the token key: " + err.Error())
	}
	h.sessions = map[string]session{}
}

// issueToken makes a session token for an instance, good until expires:
// "<instance id>.<expiry, unix seconds>.<signature>", base64url-encoded.
func (h *Handler) issueToken(instanceID string, expires time.Time) string {
	claim := instanceID + "." + strconv.FormatInt(expires.Unix(), 10)
	return base64.RawURLEncoding.EncodeToString([]byte(claim)) + "." + base64.RawURLEncoding.EncodeToString(h.sign(claim))
}

// tokenOwner checks a token's signature and lifetime and says which
// instance it was issued to.
func (h *Handler) tokenOwner(tok string) (instanceID string, ok bool) {
	enc, sig, found := strings.Cut(tok, ".")
	if !found {
		return "", false
	}
	claim, err1 := base64.RawURLEncoding.DecodeString(enc)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, h.sign(string(claim))) {
		return "", false
	}
	id, exp, found := strings.Cut(string(claim), ".")
	expires, err := strconv.ParseInt(exp, 10, 64)
	if !found || err != nil || !h.now().Before(time.Unix(expires, 0)) {
		return "", false
	}
	return id, true
}

func (h *Handler) sign(claim string) []byte {
	h.init.Do(h.setup)
	m := hmac.New(sha256.New, h.tokenKey)
	m.Write([]byte(claim))
	return m.Sum(nil)
}
