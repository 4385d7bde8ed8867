package filterpattern

import (
	"strings"
	"unicode"
)

// term is one word or "phrase" of an unstructured pattern.
type term struct {
	text string
	kind byte // 0: required, '?': one of the optional ones, '-': excluded
}

// parseTerms reads an unstructured pattern: whitespace-separated terms,
// each a word of letters, digits and underscores or a "quoted phrase",
// optionally marked ? (any of these) or - (none of these).
func parseTerms(s string) (*Pattern, error) {
	var terms []term
	for i := 0; i < len(s); {
		if isBlank(s[i]) {
			i++
			continue
		}
		var kind byte
		if s[i] == '?' || s[i] == '-' {
			kind = s[i]
			i++
			// "ERROR - Exiting" excludes Exiting, as AWS's own example has it.
			for i < len(s) && s[i] == ' ' && kind == '-' {
				i++
			}
			if i == len(s) {
				return nil, invalid("Invalid character(s) in term '%c'", kind)
			}
		}
		var text string
		if s[i] == '"' {
			phrase, n, err := quoted(s[i:])
			if err != nil {
				return nil, err
			}
			if phrase == "" {
				return nil, invalid("Invalid character(s) in term '\"\"'")
			}
			text, i = phrase, i+n
		} else {
			end := i
			for end < len(s) && !isBlank(s[end]) {
				end++
			}
			text = s[i:end]
			for _, r := range text {
				if !(r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
					return nil, invalid("Invalid character(s) in term '%s'", text)
				}
			}
			i = end
		}
		terms = append(terms, term{text: text, kind: kind})
	}
	return &Pattern{match: func(msg string) bool { return matchTerms(terms, msg) }}, nil
}

// quoted reads a double-quoted string at the start of s (\" and \\ are
// escapes): its text and how many bytes it took.
func quoted(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
				b.WriteByte(s[i+1])
				i++
				continue
			}
			b.WriteByte('\\')
		case '"':
			return b.String(), i + 1, nil
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, invalid("Unterminated quote in '%s'", s)
}

// matchTerms: every required term, none of the excluded ones, and one of
// the optional ones if there are any. A phrase of blanks (" ") is
// CloudWatch's way to match every event.
func matchTerms(terms []term, msg string) bool {
	optional, anyOptional := false, false
	for _, t := range terms {
		found := strings.TrimSpace(t.text) == "" || strings.Contains(msg, t.text)
		switch t.kind {
		case '-':
			if found && strings.TrimSpace(t.text) != "" {
				return false
			}
		case '?':
			anyOptional = true
			optional = optional || found
		default:
			if !found {
				return false
			}
		}
	}
	return !anyOptional || optional
}

// isBlank is ASCII whitespace: a byte of a multi-byte character never is.
func isBlank(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }
