package policy

import "strings"

// PrincipalRef is one value of a Principal or NotPrincipal element, for
// callers that check what a policy names (that a user or role exists...).
type PrincipalRef struct {
	// Type is "*" for "Principal": "*", else the key: AWS, Service,
	// Federated or CanonicalUser.
	Type  string
	Value string
	// Not is set for values of a NotPrincipal element.
	Not bool
}

// principalSet is a compiled Principal or NotPrincipal element.
type principalSet struct {
	everyone   bool     // "Principal": "*"
	anyAWS     bool     // {"AWS": "*"}: every AWS identity, not services
	accounts   []string // account ids, from "123456789012" or its root ARN
	arns       []string // users, roles, sessions, federated users
	uniqueIDs  []string // AIDA..., AROA...: what IAM stores for deleted ones
	services   []string
	federated  []string
	canonical  []string // S3 canonical users: no caller here has one
	references []PrincipalRef
}

// principalMatch is how a statement's principal names the caller.
type principalMatch uint8

const (
	principalNoMatch principalMatch = iota
	principalAccountMatch
	principalExactMatch
)

// parsePrincipal compiles a Principal/NotPrincipal value: "*" or an object
// of type to string-or-list.
func parsePrincipal(v any, not bool) (*principalSet, *Error) {
	set := &principalSet{}
	if s, ok := v.(string); ok {
		if s != "*" {
			return nil, malformed(msgInvalidPrincipal, quote(s))
		}
		set.everyone = true
		set.references = append(set.references, PrincipalRef{Type: "*", Value: "*", Not: not})
		return set, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, malformed(msgSyntax)
	}
	count := 0
	for _, typ := range sortedKeys(obj) {
		list, ok := stringList(obj[typ])
		if !ok {
			return nil, malformed(msgSyntax)
		}
		for _, value := range list {
			count++
			if err := set.add(typ, value); err != nil {
				return nil, err
			}
			set.references = append(set.references, PrincipalRef{Type: typ, Value: value, Not: not})
		}
	}
	if count == 0 {
		return nil, malformed(msgNoPrincipals)
	}
	return set, nil
}

func (set *principalSet) add(typ, value string) *Error {
	invalid := malformed(msgInvalidPrincipal, quote(typ)+":"+quote(value))
	if value == "" {
		return invalid
	}
	switch typ {
	case "AWS":
		return set.addAWS(value, invalid)
	case "Service":
		if strings.ContainsAny(value, "*?") {
			return invalid
		}
		set.services = append(set.services, value)
	case "Federated":
		if strings.ContainsAny(value, "*?") {
			return invalid
		}
		set.federated = append(set.federated, value)
	case "CanonicalUser":
		if strings.ContainsAny(value, "*?") {
			return invalid
		}
		set.canonical = append(set.canonical, value)
	default:
		return invalid
	}
	return nil
}

// addAWS classifies an "AWS" principal: the docs allow "*", an account
// (as its id or root ARN), a user, role, assumed-role session or
// federated user ARN, and never a partial wildcard.
func (set *principalSet) addAWS(value string, invalid *Error) *Error {
	if value == "*" {
		set.anyAWS = true
		return nil
	}
	if strings.ContainsAny(value, "*?") {
		return invalid
	}
	if isAccountID(value) {
		set.accounts = append(set.accounts, value)
		return nil
	}
	if isUniqueID(value) {
		set.uniqueIDs = append(set.uniqueIDs, value)
		return nil
	}
	service, acct, resource := arnParts(value)
	if !isAccountID(acct) || strings.SplitN(value, ":", 5)[3] != "" {
		return invalid
	}
	switch {
	case service == "iam" && resource == "root":
		set.accounts = append(set.accounts, acct)
	case service == "iam" && (strings.HasPrefix(resource, "user/") || strings.HasPrefix(resource, "role/")),
		service == "sts" && (strings.HasPrefix(resource, "assumed-role/") || strings.HasPrefix(resource, "federated-user/")):
		if strings.HasSuffix(resource, "/") {
			return invalid
		}
		set.arns = append(set.arns, value)
	default:
		return invalid
	}
	return nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isUniqueID recognises IAM unique ids (AIDA..., AROA..., AIDAJQ...).
func isUniqueID(s string) bool {
	if len(s) < 16 || len(s) > 128 || s[0] != 'A' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func quote(s string) string { return `"` + s + `"` }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// match tells how a Principal element names the caller: exactly (the
// caller, its role, a service or provider), through its account only, or
// not at all.
func (set *principalSet) match(p *Principal) principalMatch {
	if set.everyone {
		return principalExactMatch
	}
	isAWS := p.ARN != "" || p.Account != ""
	if set.anyAWS && isAWS {
		return principalExactMatch
	}
	if set.namesIdentity(p) || set.namesRole(p) {
		return principalExactMatch
	}
	if p.Service != "" && containsFold(set.services, p.Service) {
		return principalExactMatch
	}
	if p.Federated != "" && contains(set.federated, p.Federated) {
		return principalExactMatch
	}
	if acct := p.account(); isAWS && acct != "" && contains(set.accounts, acct) {
		// The root user is its account: naming the account names it.
		if p.kind() == principalRoot {
			return principalExactMatch
		}
		return principalAccountMatch
	}
	return principalNoMatch
}

// namesIdentity tells whether the set names the caller's own ARN (a user,
// a session, a federated user) or its unique id.
func (set *principalSet) namesIdentity(p *Principal) bool {
	if p.ARN != "" && contains(set.arns, p.ARN) {
		return true
	}
	return p.UserID != "" && contains(set.uniqueIDs, p.UserID)
}

// namesRole tells whether the set names the role of a role session: a
// role ARN in a Principal element stands for all of its sessions.
func (set *principalSet) namesRole(p *Principal) bool {
	role := p.RoleARN
	if role == "" && p.kind() == principalAssumedRole {
		role = p.principalARN()
	}
	if role != "" && contains(set.arns, role) {
		return true
	}
	id := roleID(p.UserID)
	return id != "" && contains(set.uniqueIDs, id)
}

// excludes tells whether a NotPrincipal element leaves the caller out.
// AWS may check each identity in the caller's chain (the account, then
// the role, then the session, or the account then the user), so the
// caller is left out only when every one of them is listed; this is why
// the docs tell to list the account and the role along with the session.
func (set *principalSet) excludes(p *Principal) bool {
	if set.everyone {
		return true
	}
	isAWS := p.ARN != "" || p.Account != ""
	if set.anyAWS && isAWS {
		return true
	}
	checked := false
	if isAWS {
		checked = true
		if !contains(set.accounts, p.account()) {
			return false
		}
		if k := p.kind(); k != principalRoot {
			if !set.namesIdentity(p) {
				return false
			}
			if p.RoleARN != "" || k == principalAssumedRole {
				if !set.namesRole(p) {
					return false
				}
			}
		}
	}
	if p.Service != "" && !isAWS {
		checked = true
		if !containsFold(set.services, p.Service) {
			return false
		}
	}
	if p.Federated != "" && !isAWS {
		checked = true
		if !contains(set.federated, p.Federated) {
			return false
		}
	}
	return checked
}
