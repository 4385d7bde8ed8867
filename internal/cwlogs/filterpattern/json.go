package filterpattern

import (
	"encoding/json"
	"strconv"
	"strings"
)

// jsonExpr is a condition on a decoded JSON event.
type jsonExpr func(doc any) bool

// parseJSON reads the inside of { ... }.
func parseJSON(body string) (*Pattern, error) {
	p := &exprParser{s: body}
	expr, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.skip(); p.i < len(p.s) {
		return nil, invalid("unexpected '%s'", p.s[p.i:])
	}
	return &Pattern{match: func(msg string) bool {
		doc, ok := decodeEvent(msg)
		return ok && expr(doc)
	}}, nil
}

// decodeEvent reads a message as a JSON object or array; other messages
// never match a JSON pattern.
func decodeEvent(msg string) (any, bool) {
	t := strings.TrimSpace(msg)
	if t == "" || (t[0] != '{' && t[0] != '[') {
		return nil, false
	}
	d := json.NewDecoder(strings.NewReader(t))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return nil, false
	}
	return doc, true
}

// exprParser reads JSON conditions: || of && of (parenthesized) conditions.
type exprParser struct {
	s string
	i int
}

func (p *exprParser) skip() {
	for p.i < len(p.s) && isBlank(p.s[p.i]) {
		p.i++
	}
}

func (p *exprParser) eat(tok string) bool {
	p.skip()
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

func (p *exprParser) or() (jsonExpr, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.eat("||") {
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(doc any) bool { return l(doc) || right(doc) }
	}
	return left, nil
}

func (p *exprParser) and() (jsonExpr, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.eat("&&") {
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(doc any) bool { return l(doc) && right(doc) }
	}
	return left, nil
}

func (p *exprParser) unary() (jsonExpr, error) {
	if p.eat("(") {
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.eat(")") {
			return nil, invalid("missing ')'")
		}
		return e, nil
	}
	return p.condition()
}

// condition reads `selector op value` or `selector IS NULL|TRUE|FALSE`,
// `selector EXISTS`, `selector NOT EXISTS`.
func (p *exprParser) condition() (jsonExpr, error) {
	p.skip()
	sel, n, err := readSelector(p.s[p.i:])
	if err != nil {
		return nil, err
	}
	p.i += n
	p.skip()
	switch {
	case p.word("IS"):
		switch {
		case p.word("NULL"):
			return func(doc any) bool { v, ok := sel.resolve(doc); return ok && v == nil }, nil
		case p.word("TRUE"):
			return func(doc any) bool { v, ok := sel.resolve(doc); return ok && v == true }, nil
		case p.word("FALSE"):
			return func(doc any) bool { v, ok := sel.resolve(doc); return ok && v == false }, nil
		}
		return nil, invalid("IS must be followed by NULL, TRUE or FALSE")
	case p.word("NOT"):
		if !p.word("EXISTS") {
			return nil, invalid("NOT must be followed by EXISTS")
		}
		return func(doc any) bool { _, ok := sel.resolve(doc); return !ok }, nil
	case p.word("EXISTS"):
		return func(doc any) bool { _, ok := sel.resolve(doc); return ok }, nil
	}
	op, n := readOperator(p.s[p.i:])
	if op == "" {
		return nil, invalid("expected a comparison after '%s'", sel.text)
	}
	p.i += n
	p.skip()
	lit, n, err := readValue(p.s[p.i:], "()&|")
	if err != nil {
		return nil, err
	}
	p.i += n
	c := comparison{op: op, lit: lit}
	if err := c.check(); err != nil {
		return nil, err
	}
	return func(doc any) bool {
		v, ok := sel.resolve(doc)
		return ok && c.onJSON(v)
	}, nil
}

// word eats a keyword followed by a blank, a parenthesis or the end.
func (p *exprParser) word(w string) bool {
	p.skip()
	rest := p.s[p.i:]
	if !strings.HasPrefix(rest, w) || (len(rest) > len(w) && !isBlank(rest[len(w)]) && rest[len(w)] != ')') {
		return false
	}
	p.i += len(w)
	return true
}

// onJSON applies a comparison to a JSON value: only strings, numbers and
// booleans are compared; arrays, objects and null never match, whatever
// the operator (as AWS documents for {$.users != 1} on an array).
func (c comparison) onJSON(v any) bool {
	switch v := v.(type) {
	case string:
		return c.onText(v)
	case json.Number:
		f, err := strconv.ParseFloat(v.String(), 64)
		if err != nil {
			return false
		}
		return c.onNumber(f, v.String())
	case bool:
		return c.onText(strconv.FormatBool(v))
	}
	return false
}

// selector is a path into a JSON event: $.a.b[0].c.
type selector struct {
	text  string
	steps []step
}

type step struct {
	key   string
	index int // when key is ""
}

// readSelector reads a selector at the start of s.
func readSelector(s string) (selector, int, error) {
	if !strings.HasPrefix(s, "$") {
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			end = len(s)
		}
		return selector{}, 0, invalid("a JSON selector must start with '$': '%s'", s[:end])
	}
	sel := selector{}
	i := 1
	for i < len(s) {
		switch s[i] {
		case '.':
			j := i + 1
			for j < len(s) && (isWordRune(rune(s[j])) || s[j] == '-' || s[j] == '@') {
				j++
			}
			if j == i+1 {
				return selector{}, 0, invalid("a property name must follow '.' in '%s'", s[:j])
			}
			sel.steps = append(sel.steps, step{key: s[i+1 : j]})
			i = j
		case '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return selector{}, 0, invalid("missing ']' in '%s'", s)
			}
			n, err := strconv.Atoi(s[i+1 : i+j])
			if err != nil || n < 0 {
				return selector{}, 0, invalid("an array index must be a number: '%s'", s[i:i+j+1])
			}
			sel.steps = append(sel.steps, step{index: n})
			i += j + 1
		default:
			sel.text = s[:i]
			return sel, i, sel.valid()
		}
	}
	sel.text = s
	return sel, i, sel.valid()
}

func (sel selector) valid() error {
	if len(sel.steps) == 0 {
		return invalid("'$' alone selects no property")
	}
	return nil
}

// resolve finds the selector's value in doc; ok false when it is not there.
func (sel selector) resolve(doc any) (any, bool) {
	v := doc
	for _, st := range sel.steps {
		if st.key != "" {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[st.key]; !ok {
				return nil, false
			}
			continue
		}
		a, ok := v.([]any)
		if !ok || st.index >= len(a) {
			return nil, false
		}
		v = a[st.index]
	}
	return v, true
}
