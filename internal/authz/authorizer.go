// Package authz is the front door's authorization point: every AWS call,
// described by its service as actions on resources, is evaluated against
// the caller's IAM policies (and a resource's own policy) before any
// handler runs.
package authz

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/iam/policy"
)

// Identities is what authorization needs of IAM.
type Identities interface {
	PoliciesOf(ctx context.Context, p awsproto.Principal) (*iam.PrincipalPolicies, error)
	RecordKeyUse(ctx context.Context, accessKeyID, service, region string)
}

// Authorizer evaluates calls; it is an awsproto.Authorizer.
type Authorizer struct {
	IAM  Identities
	Now  func() time.Time
	docs documentCache
}

// alwaysAllowed marks a check that needs no permission
// (sts:GetCallerIdentity works whatever the caller's policies say).
const alwaysAllowed = "keks:AlwaysAllowed"

// Authorize allows the call when every check is allowed: by an
// identity-based policy, or by the resource's own policy, and denied
// explicitly by neither.
func (a *Authorizer) Authorize(ctx context.Context, c *awsproto.Call, r *http.Request, service string, checks []awsproto.Check) error {
	federated := c.Principal.Federated != ""
	if !federated {
		a.IAM.RecordKeyUse(ctx, c.Principal.AccessKeyID, service, c.Region)
	}
	pending := checks[:0:0]
	for _, ch := range checks {
		if len(ch.Context[alwaysAllowed]) == 0 {
			pending = append(pending, ch)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	if federated {
		return a.authorizeFederated(ctx, c, r, pending)
	}
	pp, err := a.IAM.PoliciesOf(ctx, c.Principal)
	if err != nil {
		return fmt.Errorf("policies of %s: %w", c.Principal.ARN, err)
	}
	if pp.Root {
		return nil
	}
	docs := make([]*policy.Document, 0, len(pp.Documents))
	for _, text := range pp.Documents {
		// A stored document that no longer parses grants nothing; IAM
		// refuses such documents when they are written.
		if d, err := a.docs.parse(text, policy.Identity); err == nil {
			docs = append(docs, d)
		}
	}
	principal := policy.Principal{ARN: c.Principal.ARN, Account: c.Principal.Account, UserID: c.Principal.UserID,
		Username: pp.Username, RoleARN: pp.RoleARN, Tags: principalTags(pp.Tags, c.Principal.SessionTags)}
	global := a.globalContext(c, r)
	var session *policy.Document
	if c.Principal.SessionPolicy != "" {
		// A session policy that no longer parses allows nothing.
		if session, err = a.docs.parse(c.Principal.SessionPolicy, policy.Identity); err != nil {
			session = &policy.Document{}
		}
	}
	for _, ch := range pending {
		if err := a.decide(ctx, principal, docs, session, global, ch); err != nil {
			if service == "ec2" {
				// EC2 says it its own way first.
				e, _ := awserr.AsError(err)
				return awserr.Errorf(e.Code, "You are not authorized to perform this operation. %s", e.Message)
			}
			return err
		}
	}
	return nil
}

// authorizeFederated decides the checks of a web identity: it has no
// identity-based policies, so only the resource's own policy (the role's
// trust policy) can allow them, with the token's claims as condition keys.
func (a *Authorizer) authorizeFederated(ctx context.Context, c *awsproto.Call, r *http.Request, checks []awsproto.Check) error {
	principal := policy.Principal{Account: c.Principal.Account, Federated: c.Principal.Federated}
	global := merge(a.globalContext(c, r), c.Principal.Claims)
	for _, ch := range checks {
		if err := a.decide(ctx, principal, nil, nil, global, ch); err != nil {
			return awserr.Errorf(awserr.CodeAccessDenied, "Not authorized to perform %s", ch.Action)
		}
	}
	return nil
}

// decide judges one check by the caller's identity policies and the
// resource's own policy; a session policy (session, nil for none) narrows
// what they allow.
func (a *Authorizer) decide(ctx context.Context, principal policy.Principal, docs []*policy.Document, session *policy.Document, global map[string][]string, ch awsproto.Check) error {
	req := &policy.Request{Principal: principal, Action: ch.Action, Resource: ch.Resource, Context: merge(global, ch.Context)}
	if ch.ResourceTags != nil {
		req.ResourceTags = func() map[string]string { return ch.ResourceTags(ctx) }
	}
	identity := policy.Decide(docs, req)
	resource := policy.NotApplicable
	if ch.ResourcePolicy != "" {
		if d, err := a.docs.parse(ch.ResourcePolicy, policy.Resource); err == nil {
			resource = d.EvaluateResource(req)
		}
	}
	if identity == policy.ExplicitDeny || resource == policy.ExplicitDeny {
		where := "an identity-based policy"
		if resource == policy.ExplicitDeny {
			where = "a resource-based policy"
		}
		return denied(principal.ARN, ch, "with an explicit deny in "+where)
	}
	// A resource policy that names the caller grants on its own; one that
	// names only the account hands the decision to the caller's policies.
	// Roles and keys grant nothing unless their own policy lets the caller in.
	allowed := resource == policy.Allow || (resource == policy.AllowAccount && identity == policy.Allow)
	strict := needsResourcePolicy(ch)
	if !strict {
		allowed = allowed || identity == policy.Allow
	}
	if allowed {
		return sessionAllows(principal, session, req, ch)
	}
	if strict {
		return denied(principal.ARN, ch, "")
	}
	return denied(principal.ARN, ch, "because no identity-based policy allows the "+ch.Action+" action")
}

// sessionAllows applies a session policy: a session may do only what both
// its role's policies and the policy it was given allow.
func sessionAllows(principal policy.Principal, session *policy.Document, req *policy.Request, ch awsproto.Check) error {
	if session == nil {
		return nil
	}
	switch policy.Decide([]*policy.Document{session}, req) {
	case policy.Allow:
		return nil
	case policy.ExplicitDeny:
		return denied(principal.ARN, ch, "with an explicit deny in a session policy")
	}
	return denied(principal.ARN, ch, "because no session policy allows the "+ch.Action+" action")
}

// needsResourcePolicy: assuming a role (and tagging its session or
// setting its source identity) takes its trust policy's consent, and using
// a KMS key its key policy's, whatever the caller's policies allow. KMS
// actions on no key (CreateKey, ListKeys, an alias) are the caller's
// policies' alone.
func needsResourcePolicy(ch awsproto.Check) bool {
	a := strings.ToLower(ch.Action)
	if strings.HasPrefix(a, "kms:") {
		return strings.Contains(ch.Resource, ":key/")
	}
	return strings.HasPrefix(a, "sts:assumerole") || a == "sts:tagsession" || a == "sts:setsourceidentity"
}

// denied is AWS's refusal, naming who, what and on what.
func denied(who string, ch awsproto.Check, why string) error {
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", who, ch.Action, ch.Resource)
	if why != "" {
		msg += " " + why
	}
	return awserr.Errorf(awserr.CodeAccessDenied, "%s", msg)
}

// globalContext holds the condition keys every request has.
func (a *Authorizer) globalContext(c *awsproto.Call, r *http.Request) map[string][]string {
	now := a.Now().UTC()
	ctx := map[string][]string{
		"aws:CurrentTime":           {now.Format(time.RFC3339)},
		"aws:EpochTime":             {strconv.FormatInt(now.Unix(), 10)},
		"aws:SecureTransport":       {strconv.FormatBool(r.TLS != nil)},
		"aws:RequestedRegion":       {c.Region},
		"aws:ViaAWSService":         {"false"},
		"aws:PrincipalIsAWSService": {"false"},
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ctx["aws:SourceIp"] = []string{host}
	}
	if ua := r.UserAgent(); ua != "" {
		ctx["aws:UserAgent"] = []string{ua}
	}
	if c.Principal.AccessKeyID != "" && strings.HasPrefix(c.Principal.AccessKeyID, "ASIA") {
		ctx["aws:MultiFactorAuthPresent"] = []string{"false"}
	}
	return ctx
}

func merge(global, own map[string][]string) map[string][]string {
	if len(own) == 0 {
		return global
	}
	out := make(map[string][]string, len(global)+len(own))
	for k, v := range global {
		out[k] = v
	}
	for k, v := range own {
		out[k] = v
	}
	return out
}

// principalTags are a principal's tags as aws:PrincipalTag sees them: a
// session's tags over its role's.
func principalTags(own, session map[string]string) map[string]string {
	if len(session) == 0 {
		return own
	}
	out := maps.Clone(own)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, session)
	return out
}
