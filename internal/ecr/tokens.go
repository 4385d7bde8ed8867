package ecr

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// TokenLifetime is how long a GetAuthorizationToken token lasts, as on ECR.
const TokenLifetime = 12 * time.Hour

type claims struct {
	Subject string `json:"sub"`
	Expires int64  `json:"exp,omitempty"` // unix seconds; 0 for an instance's token
}

// instanceSubject prefixes the subject of an instance's password, valid
// while the instance runs. keks no longer hands them out (nodes log in
// through the kubelet's credential provider, as their role), but the
// containerd of an instance started by an older keks still presents its
// own until it restarts.
const instanceSubject = "instance/"

func (s *Service) sign(c claims) string {
	body, _ := json.Marshal(c)
	mac := hmac.New(sha256.New, s.secret)
	mac.Write(body)
	return base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// AuthorizationToken is what GetAuthorizationToken returns for a principal:
// base64 of "AWS:<password>".
func (s *Service) AuthorizationToken(principalARN string) (token string, expires time.Time) {
	expires = time.Now().Add(TokenLifetime).UTC()
	pass := s.sign(claims{Subject: principalARN, Expires: expires.Unix()})
	return base64.StdEncoding.EncodeToString([]byte("AWS:" + pass)), expires
}

// Subject is whom a registry password stands for. A token only opens the
// registry: each request is then authorized for PrincipalARN, as ECR
// authorizes the token's principal.
type Subject struct {
	// PrincipalARN is the user or role session that asked
	// GetAuthorizationToken; for an instance password, its role's session
	// named after the instance (arn:aws:sts::ACCT:assumed-role/ROLE/i-...),
	// or "" when the instance has no role.
	PrincipalARN string
	// Account is the principal's account, whose registry the password opens.
	Account string
	// InstanceID is set for an instance's password.
	InstanceID string
}

// Who names the subject in messages: its principal, else its instance.
func (s Subject) Who() string {
	if s.PrincipalARN != "" {
		return s.PrincipalARN
	}
	return s.InstanceID
}

// Check verifies a registry password and says whom it stands for.
func (s *Service) Check(ctx context.Context, password string) (Subject, error) {
	c, err := s.verify(password)
	if err != nil {
		return Subject{}, err
	}
	if id, ok := strings.CutPrefix(c.Subject, instanceSubject); ok {
		return s.instanceSubject(ctx, id)
	}
	if time.Now().Unix() > c.Expires {
		return Subject{}, errors.New("token expired")
	}
	account, err := accountOf(c.Subject)
	if err != nil {
		return Subject{}, fmt.Errorf("token subject: %w", err)
	}
	return Subject{PrincipalARN: c.Subject, Account: account}, nil
}

// verify checks a password's signature and reads its claims.
func (s *Service) verify(password string) (claims, error) {
	body64, mac64, ok := strings.Cut(password, ".")
	body, err1 := base64.RawURLEncoding.DecodeString(body64)
	mac, err2 := base64.RawURLEncoding.DecodeString(mac64)
	if !ok || err1 != nil || err2 != nil {
		return claims{}, errors.New("malformed token")
	}
	h := hmac.New(sha256.New, s.secret)
	h.Write(body)
	if !hmac.Equal(mac, h.Sum(nil)) {
		return claims{}, errors.New("token signature does not match")
	}
	var c claims
	if err := json.Unmarshal(body, &c); err != nil {
		return claims{}, fmt.Errorf("token claims: %w", err)
	}
	return c, nil
}

// instanceSubject is a running instance as its role's session: the
// session the instance's metadata service hands out is named after the
// instance too, so the registry and the APIs see one principal.
func (s *Service) instanceSubject(ctx context.Context, id string) (Subject, error) {
	if s.InstanceLive == nil || !s.InstanceLive(ctx, id) {
		return Subject{}, errors.New("instance is not running")
	}
	sub := Subject{InstanceID: id}
	if s.InstanceRole == nil {
		return sub, nil
	}
	roleARN, account, err := s.InstanceRole(ctx, id)
	if err != nil {
		return Subject{}, fmt.Errorf("role of instance %s: %w", id, err)
	}
	if roleARN == "" {
		sub.Account = account
		return sub, nil
	}
	prefix, roleName, ok := strings.Cut(roleARN, ":role/")
	if !ok || !strings.HasPrefix(prefix, "arn:aws:iam::") {
		return Subject{}, fmt.Errorf("instance %s: %q is not a role ARN", id, roleARN)
	}
	if account == "" {
		account = strings.TrimPrefix(prefix, "arn:aws:iam::")
	}
	// A session's ARN names the role without its path.
	roleName = roleName[strings.LastIndex(roleName, "/")+1:]
	sub.PrincipalARN = fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", account, roleName, id)
	sub.Account = account
	return sub, nil
}

// accountOf reads the account of a principal ARN
// (arn:aws:iam::ACCT:user/..., arn:aws:sts::ACCT:assumed-role/...).
func accountOf(arn string) (string, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || !registryPattern.MatchString(parts[4]) {
		return "", fmt.Errorf("%q is not a principal ARN", arn)
	}
	return parts[4], nil
}
