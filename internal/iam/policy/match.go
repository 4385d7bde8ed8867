package policy

import (
	"strings"
	"unicode/utf8"
)

// atomKind says what one piece of a compiled pattern stands for.
type atomKind uint8

const (
	atomLiteral  atomKind = iota // text matched as is
	atomAnyOne                   // '?': exactly one character
	atomAnyRun                   // '*': any run of characters, possibly empty
	atomVariable                 // ${key}: replaced by the request's value at evaluation
)

// atom is one piece of a pattern. Keeping literal text apart from the
// wildcards (rather than matching against the raw policy string) is what
// lets a substituted value, or ${*}, stand for a literal '*'.
type atom struct {
	kind   atomKind
	text   string // the literal text; for a variable, its key lower-cased
	def    string // a variable's default value
	hasDef bool
}

// pattern is a compiled string pattern: an Action, a condition value, or
// one segment of an ARN.
type pattern struct {
	atoms []atom
	// exact is set when the pattern has neither wildcards nor variables:
	// matching is then a plain comparison with text.
	exact bool
	// any is set for a lone "*", which matches everything.
	any       bool
	variables bool
	text      string
}

// compilePattern splits text into atoms. wildcards says whether '*' and
// '?' are wildcards (they are literal for StringEquals); variables whether
// ${...} is a policy variable (only in 2012-10-17 documents).
func compilePattern(text string, wildcards, variables bool) pattern {
	p := pattern{text: text}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.atoms = append(p.atoms, atom{kind: atomLiteral, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case variables && c == '$' && i+1 < len(text) && text[i+1] == '{':
			v, n, ok := parseVariable(text[i:])
			if !ok {
				lit.WriteByte(c)
				i++
				continue
			}
			i += n
			if v.kind == atomLiteral {
				lit.WriteString(v.text)
				continue
			}
			flush()
			p.atoms = append(p.atoms, v)
			p.variables = true
		case wildcards && c == '*':
			flush()
			// A run of stars means no more than one.
			if n := len(p.atoms); n == 0 || p.atoms[n-1].kind != atomAnyRun {
				p.atoms = append(p.atoms, atom{kind: atomAnyRun})
			}
			i++
		case wildcards && c == '?':
			flush()
			p.atoms = append(p.atoms, atom{kind: atomAnyOne})
			i++
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	switch {
	case len(p.atoms) == 1 && p.atoms[0].kind == atomAnyRun:
		p.any = true
	case len(p.atoms) == 0:
		p.exact = true
		p.text = ""
	case len(p.atoms) == 1 && p.atoms[0].kind == atomLiteral:
		p.exact = true
		p.text = p.atoms[0].text
	}
	return p
}

// lower returns the pattern with its literal text lower-cased, for the
// case-insensitive Action element.
func (p pattern) lower() pattern {
	p.text = strings.ToLower(p.text)
	atoms := make([]atom, len(p.atoms))
	for i, a := range p.atoms {
		if a.kind == atomLiteral {
			a.text = strings.ToLower(a.text)
		}
		atoms[i] = a
	}
	p.atoms = atoms
	return p
}

// endsWithAnyRun tells whether the pattern's last piece is a '*'.
func (p *pattern) endsWithAnyRun() bool {
	return len(p.atoms) > 0 && p.atoms[len(p.atoms)-1].kind == atomAnyRun
}

// match reports whether s matches the pattern, resolving variables from r.
// ok is false when a variable could not be resolved: the pattern then
// matches nothing, and a negated test must not treat it as "different".
func (p *pattern) match(s string, fold bool, r *Request) (matched, ok bool) {
	switch {
	case p.any:
		return true, true
	case p.exact:
		if fold {
			return strings.EqualFold(p.text, s), true
		}
		return p.text == s, true
	case !p.variables:
		return matchAtoms(p.atoms, s, fold), true
	}
	var buf [16]atom
	atoms, ok := resolveVariables(p.atoms, buf[:0], r)
	if !ok {
		return false, false
	}
	return matchAtoms(atoms, s, fold), true
}

// matchAtoms matches s against literal, '?' and '*' atoms. It runs in
// time linear in len(s) times the longest run of atoms between two stars,
// whatever the number of stars: the text before the first star must be a
// prefix, the text after the last star a suffix, and each run between
// stars is placed at its leftmost possible position, which is always
// right for '*' (a later placement only leaves less room for what
// follows). There is no backtracking, so a*a*a*...b cannot blow up.
func matchAtoms(atoms []atom, s string, fold bool) bool {
	first := -1
	last := -1
	for i := range atoms {
		if atoms[i].kind == atomAnyRun {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		end := matchRunAt(atoms, s, 0, fold)
		return end == len(s)
	}
	start := matchRunAt(atoms[:first], s, 0, fold)
	if start < 0 {
		return false
	}
	limit := matchRunSuffix(atoms[last+1:], s, fold)
	if limit < start {
		return false
	}
	bounded := s[:limit]
	pos := start
	for i := first + 1; i < last; {
		if atoms[i].kind == atomAnyRun {
			i++
			continue
		}
		j := i
		for j < last && atoms[j].kind != atomAnyRun {
			j++
		}
		end := findRun(atoms[i:j], bounded, pos, fold)
		if end < 0 {
			return false
		}
		pos = end
		i = j
	}
	return true
}

// matchRunAt matches a run of literal and '?' atoms at s[pos:], returning
// where the match ends, or -1.
func matchRunAt(run []atom, s string, pos int, fold bool) int {
	for _, a := range run {
		switch a.kind {
		case atomLiteral:
			if len(s)-pos < len(a.text) || !equalText(s[pos:pos+len(a.text)], a.text, fold) {
				return -1
			}
			pos += len(a.text)
		case atomAnyOne:
			if pos >= len(s) {
				return -1
			}
			_, size := utf8.DecodeRuneInString(s[pos:])
			pos += size
		}
	}
	return pos
}

// matchRunSuffix matches a run of literal and '?' atoms at the end of s,
// returning where the match starts, or -1.
func matchRunSuffix(run []atom, s string, fold bool) int {
	pos := len(s)
	for i := len(run) - 1; i >= 0; i-- {
		a := run[i]
		switch a.kind {
		case atomLiteral:
			if pos < len(a.text) || !equalText(s[pos-len(a.text):pos], a.text, fold) {
				return -1
			}
			pos -= len(a.text)
		case atomAnyOne:
			if pos == 0 {
				return -1
			}
			_, size := utf8.DecodeLastRuneInString(s[:pos])
			pos -= size
		}
	}
	return pos
}

// findRun finds the leftmost match of a run of literal and '?' atoms in
// s at or after pos, returning where that match ends, or -1.
func findRun(run []atom, s string, pos int, fold bool) int {
	if len(run) == 1 && run[0].kind == atomLiteral && !fold {
		i := strings.Index(s[pos:], run[0].text)
		if i < 0 {
			return -1
		}
		return pos + i + len(run[0].text)
	}
	for pos <= len(s) {
		if end := matchRunAt(run, s, pos, fold); end >= 0 {
			return end
		}
		if pos == len(s) {
			break
		}
		_, size := utf8.DecodeRuneInString(s[pos:])
		pos += size
	}
	return -1
}

func equalText(a, b string, fold bool) bool {
	if fold {
		return strings.EqualFold(a, b)
	}
	return a == b
}
