// Package authn is the authenticator EKS runs beside each API server: it
// verifies the tokens `aws eks get-token` makes (a presigned STS
// GetCallerIdentity URL) against keks's IAM, maps the principal to a
// Kubernetes user, and answers kube-apiserver's TokenReview webhook. It also
// serves each cluster's OIDC discovery document and JWKS.
package authn

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awsproto"
)

// TokenPrefix starts every EKS token.
const TokenPrefix = "k8s-aws-v1."

var allowedParams = map[string]bool{
	"action": true, "version": true, "x-amz-algorithm": true, "x-amz-credential": true, "x-amz-date": true,
	"x-amz-expires": true, "x-amz-security-token": true, "x-amz-signature": true, "x-amz-signedheaders": true,
}

// Identities resolve a token's credential scope to the key that signed it
// and the principal who owns that key.
type Identities interface {
	Lookup(ctx context.Context, cred awsproto.Credential) (signingKey []byte, sessionToken string, p awsproto.Principal, err error)
}

// IAMIdentities looks keys up in keks's live IAM.
type IAMIdentities struct{ Keys awsproto.KeyResolver }

// Lookup derives the signing key from the key's secret.
func (i IAMIdentities) Lookup(ctx context.Context, cred awsproto.Credential) ([]byte, string, awsproto.Principal, error) {
	secret, token, p, err := i.Keys.ResolveAccessKey(ctx, cred.AccessKeyID)
	if err != nil {
		return nil, "", p, err
	}
	return awsproto.SigningKey(secret, cred.Date, cred.Region, cred.Service), token, p, nil
}

// Verifier checks tokens for one cluster.
type Verifier struct {
	Keys Identities
	// STSHosts are the hosts a token's URL may name besides AWS's own STS hosts.
	STSHosts []string
	// Hosts, if set, adds hosts read at each verification (from a snapshot that changes).
	Hosts func() []string
	Now   func() time.Time
}

// Verify checks a token made for clusterName and returns who made it, as
// aws-iam-authenticator does, but checking the signature locally.
func (v *Verifier) Verify(ctx context.Context, token, clusterName string) (awsproto.Principal, error) {
	var none awsproto.Principal
	if len(token) > 4096 || !strings.HasPrefix(token, TokenPrefix) {
		return none, errors.New("token is not an EKS token")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(token[len(TokenPrefix):], "="))
	if err != nil {
		return none, errors.New("token is not base64url")
	}
	u, err := url.Parse(string(raw))
	if err != nil || u.Scheme != "https" {
		return none, errors.New("token URL is not https")
	}
	if !v.hostAllowed(u.Host) {
		return none, fmt.Errorf("token URL host %q is not an STS endpoint", u.Host)
	}
	if u.Path != "/" && u.Path != "" {
		return none, errors.New("token URL path must be /")
	}
	q := u.Query()
	for k, vals := range q {
		if !allowedParams[strings.ToLower(k)] {
			return none, fmt.Errorf("token URL has a parameter %q that is not allowed", k)
		}
		if len(vals) != 1 {
			return none, fmt.Errorf("token URL repeats %q", k)
		}
	}
	if q.Get("Action") != "GetCallerIdentity" {
		return none, errors.New("token URL action must be GetCallerIdentity")
	}
	if !strings.Contains(";"+strings.ToLower(q.Get("X-Amz-SignedHeaders"))+";", ";x-k8s-aws-id;") {
		return none, errors.New("token does not sign x-k8s-aws-id")
	}
	exp, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || exp < 0 || exp > 900 {
		return none, errors.New("token X-Amz-Expires must be between 0 and 900")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return none, err
	}
	req.Host = u.Host
	req.Header.Set("x-k8s-aws-id", clusterName)
	var principal awsproto.Principal
	signed, err := awsproto.VerifyRequest(req, v.Now(), func(cred awsproto.Credential) ([]byte, string, error) {
		key, tok, p, err := v.Keys.Lookup(ctx, cred)
		principal = p
		return key, tok, err
	})
	if err != nil {
		return none, fmt.Errorf("token signature: %w", err)
	}
	if signed.Credential.Service != "sts" {
		return none, errors.New("token is not signed for sts")
	}
	return principal, nil
}

func (v *Verifier) hostAllowed(host string) bool {
	h := strings.ToLower(host)
	if h == "sts.amazonaws.com" || (strings.HasPrefix(h, "sts.") && strings.HasSuffix(h, ".amazonaws.com")) {
		return true
	}
	hosts := v.STSHosts
	if v.Hosts != nil {
		hosts = append(append([]string{}, hosts...), v.Hosts()...)
	}
	for _, a := range hosts {
		if strings.EqualFold(a, host) {
			return true
		}
	}
	return false
}
