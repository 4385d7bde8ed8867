package iam

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// WebIdentity is a web identity token STS has verified: the IAM OIDC
// provider of its issuer, its subject and audience, and the condition
// keys it gives trust policies.
type WebIdentity struct {
	Provider *OIDCProvider
	Subject  string
	Audience string
	// Claims are "<provider URL>:sub", ":aud", ":oaud" (the aud of a
	// token whose azp stood for it) and ":amr", as IAM names them.
	Claims map[string][]string
}

// clockSkew is how far past its exp a token is still taken, as STS allows.
const clockSkew = 5 * time.Minute

// VerifyWebIdentityToken checks a token as AssumeRoleWithWebIdentity does:
// its issuer is a provider of the account's, its signature verifies with
// the key the issuer publishes, it has not expired, and its audience (azp
// when present, else aud) is one of the provider's client IDs.
func (s *Service) VerifyWebIdentityToken(ctx context.Context, token string) (*WebIdentity, error) {
	if n := len(token); n < 4 || n > 20000 {
		return nil, awserr.Errorf(CodeValidation, "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length between 4 and 20000")
	}
	unverified := parseUnverified(token)
	if unverified == nil {
		return nil, awserr.Errorf(CodeInvalidIdentityToken, "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	}
	issuer, _ := unverified["iss"].(string)
	provider, err := s.OIDCProviderForIssuer(ctx, issuer)
	if errors.Is(err, store.ErrNotFound) {
		return nil, awserr.Errorf(CodeInvalidIdentityToken, "No OpenIDConnect provider found in your account for %s", issuer)
	} else if err != nil {
		return nil, err
	}
	if s.WebIdentityKeys == nil {
		return nil, awserr.Errorf(CodeIDPCommunication, "keks cannot reach identity providers")
	}
	claims, err := s.WebIdentityKeys.Verify(ctx, token, issuer)
	if err != nil {
		return nil, awserr.Errorf(CodeInvalidIdentityToken, "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return nil, awserr.Errorf(CodeInvalidIdentityToken, "Missing a required claim: exp")
	}
	if now := s.Now(); now.After(exp.Add(clockSkew)) {
		return nil, awserr.Errorf("ExpiredTokenException", "Token expired: current date/time %d must be before the expiration date/time %d", now.Unix(), exp.Unix()).WithStatus(http.StatusBadRequest)
	}
	auds, _ := claims.GetAudience()
	azp, _ := claims["azp"].(string)
	audience := azp
	if audience == "" {
		if len(auds) == 0 {
			return nil, awserr.Errorf(CodeInvalidIdentityToken, "Missing a required claim: aud")
		}
		// One of the token's audiences must be the provider's.
		audience = auds[0]
		for _, a := range auds {
			if slices.Contains(provider.ClientIDs, a) {
				audience = a
				break
			}
		}
	}
	if !slices.Contains(provider.ClientIDs, audience) {
		return nil, awserr.Errorf(CodeInvalidIdentityToken, "Incorrect token audience")
	}
	subject, _ := claims.GetSubject()
	keys := map[string][]string{provider.URL + ":sub": {subject}, provider.URL + ":aud": {audience}}
	if azp != "" && len(auds) > 0 {
		keys[provider.URL+":oaud"] = auds
	}
	if amr := stringsOf(claims["amr"]); len(amr) > 0 {
		keys[provider.URL+":amr"] = amr
	}
	return &WebIdentity{Provider: provider, Subject: subject, Audience: audience, Claims: keys}, nil
}

func parseUnverified(token string) jwt.MapClaims {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		return nil
	}
	return claims
}

// stringsOf reads a claim that is a string or a list of them.
func stringsOf(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// AssumeRoleWithWebIdentity issues session credentials for a role to a
// verified web identity; the role's trust policy has allowed it at the
// front door.
func (s *Service) AssumeRoleWithWebIdentity(ctx context.Context, roleARN, sessionName string, durationSeconds int) (*Credentials, error) {
	if err := checkSessionRequest(sessionName, durationSeconds); err != nil {
		return nil, err
	}
	role, err := s.RoleByARN(ctx, roleARN)
	if err != nil {
		return nil, fmt.Errorf("role of a web identity session: %w", err)
	}
	d, err := sessionDuration(role, durationSeconds)
	if err != nil {
		return nil, err
	}
	return s.issueSession(ctx, role, sessionName, d)
}
