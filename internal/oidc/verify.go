// Package oidc verifies OpenID Connect ID tokens as STS does for
// AssumeRoleWithWebIdentity: the signature against the keys the issuer
// publishes (its discovery document's jwks_uri, fetched over HTTPS and
// cached), leaving the claims to the caller.
package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ErrKeys is a token whose key cannot be had from its issuer or whose
// signature the key does not verify.
var ErrKeys = errors.New("couldn't retrieve verification key from the identity provider")

// Verifier checks tokens' signatures. Keys are kept for keyTTL, and
// fetched again at once for a key id the issuer did not have before (a
// rotated key).
type Verifier struct {
	Client *http.Client // trusts the issuers' certificates
	Now    func() time.Time

	mu   sync.Mutex
	keys map[string]issuerKeys // by issuer
}

type issuerKeys struct {
	fetched time.Time
	byID    map[string]crypto.PublicKey
}

const keyTTL = 5 * time.Minute

// algorithms are those STS accepts for web identity tokens.
var algorithms = []string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"}

// Verify checks the token's signature with issuer's key (the token's kid,
// or its one key) and returns its claims; exp, aud and the rest are the
// caller's to judge.
func (v *Verifier) Verify(ctx context.Context, token, issuer string) (jwt.MapClaims, error) {
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(jwt.WithValidMethods(algorithms), jwt.WithoutClaimsValidation()).ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		return v.key(ctx, issuer, kid)
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeys, err)
	}
	return claims, nil
}

func (v *Verifier) key(ctx context.Context, issuer, kid string) (crypto.PublicKey, error) {
	v.mu.Lock()
	cached, ok := v.keys[issuer]
	v.mu.Unlock()
	fresh := ok && v.Now().Sub(cached.fetched) < keyTTL
	if k := pick(cached.byID, kid); fresh && k != nil {
		return k, nil
	}
	byID, err := v.fetch(ctx, issuer)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	if v.keys == nil {
		v.keys = map[string]issuerKeys{}
	}
	v.keys[issuer] = issuerKeys{fetched: v.Now(), byID: byID}
	v.mu.Unlock()
	if k := pick(byID, kid); k != nil {
		return k, nil
	}
	return nil, fmt.Errorf("%s has no key %q", issuer, kid)
}

// pick is the key of id, or the only key when the token names none.
func pick(byID map[string]crypto.PublicKey, kid string) crypto.PublicKey {
	if kid == "" && len(byID) == 1 {
		for _, k := range byID {
			return k
		}
	}
	return byID[kid]
}

// fetch reads the issuer's discovery document and then its key set.
func (v *Verifier) fetch(ctx context.Context, issuer string) (map[string]crypto.PublicKey, error) {
	var discovery struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := v.getJSON(ctx, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", &discovery); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(discovery.JWKSURI, "https://") {
		return nil, fmt.Errorf("%s's discovery document names no https jwks_uri", issuer)
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := v.getJSON(ctx, discovery.JWKSURI, &set); err != nil {
		return nil, err
	}
	byID := map[string]crypto.PublicKey{}
	for _, k := range set.Keys {
		if pub, err := k.publicKey(); err == nil && (k.Use == "" || k.Use == "sig") {
			byID[k.Kid] = pub
		}
	}
	return byID, nil
}

func (v *Verifier) getJSON(ctx context.Context, url string, into any) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := v.Client.Do(req)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(into); err != nil {
		return fmt.Errorf("read %s: %w", url, err)
	}
	return nil
}

// jwk is one JSON Web Key of a set (RFC 7517): RSA or elliptic-curve.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

func (k jwk) publicKey() (crypto.PublicKey, error) {
	num := func(s string) (*big.Int, error) {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("bad key number %q", s)
		}
		return new(big.Int).SetBytes(b), nil
	}
	switch k.Kty {
	case "RSA":
		n, err := num(k.N)
		if err != nil {
			return nil, err
		}
		e, err := num(k.E)
		if err != nil || !e.IsInt64() || e.Int64() > 1<<31 {
			return nil, fmt.Errorf("bad RSA exponent %q", k.E)
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	case "EC":
		curves := map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()}
		curve, ok := curves[k.Crv]
		if !ok {
			return nil, fmt.Errorf("curve %q", k.Crv)
		}
		x, err := num(k.X)
		if err != nil {
			return nil, err
		}
		y, err := num(k.Y)
		if err != nil {
			return nil, err
		}
		if !curve.IsOnCurve(x, y) {
			return nil, errors.New("point not on curve")
		}
		return &ecdsa.PublicKey{Curve: curve, X: x, Y: y}, nil
	}
	return nil, fmt.Errorf("key type %q", k.Kty)
}
