package policy

// Decision is the outcome of evaluating policies against a request.
type Decision int

const (
	// NotApplicable: no statement matched; an implicit deny.
	NotApplicable Decision = iota
	// Allow: an Allow statement matched and no Deny did.
	Allow
	// ExplicitDeny: a Deny statement matched. It overrides any Allow.
	ExplicitDeny
	// AllowAccount (resource-based policies only): allowed, but the
	// Principal named the caller only as its whole account (an account id
	// or arn:aws:iam::ACCT:root), which delegates to that account: the
	// caller's own identity-based policies must allow the action too.
	AllowAccount
)

func (d Decision) String() string {
	switch d {
	case NotApplicable:
		return "NotApplicable"
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	case AllowAccount:
		return "AllowAccount"
	}
	return "Decision(?)"
}

// Evaluate applies the document as an identity-based policy: Principal
// and NotPrincipal elements are not looked at.
func (d *Document) Evaluate(r *Request) Decision {
	allowed := false
	for i := range d.statements {
		st := &d.statements[i]
		if !st.applies(r) {
			continue
		}
		if st.deny {
			return ExplicitDeny
		}
		allowed = true
	}
	if allowed {
		return Allow
	}
	return NotApplicable
}

// EvaluateResource applies the document as a resource-based policy: a
// statement counts only when its Principal or NotPrincipal matches the
// caller. A statement without either never counts. NotPrincipal with
// Allow is not supported by AWS ("NotPrincipal must be used with Deny"),
// so such a statement grants nothing.
func (d *Document) EvaluateResource(r *Request) Decision {
	result := NotApplicable
	for i := range d.statements {
		st := &d.statements[i]
		if st.principals == nil {
			continue
		}
		match := principalExactMatch
		if st.notPrincipal {
			if !st.deny || st.principals.excludes(&r.Principal) {
				continue
			}
		} else {
			match = st.principals.match(&r.Principal)
			if match == principalNoMatch {
				continue
			}
		}
		if !st.applies(r) {
			continue
		}
		switch {
		case st.deny:
			return ExplicitDeny
		case match == principalExactMatch:
			result = Allow
		case result == NotApplicable:
			result = AllowAccount
		}
	}
	return result
}

// Decide combines identity-based documents: an explicit deny in any of
// them wins, then an allow in any of them; else NotApplicable. Nil
// documents are skipped.
func Decide(docs []*Document, r *Request) Decision {
	allowed := false
	for _, d := range docs {
		if d == nil {
			continue
		}
		switch d.Evaluate(r) {
		case ExplicitDeny:
			return ExplicitDeny
		case Allow:
			allowed = true
		}
	}
	if allowed {
		return Allow
	}
	return NotApplicable
}

// applies tells whether the statement's Action, Resource and Condition
// elements all match the request. The cheap tests come first.
func (st *statement) applies(r *Request) bool {
	return st.matchesAction(r.Action) && st.matchesResource(r) && st.conditionsHold(r)
}

func (st *statement) matchesAction(action string) bool {
	for i := range st.actions {
		if matched, _ := st.actions[i].match(action, true, nil); matched {
			return !st.notAction
		}
	}
	return st.notAction
}

// matchesResource: with NotResource, a pattern whose variable cannot be
// resolved makes the statement not apply, rather than count as "a
// different resource".
func (st *statement) matchesResource(r *Request) bool {
	if st.anyResource {
		return true
	}
	for i := range st.resources {
		matched, ok := st.resources[i].match(r.Resource, r)
		if st.notResource && !ok {
			return false
		}
		if matched {
			return !st.notResource
		}
	}
	return st.notResource
}

func (st *statement) conditionsHold(r *Request) bool {
	for i := range st.conditions {
		if !st.conditions[i].holds(r) {
			return false
		}
	}
	return true
}
