package policy

import "strings"

// Kind says which grammar a document follows.
type Kind int

const (
	// Identity is an identity-based policy (attached to a user, group or
	// role): it may not name a principal.
	Identity Kind = iota
	// Resource is a resource-based policy (a role's trust policy, a key
	// policy, a repository policy): each statement must have Principal
	// or NotPrincipal. Resource/NotResource are optional.
	Resource
	// Trust is a role's trust policy held to IAM's stricter rules for
	// CreateRole/UpdateAssumeRolePolicy: as Resource, and Resource and
	// NotResource are prohibited.
	Trust
)

// The policy language versions. Policy variables exist only in the later.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Document is a parsed policy, ready to be evaluated any number of times,
// from any number of goroutines.
type Document struct {
	// Version is the document's Version element, "" when it has none
	// (which IAM reads as 2008-10-17).
	Version string
	// ID is the document's Id element.
	ID string

	statements []statement
}

// statement is a compiled policy statement.
type statement struct {
	deny         bool
	actions      []pattern // lower-cased
	notAction    bool
	resources    []arnPattern
	notResource  bool
	anyResource  bool // no Resource element: a trust policy's statement
	principals   *principalSet
	notPrincipal bool
	conditions   []condition
}

// Principals lists the values of the document's Principal and
// NotPrincipal elements, statement by statement (and by type within one).
func (d *Document) Principals() []PrincipalRef {
	var out []PrincipalRef
	for i := range d.statements {
		if p := d.statements[i].principals; p != nil {
			out = append(out, p.references...)
		}
	}
	return out
}

// Parse reads a policy document (JSON) and checks it as IAM does for kind.
// Its errors are *Error, with IAM's MalformedPolicyDocument messages.
func Parse(doc string, kind Kind) (*Document, error) {
	d, err := parse(doc, kind)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// rawStatement is a statement's elements as read from JSON, before the
// checks that IAM makes across all statements.
type rawStatement struct {
	sid                      string
	effect                   string
	actions                  []string
	hasAction, notAction     bool
	resources                []string
	hasResource, notResource bool
	principal                any
	hasPrincipal, notPrinc   bool
	conditions               []condition
	datesOK                  bool
}

var statementElements = map[string]bool{
	"Sid": true, "Effect": true,
	"Action": true, "NotAction": true,
	"Resource": true, "NotResource": true,
	"Principal": true, "NotPrincipal": true,
	"Condition": true,
}

// parse runs IAM's checks in IAM's order (syntax first, for every
// statement; then legacy parsing; Sid uniqueness; actions; resources...),
// so that a document with several faults gets the message IAM gives.
func parse(doc string, kind Kind) (*Document, *Error) {
	root, ok := decodeJSON(doc)
	if !ok {
		if kind == Identity {
			return nil, malformed(msgSyntax)
		}
		return nil, malformed(msgInvalidJSON)
	}
	top, ok := root.(map[string]any)
	if !ok {
		return nil, malformed(msgSyntax)
	}
	d := &Document{}
	for _, name := range sortedKeys(top) {
		switch name {
		case "Version", "Id", "Statement":
		default:
			return nil, kind.unknownField(name)
		}
	}
	if v, ok := top["Version"]; ok {
		s, ok := v.(string)
		if !ok || (s != Version2012 && s != Version2008) {
			return nil, malformed(msgSyntax)
		}
		d.Version = s
	}
	if v, ok := top["Id"]; ok {
		s, ok := v.(string)
		if !ok {
			return nil, malformed(msgSyntax)
		}
		d.ID = s
	}
	rawList, err := statementList(top, kind)
	if err != nil {
		return nil, err
	}
	variables := d.Version == Version2012

	raws := make([]rawStatement, len(rawList))
	for i, obj := range rawList {
		if err := readStatement(obj, kind, variables, &raws[i]); err != nil {
			return nil, err
		}
	}
	if err := checkStatements(raws, kind); err != nil {
		return nil, err
	}
	d.statements = make([]statement, len(raws))
	for i := range raws {
		if err := compileStatement(&raws[i], variables, &d.statements[i]); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// checkStatements makes IAM's checks that follow syntax, in IAM's order.
func checkStatements(raws []rawStatement, kind Kind) *Error {
	if err := checkPrincipals(raws, kind); err != nil {
		return err
	}
	if err := checkLegacy(raws); err != nil {
		return err
	}
	if err := checkSids(raws, kind); err != nil {
		return err
	}
	for i := range raws {
		if !raws[i].hasAction || len(raws[i].actions) == 0 {
			return malformed(msgMissingActions)
		}
	}
	for i := range raws {
		// Resource-based statements may leave Resource out (a trust
		// policy's always do), but not leave it empty.
		missing := !raws[i].hasResource && kind == Identity
		if missing || (raws[i].hasResource && len(raws[i].resources) == 0) {
			return malformed(msgMissingResources)
		}
	}
	for i := range raws {
		if err := checkResources(raws[i].resources); err != nil {
			return err
		}
	}
	for i := range raws {
		for _, a := range raws[i].actions {
			if err := checkAction(a); err != nil {
				return err
			}
		}
	}
	return nil
}

func (k Kind) unknownField(name string) *Error {
	if k == Identity {
		return malformed(msgSyntax)
	}
	return malformed(msgUnknownField, name)
}

func (k Kind) missingField(name string) *Error {
	if k == Identity {
		return malformed(msgSyntax)
	}
	return malformed(msgMissingField, name)
}

// statementList reads the Statement element: one statement or a non-empty
// list of them.
func statementList(top map[string]any, kind Kind) ([]map[string]any, *Error) {
	v, ok := top["Statement"]
	if !ok {
		return nil, kind.missingField("Statement")
	}
	switch v := v.(type) {
	case map[string]any:
		return []map[string]any{v}, nil
	case []any:
		if len(v) == 0 {
			return nil, malformed(msgSyntax)
		}
		out := make([]map[string]any, len(v))
		for i, item := range v {
			obj, ok := item.(map[string]any)
			if !ok {
				return nil, malformed(msgSyntax)
			}
			out[i] = obj
		}
		return out, nil
	}
	return nil, malformed(msgSyntax)
}

// readStatement makes the syntax checks of one statement: known elements
// of the right types, Effect present, no element with its Not twin.
func readStatement(obj map[string]any, kind Kind, variables bool, raw *rawStatement) *Error {
	for _, name := range sortedKeys(obj) {
		if !statementElements[name] {
			return kind.unknownField(name)
		}
	}
	if v, ok := obj["Sid"]; ok {
		s, ok := v.(string)
		if !ok {
			return malformed(msgSyntax)
		}
		raw.sid = s
	}
	v, ok := obj["Effect"]
	if !ok {
		return kind.missingField("Effect")
	}
	effect, ok := v.(string)
	if !ok || (!strings.EqualFold(effect, "Allow") && !strings.EqualFold(effect, "Deny")) {
		return malformed(msgSyntax)
	}
	raw.effect = effect

	var err *Error
	if raw.actions, raw.hasAction, raw.notAction, err = pairedList(obj, "Action", "NotAction"); err != nil {
		return err
	}
	if raw.resources, raw.hasResource, raw.notResource, err = pairedList(obj, "Resource", "NotResource"); err != nil {
		return err
	}
	p, hasP := obj["Principal"]
	np, hasNP := obj["NotPrincipal"]
	switch {
	case hasP && hasNP:
		return malformed(msgSyntax)
	case hasP:
		raw.principal, raw.hasPrincipal = p, true
	case hasNP:
		raw.principal, raw.hasPrincipal, raw.notPrinc = np, true, true
	}
	raw.datesOK = true
	if c, ok := obj["Condition"]; ok {
		raw.conditions, err, raw.datesOK = parseConditions(c, variables)
		if err != nil {
			return err
		}
	}
	return nil
}

// pairedList reads an element that has a Not twin (Action/NotAction,
// Resource/NotResource): a string or a list of strings, and not both.
func pairedList(obj map[string]any, name, notName string) (list []string, has, not bool, err *Error) {
	v, hasPlain := obj[name]
	nv, hasNot := obj[notName]
	switch {
	case hasPlain && hasNot:
		return nil, false, false, malformed(msgSyntax)
	case hasNot:
		v, not = nv, true
	case !hasPlain:
		return nil, false, false, nil
	}
	list, ok := stringList(v)
	if !ok {
		return nil, false, false, malformed(msgSyntax)
	}
	return list, true, not, nil
}

// checkPrincipals applies the rules of each kind: identity policies name
// no principal; resource-based ones name one in every statement, and trust
// policies have no resources.
func checkPrincipals(raws []rawStatement, kind Kind) *Error {
	for i := range raws {
		raw := &raws[i]
		if kind == Identity {
			if raw.hasPrincipal {
				return malformed(msgNoPrincipalWanted)
			}
			continue
		}
		if !raw.hasPrincipal {
			return malformed(msgMissingField, "Principal")
		}
		if _, err := parsePrincipal(raw.principal, raw.notPrinc); err != nil {
			return err
		}
		if kind == Trust && raw.hasResource {
			if raw.notResource {
				return malformed(msgProhibitedField, "NotResource")
			}
			return malformed(msgProhibitedField, "Resource")
		}
	}
	return nil
}

// checkLegacy makes the checks of IAM's legacy parser: Effect spelled
// exactly, dates that read, resources with their ARN segments. IAM skips
// the resource test once it has found a resource it will refuse for its
// format (that error is reported later, in its turn).
func checkLegacy(raws []rawStatement) *Error {
	formatFault := false
	for i := range raws {
		raw := &raws[i]
		if raw.effect != "Allow" && raw.effect != "Deny" {
			return malformed(msgLegacyParsing)
		}
		if !raw.datesOK {
			return malformed(msgLegacyParsing)
		}
		if !formatFault && checkResources(raw.resources) != nil {
			formatFault = true
		}
		if formatFault {
			continue
		}
		for _, res := range raw.resources {
			if !legacyResourceOK(res) {
				return malformed(msgLegacyParsing)
			}
		}
	}
	return nil
}

// checkSids checks that Sids are unique and, in identity policies,
// alphanumeric.
func checkSids(raws []rawStatement, kind Kind) *Error {
	seen := make(map[string]bool, len(raws))
	for i := range raws {
		sid := raws[i].sid
		if sid == "" {
			continue
		}
		if seen[sid] {
			return malformed(msgDuplicateSid)
		}
		seen[sid] = true
	}
	if kind != Identity {
		return nil
	}
	for i := range raws {
		for _, c := range raws[i].sid {
			if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
				return malformed(msgSidFormat)
			}
		}
	}
	return nil
}

func compileStatement(raw *rawStatement, variables bool, st *statement) *Error {
	st.deny = raw.effect == "Deny"
	st.notAction = raw.notAction
	st.actions = make([]pattern, len(raw.actions))
	for i, a := range raw.actions {
		st.actions[i] = compilePattern(a, true, false).lower()
	}
	st.notResource = raw.notResource
	st.anyResource = !raw.hasResource
	st.resources = make([]arnPattern, len(raw.resources))
	for i, res := range raw.resources {
		st.resources[i] = compileARNPattern(res, variables)
	}
	if raw.hasPrincipal {
		set, err := parsePrincipal(raw.principal, raw.notPrinc)
		if err != nil {
			return err
		}
		st.principals = set
		st.notPrincipal = raw.notPrinc
	}
	st.conditions = raw.conditions
	return nil
}
