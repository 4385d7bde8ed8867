package filterpattern

import (
	"regexp"
	"strconv"
	"strings"
)

// comparison is a field's test against a literal: = != < > <= >=.
type comparison struct {
	op  string
	lit literal
}

// literal is the right side of a comparison.
type literal struct {
	text  string
	num   float64
	isNum bool // written as a number (unquoted)
	re    *regexp.Regexp
}

// number is what CloudWatch takes for a number: an optional sign, digits
// with an optional fraction, an optional exponent.
var number = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

// bareValue reports whether an unquoted value may stand as it is: letters,
// digits and the few symbols AWS's examples leave unquoted (123.123.*).
func bareValue(s string) bool {
	for _, r := range s {
		if !(isWordRune(r) || strings.ContainsRune(".*-+:/", r)) {
			return false
		}
	}
	return s != ""
}

// readValue reads the literal at the start of s, which ends at a blank or
// at one of stops: its literal and how many bytes it took.
func readValue(s string, stops string) (literal, int, error) {
	if s == "" {
		return literal{}, 0, invalid("a comparison has no value")
	}
	switch s[0] {
	case '"':
		text, n, err := quoted(s)
		return literal{text: text}, n, err
	case '%':
		end := strings.IndexByte(s[1:], '%')
		if end < 0 {
			return literal{}, 0, invalid("Unterminated regular expression in '%s'", s)
		}
		re, err := compileRegex(s[:end+2])
		return literal{text: s[:end+2], re: re}, end + 2, err
	}
	end := 0
	for end < len(s) && !isBlank(s[end]) && !strings.ContainsRune(stops, rune(s[end])) {
		end++
	}
	text := s[:end]
	if !bareValue(text) {
		return literal{}, 0, invalid("Invalid character(s) in term '%s'", text)
	}
	lit := literal{text: text}
	if number.MatchString(text) {
		if f, err := strconv.ParseFloat(text, 64); err == nil {
			lit.num, lit.isNum = f, true
		}
	}
	return lit, end, nil
}

// readOperator reads a comparison operator at the start of s.
func readOperator(s string) (string, int) {
	for _, op := range []string{"!=", "<=", ">=", "=", "<", ">"} {
		if strings.HasPrefix(s, op) {
			return op, len(op)
		}
	}
	return "", 0
}

// check refuses comparisons that cannot be: an order on a non-number.
func (c comparison) check() error {
	if c.op != "=" && c.op != "!=" && !c.lit.isNum {
		return invalid("'%s %s' compares with a value that is not a number", c.op, c.lit.text)
	}
	return nil
}

// matchText tests a string against the literal: a regular expression,
// or text with * as a wildcard at its start or end (elsewhere it is a
// plain character, as AWS documents: Ev*ent matches only "Ev*ent").
func (l literal) matchText(s string) bool {
	if l.re != nil {
		return l.re.MatchString(s)
	}
	core, prefix := strings.CutPrefix(l.text, "*")
	core, suffix := strings.CutSuffix(core, "*")
	switch {
	case l.text == "*":
		return true
	case prefix && suffix:
		return strings.Contains(s, core)
	case prefix:
		return strings.HasSuffix(s, core)
	case suffix:
		return strings.HasPrefix(s, core)
	}
	return s == l.text
}

// onText applies the comparison to a textual value.
func (c comparison) onText(s string) bool {
	switch c.op {
	case "=":
		return c.lit.matchText(s)
	case "!=":
		return !c.lit.matchText(s)
	}
	return false
}

// onNumber applies the comparison to a number, whose text is text.
func (c comparison) onNumber(f float64, text string) bool {
	if !c.lit.isNum {
		return c.onText(text)
	}
	switch c.op {
	case "=":
		return f == c.lit.num
	case "!=":
		return f != c.lit.num
	case "<":
		return f < c.lit.num
	case ">":
		return f > c.lit.num
	case "<=":
		return f <= c.lit.num
	case ">=":
		return f >= c.lit.num
	}
	return false
}
