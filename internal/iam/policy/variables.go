package policy

import "strings"

// parseVariable reads the policy variable at the start of s ("${...}"),
// returning it as an atom and the number of bytes it spans. ok is false
// when s does not hold a complete variable; the caller then keeps the
// text as it is.
//
// The forms are those of the IAM docs: ${key}, ${key, 'default'} (a
// quote inside the default is written twice), and the three that stand
// for a character that would otherwise mean something: ${*}, ${?}, ${$}.
func parseVariable(s string) (v atom, n int, ok bool) {
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return atom{}, 0, false
	}
	body := s[2:end]
	// A quoted default may itself hold a '}': look for the closing brace
	// after the closing quote.
	if comma := strings.IndexByte(body, ','); comma >= 0 {
		rest := strings.TrimLeft(s[2+comma+1:], " ")
		if strings.HasPrefix(rest, "'") {
			def, used, closed := readQuoted(rest)
			if closed {
				tail := strings.TrimLeft(rest[used:], " ")
				if strings.HasPrefix(tail, "}") {
					n = len(s) - len(tail) + 1
					key := strings.TrimSpace(body[:comma])
					return variableAtom(key, def, true), n, true
				}
			}
		}
		// A malformed default: the variable resolves to nothing.
		return atom{kind: atomVariable}, end + 1, true
	}
	switch body {
	case "*", "?", "$":
		return atom{kind: atomLiteral, text: body}, end + 1, true
	}
	return variableAtom(strings.TrimSpace(body), "", false), end + 1, true
}

// readQuoted reads a single-quoted string at the start of s, where two
// quotes in a row stand for one. It returns the text, how many bytes it
// used, and whether the closing quote was found.
func readQuoted(s string) (text string, used int, closed bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '\'' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		return b.String(), i + 1, true
	}
	return "", 0, false
}

func variableAtom(key, def string, hasDef bool) atom {
	// An empty key, or one with spaces inside, names no context key: it
	// never resolves (but its default still applies).
	if strings.ContainsAny(key, " \t") {
		key = ""
	}
	return atom{kind: atomVariable, text: strings.ToLower(key), def: def, hasDef: hasDef}
}

// resolveVariables replaces the variables in atoms by literal atoms with
// the request's values, appending to buf. ok is false when a variable has
// no value and no default. Only single-valued keys can be variables.
func resolveVariables(atoms []atom, buf []atom, r *Request) ([]atom, bool) {
	for _, a := range atoms {
		if a.kind != atomVariable {
			buf = append(buf, a)
			continue
		}
		value, ok := r.variable(a.text)
		switch {
		case ok:
			buf = append(buf, atom{kind: atomLiteral, text: value})
		case a.hasDef:
			buf = append(buf, atom{kind: atomLiteral, text: a.def})
		default:
			return nil, false
		}
	}
	return buf, true
}
