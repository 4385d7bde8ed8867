package policy

import "strings"

// Principal is who makes a request, as the global condition keys and the
// Principal element see it.
type Principal struct {
	// ARN is the caller: a user ARN, an assumed-role session ARN
	// (arn:aws:sts::ACCT:assumed-role/ROLE/SESSION), or
	// arn:aws:iam::ACCT:root.
	ARN     string
	Account string
	// UserID is the unique id: AIDA... for a user, AROA...:session for a
	// role session, the account id for the root user.
	UserID string
	// Username is the friendly name of a user (for ${aws:username}); empty
	// for every other kind of principal.
	Username string
	// RoleARN is, for a role session, the role's ARN with its path
	// (arn:aws:iam::ACCT:role/path/ROLE).
	RoleARN string
	// Federated is the identity provider of a web identity or SAML caller.
	Federated string
	// Service is the service principal ("eks.amazonaws.com") when an AWS
	// service acts.
	Service string
	// Tags are the principal's tags, for aws:PrincipalTag/<key>.
	Tags map[string]string
}

// principalKind is what sort of identity made a request; its String is
// the value of aws:PrincipalType.
type principalKind uint8

const (
	principalUnknown principalKind = iota
	principalRoot
	principalUser
	principalAssumedRole
	principalFederatedUser
)

func (k principalKind) String() string {
	switch k {
	case principalRoot:
		return "Account"
	case principalUser:
		return "User"
	case principalAssumedRole:
		return "AssumedRole"
	case principalFederatedUser:
		return "FederatedUser"
	}
	return ""
}

// arnParts returns the service, the account and the resource part (what
// follows the fifth colon) of an ARN, or empty strings if s is not an ARN.
func arnParts(s string) (service, account, resource string) {
	if !strings.HasPrefix(s, "arn:") {
		return "", "", ""
	}
	rest := s[len("arn:"):]
	var fields [4]string
	for i := range fields {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return "", "", ""
		}
		fields[i] = rest[:j]
		rest = rest[j+1:]
	}
	return fields[1], fields[3], rest
}

func (p *Principal) kind() principalKind {
	service, _, resource := arnParts(p.ARN)
	switch {
	case service == "iam" && resource == "root":
		return principalRoot
	case service == "iam" && strings.HasPrefix(resource, "user/"):
		return principalUser
	case service == "sts" && strings.HasPrefix(resource, "assumed-role/"):
		return principalAssumedRole
	case service == "sts" && strings.HasPrefix(resource, "federated-user/"):
		return principalFederatedUser
	case p.RoleARN != "":
		return principalAssumedRole
	case p.Username != "":
		return principalUser
	}
	return principalUnknown
}

func (p *Principal) account() string {
	if p.Account != "" {
		return p.Account
	}
	_, acct, _ := arnParts(p.ARN)
	return acct
}

func (p *Principal) username() string {
	if p.Username != "" {
		return p.Username
	}
	if p.kind() == principalUser {
		_, _, resource := arnParts(p.ARN)
		return resource[strings.LastIndexByte(resource, '/')+1:]
	}
	return ""
}

// principalARN is aws:PrincipalArn: for a role session it is the role's
// ARN, not the session's.
func (p *Principal) principalARN() string {
	if p.RoleARN != "" {
		return p.RoleARN
	}
	if p.kind() == principalAssumedRole {
		// Without RoleARN the role's path is unknown; the session ARN
		// still names the role.
		_, acct, resource := arnParts(p.ARN)
		role := strings.TrimPrefix(resource, "assumed-role/")
		if i := strings.IndexByte(role, '/'); i >= 0 {
			role = role[:i]
		}
		partition := strings.SplitN(p.ARN, ":", 3)[1]
		return "arn:" + partition + ":iam::" + acct + ":role/" + role
	}
	return p.ARN
}

// roleID is the role's unique id in a session's user id (AROA...:session).
func roleID(userID string) string {
	if i := strings.IndexByte(userID, ':'); i >= 0 {
		return userID[:i]
	}
	return ""
}

// principalKey derives the global condition keys that describe the
// caller, with the values the IAM docs list for each kind of principal.
func (r *Request) principalKey(key, lower string) (values, bool) {
	p := &r.Principal
	if strings.HasPrefix(lower, "aws:principaltag/") {
		return tagValue(p.Tags, afterSlash(key))
	}
	switch lower {
	case "aws:principalarn":
		if arn := p.principalARN(); arn != "" {
			return one(arn)
		}
	case "aws:principalaccount":
		if acct := p.account(); acct != "" {
			return one(acct)
		}
	case "aws:username":
		if name := p.username(); name != "" {
			return one(name)
		}
	case "aws:userid":
		if p.UserID != "" {
			return one(p.UserID)
		}
		if p.kind() == principalRoot {
			return one(p.account())
		}
	case "aws:principaltype":
		if t := p.kind().String(); t != "" {
			return one(t)
		}
	case "aws:principalservicename":
		if p.Service != "" {
			return one(p.Service)
		}
	case "aws:principalisawsservice":
		if p.Service != "" && p.ARN == "" {
			return one("true")
		}
		return one("false")
	case "aws:federatedprovider":
		if p.Federated != "" {
			return one(p.Federated)
		}
	}
	return values{}, false
}
