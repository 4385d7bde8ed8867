package policy

import "strings"

// arnSegments is how many colon-separated segments an ARN has: arn,
// partition, service, region, account, and the resource (which may hold
// colons of its own).
const arnSegments = 6

// arnPattern is a compiled Resource/NotResource entry or ArnLike value.
// IAM matches ARNs segment by segment, so that a wildcard stays within its
// segment: "arn:aws:s3:*:111122223333:x" does not match an ARN whose
// region segment holds more colons. The docs make one exception, followed
// here for the pattern's last segment: a '*' that ends it may run on past
// the colons that follow ("arn:aws:s3:*" or "*" match any S3 or any ARN).
type arnPattern struct {
	whole    pattern   // the full text, for the "*" and exact fast paths
	segments []pattern // up to six; the last one may contain colons
}

// compileARNPattern compiles text, with variables if the document's
// version has them. A variable's key (aws:username) contains a colon that
// is not a segment separator, so segments are cut after the variables
// have been recognised.
func compileARNPattern(text string, variables bool) arnPattern {
	whole := compilePattern(text, true, variables)
	p := arnPattern{whole: whole}
	if whole.any || whole.exact {
		return p
	}
	var current []atom
	cut := func() {
		p.segments = append(p.segments, finishPattern(current))
		current = nil
	}
	for _, a := range whole.atoms {
		if a.kind != atomLiteral {
			current = append(current, a)
			continue
		}
		text := a.text
		for len(p.segments) < arnSegments-1 {
			i := strings.IndexByte(text, ':')
			if i < 0 {
				break
			}
			if i > 0 {
				current = append(current, atom{kind: atomLiteral, text: text[:i]})
			}
			cut()
			text = text[i+1:]
		}
		if text != "" {
			current = append(current, atom{kind: atomLiteral, text: text})
		}
	}
	cut()
	return p
}

// finishPattern sets a pattern's fast-path flags from its atoms.
func finishPattern(atoms []atom) pattern {
	p := pattern{atoms: atoms}
	for _, a := range atoms {
		if a.kind == atomVariable {
			p.variables = true
		}
	}
	switch {
	case len(atoms) == 0:
		p.exact = true
	case len(atoms) == 1 && atoms[0].kind == atomAnyRun:
		p.any = true
	case len(atoms) == 1 && atoms[0].kind == atomLiteral:
		p.exact = true
		p.text = atoms[0].text
	}
	return p
}

// match reports whether the ARN s matches. ok is false when a variable
// could not be resolved.
func (p *arnPattern) match(s string, r *Request) (matched, ok bool) {
	if p.whole.any || p.whole.exact {
		return p.whole.match(s, false, r)
	}
	rest := s
	last := len(p.segments) - 1
	for i := range p.segments {
		seg := &p.segments[i]
		if i == last {
			// The last segment takes the rest of the ARN when it is the
			// resource segment, or when it ends with '*'.
			if i < arnSegments-1 && strings.IndexByte(rest, ':') >= 0 && !seg.endsWithAnyRun() {
				return false, p.resolvable(r)
			}
			return seg.match(rest, false, r)
		}
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return false, p.resolvable(r)
		}
		matched, ok := seg.match(rest[:j], false, r)
		if !matched {
			if ok {
				ok = p.resolvable(r)
			}
			return false, ok
		}
		rest = rest[j+1:]
	}
	return false, true
}

// resolvable tells whether every variable of the pattern has a value, so
// that a failed match can be told apart from a pattern that cannot apply.
func (p *arnPattern) resolvable(r *Request) bool {
	if !p.whole.variables {
		return true
	}
	for _, a := range p.whole.atoms {
		if a.kind == atomVariable && !a.hasDef {
			if _, ok := r.variable(a.text); !ok {
				return false
			}
		}
	}
	return true
}
