// Package stsapi is the Query-protocol wire layer of STS: GetCallerIdentity,
// AssumeRole and AssumeRoleWithWebIdentity, over internal/iam.
package stsapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
)

const xmlns = "https://sts.amazonaws.com/doc/2011-06-15/"

// Handler serves STS actions.
type Handler struct {
	IAM *iam.Service
}

// Service returns the front door's entry for STS.
func (h *Handler) Service() *awsproto.Service {
	return &awsproto.Service{Name: "sts", Query: true, Version: "2011-06-15", Checks: h.checks, Handle: h.handle, Unsigned: h.unsigned}
}

func (h *Handler) handle(w http.ResponseWriter, r *http.Request, c *awsproto.Call) error {
	action := c.Form.Get("Action")
	switch action {
	case "GetCallerIdentity":
		awsproto.WriteQueryResult(w, c.RequestID, action, xmlns,
			awsproto.Tx("Arn", c.Principal.ARN), awsproto.Tx("UserId", c.Principal.UserID), awsproto.Tx("Account", c.Principal.Account))
		return nil
	case "AssumeRole":
		if c.Form.Get("RoleArn") == "" || c.Form.Get("RoleSessionName") == "" {
			return awserr.Errorf(iam.CodeValidation, "RoleArn and RoleSessionName are required")
		}
		dur, err := duration(c)
		if err != nil {
			return err
		}
		creds, err := h.IAM.AssumeRole(r.Context(), c.Principal, c.Form.Get("RoleArn"), c.Form.Get("RoleSessionName"), dur)
		if err != nil {
			return err
		}
		awsproto.WriteQueryResult(w, c.RequestID, action, xmlns, credentialNodes(creds)...)
		return nil
	case "AssumeRoleWithWebIdentity":
		dur, err := duration(c)
		if err != nil {
			return err
		}
		creds, err := h.IAM.AssumeRoleWithWebIdentity(r.Context(), c.Form.Get("RoleArn"), c.Form.Get("RoleSessionName"), dur)
		if err != nil {
			return err
		}
		// What Unsigned verified of the token: its provider, subject and audience.
		issuer := providerURL(c.Principal.Federated)
		out := append(credentialNodes(creds),
			awsproto.Tx("SubjectFromWebIdentityToken", first(c.Principal.Claims[issuer+":sub"])),
			awsproto.Tx("Provider", c.Principal.Federated),
			awsproto.Tx("Audience", first(c.Principal.Claims[issuer+":aud"])))
		awsproto.WriteQueryResult(w, c.RequestID, action, xmlns, out...)
		return nil
	default:
		return awserr.Errorf(awserr.CodeInvalidAction, "Could not find operation %s for version 2011-06-15", action)
	}
}

// unsigned authenticates AssumeRoleWithWebIdentity, which the SDKs send
// unsigned, by its token: the caller is the web identity of the token's
// provider, with its claims as condition keys.
func (h *Handler) unsigned(ctx context.Context, form url.Values) (awsproto.Principal, bool, error) {
	if form.Get("Action") != "AssumeRoleWithWebIdentity" {
		return awsproto.Principal{}, false, nil
	}
	for _, p := range []string{"RoleArn", "RoleSessionName", "WebIdentityToken"} {
		if form.Get(p) == "" {
			return awsproto.Principal{}, true, awserr.Errorf(iam.CodeValidation, "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", awsproto.MemberName(p))
		}
	}
	wi, err := h.IAM.VerifyWebIdentityToken(ctx, form.Get("WebIdentityToken"))
	if err != nil {
		return awsproto.Principal{}, true, err
	}
	acct, err := h.IAM.Account(ctx)
	if err != nil {
		return awsproto.Principal{}, true, err
	}
	return awsproto.Principal{Account: acct.ID, Federated: wi.Provider.ARN, Claims: wi.Claims}, true, nil
}

// duration is the DurationSeconds asked for; 0 when none is.
func duration(c *awsproto.Call) (int, error) {
	v := c.Form.Get("DurationSeconds")
	if v == "" {
		return 0, nil
	}
	d, err := strconv.Atoi(v)
	if err != nil {
		return 0, awserr.Errorf(iam.CodeValidation, "DurationSeconds must be a number")
	}
	return d, nil
}

// credentialNodes are a session's Credentials and AssumedRoleUser.
func credentialNodes(creds *iam.Credentials) []awsproto.Node {
	return []awsproto.Node{
		awsproto.El("Credentials", awsproto.Tx("AccessKeyId", creds.AccessKeyID), awsproto.Tx("SecretAccessKey", creds.SecretAccessKey),
			awsproto.Tx("SessionToken", creds.SessionToken), awsproto.Time("Expiration", creds.Expiration)),
		awsproto.El("AssumedRoleUser", awsproto.Tx("AssumedRoleId", creds.AssumedRoleID), awsproto.Tx("Arn", creds.AssumedRoleARN)),
	}
}

// providerURL is the issuer an OIDC provider's ARN ends with.
func providerURL(arn string) string {
	_, u, _ := strings.Cut(arn, ":oidc-provider/")
	return u
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
