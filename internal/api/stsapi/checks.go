package stsapi

import (
	"context"
	"maps"
	"net/http"
	"regexp"

	"github.com/keksdev/keks/internal/awsproto"
)

// alwaysAllowed is the condition key by which a check says it needs no
// permission; the authorizer honours it.
const alwaysAllowed = "keks:AlwaysAllowed"

// checks describes an STS call for the front door's authorizer, as the
// Service Authorization Reference lists each action.
func (h *Handler) checks(r *http.Request, c *awsproto.Call) []awsproto.Check {
	switch c.Form.Get("Action") {
	case "GetCallerIdentity":
		// AWS answers GetCallerIdentity whatever the caller's policies
		// say, even under an explicit deny.
		return []awsproto.Check{{Action: "sts:GetCallerIdentity", Resource: "*",
			Context: map[string][]string{alwaysAllowed: {"true"}}}}
	case "AssumeRole":
		return h.assumeRoleChecks(r.Context(), c, "sts:AssumeRole")
	case "AssumeRoleWithWebIdentity":
		// Only the role's trust policy can allow a web identity, with
		// the token's claims (Unsigned put them on the principal).
		return h.assumeRoleChecks(r.Context(), c, "sts:AssumeRoleWithWebIdentity")
	}
	return nil // not an STS action keks serves: the handler says so
}

// assumeRoleChecks: sts:AssumeRole (or the action of the web identity
// variant) on the role, which its trust policy must also allow; with
// session tags, sts:TagSession too, and with a source identity,
// sts:SetSourceIdentity, as STS asks for them.
func (h *Handler) assumeRoleChecks(ctx context.Context, c *awsproto.Call, action string) []awsproto.Check {
	form := c.Form
	role := awsproto.Check{Resource: "*"}
	if arn := form.Get("RoleArn"); roleARN.MatchString(arn) {
		role.Resource = arn
		trust, tags := h.roleTrustAndTags(ctx, arn)
		role.ResourcePolicy = trust
		role.ResourceTags = func(context.Context) map[string]string { return tags }
	}
	keys := map[string][]string{}
	for param, key := range map[string]string{"RoleSessionName": "sts:RoleSessionName", "ExternalId": "sts:ExternalId", "SourceIdentity": "sts:SourceIdentity"} {
		if v, ok := form[param]; ok {
			keys[key] = []string{v[0]}
		}
	}
	sessionTags := c.MemberTags("Tags")
	maps.Copy(keys, awsproto.TagContext(sessionTags))
	transitive := c.Members("TransitiveTagKeys")
	if len(transitive) > 0 {
		keys["sts:TransitiveTagKeys"] = transitive
	}

	checks := []awsproto.Check{withAction(role, action, keys)}
	if len(sessionTags) > 0 || len(transitive) > 0 {
		checks = append(checks, withAction(role, "sts:TagSession", keys))
	}
	if _, ok := form["SourceIdentity"]; ok {
		checks = append(checks, withAction(role, "sts:SetSourceIdentity", keys))
	}
	return checks
}

// roleARN is the form of an IAM role's ARN: what else a request names is
// not a role, and is checked as "*".
var roleARN = regexp.MustCompile(`^arn:aws:iam::\d{12}:role/([\x21-\x7E]*/)?[\w+=,.@-]{1,64}$`)

// roleTrustAndTags are a role's trust policy and tags; none when it does
// not exist (the handler then refuses) or there is no model to ask.
func (h *Handler) roleTrustAndTags(ctx context.Context, arn string) (string, map[string]string) {
	if h.IAM == nil {
		return "", nil
	}
	role, err := h.IAM.RoleByARN(ctx, arn)
	if err != nil {
		return "", nil
	}
	return role.AssumeRolePolicy, role.Tags
}

// withAction is a copy of a check on the same role for another action.
func withAction(ch awsproto.Check, action string, keys map[string][]string) awsproto.Check {
	ch.Action = action
	if len(keys) > 0 {
		ch.Context = maps.Clone(keys)
	}
	return ch
}
