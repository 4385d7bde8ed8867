// Package filterpattern is CloudWatch Logs' filter pattern language, as
// FilterLogEvents (and so `aws logs tail --filter-pattern`) reads it:
//
//   - terms in unstructured text: `ERROR Exception` (all of them), `?ERROR
//     ?WARN` (any of them), `ERROR -DEBUG` (not that one), "exact phrases"
//     in double quotes; case-sensitive substring matches; an empty pattern
//     or `" "` matches everything;
//   - JSON patterns: `{ $.eventType = "UpdateTrail" }`, `{ $.a.b != x* }`,
//     `{ $.latency >= 500 }`, `{ $.list[0].id = 2 }`, `IS NULL`, `IS TRUE`,
//     `IS FALSE`, `EXISTS`, `NOT EXISTS`, combined with && and || and
//     parentheses; `*` is a wildcard in string values;
//   - space-delimited patterns: `[ip, user, ..., status = 4* && status !=
//     403, bytes > 1000]`, fields split on spaces with [...] and "..."
//     kept whole;
//   - regular expressions between percent signs: `%ERROR|WARN%`, alone or
//     as a value in JSON and space-delimited patterns.
//
// A pattern CloudWatch would refuse is an error whose text follows AWS's
// "Invalid filter pattern" messages.
package filterpattern

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Pattern matches log event messages.
type Pattern struct {
	match func(message string) bool
}

// Match reports whether message matches the pattern.
func (p *Pattern) Match(message string) bool { return p.match(message) }

// MaxLength is FilterLogEvents' limit on a pattern.
const MaxLength = 1024

// Error is a pattern CloudWatch would refuse.
type Error struct{ Detail string }

func (e *Error) Error() string {
	if e.Detail == "" {
		return "Invalid filter pattern"
	}
	return "Invalid filter pattern: " + e.Detail
}

func invalid(format string, args ...any) error { return &Error{Detail: fmt.Sprintf(format, args...)} }

// IsInvalid reports whether err is a refused pattern.
func IsInvalid(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// Parse reads a filter pattern.
func Parse(pattern string) (*Pattern, error) {
	if len(pattern) > MaxLength {
		return nil, invalid("the pattern is longer than %d characters", MaxLength)
	}
	s := strings.TrimSpace(pattern)
	switch {
	case s == "":
		return &Pattern{match: func(string) bool { return true }}, nil
	case strings.HasPrefix(s, "{"):
		if !strings.HasSuffix(s, "}") {
			return nil, &Error{Detail: "If a filter pattern starts with '{' it must end with '}'"}
		}
		return parseJSON(s[1 : len(s)-1])
	case strings.HasPrefix(s, "["):
		if !strings.HasSuffix(s, "]") {
			return nil, &Error{Detail: "If a filter pattern starts with '[' it must end with ']'"}
		}
		return parseDelimited(s[1 : len(s)-1])
	case len(s) >= 2 && strings.HasPrefix(s, "%") && strings.HasSuffix(s, "%"):
		re, err := compileRegex(s)
		if err != nil {
			return nil, err
		}
		return &Pattern{match: re.MatchString}, nil
	}
	return parseTerms(s)
}

// regexChars are what CloudWatch allows in a regular expression besides
// letters and digits: its symbols and operators; not parentheses.
const regexChars = "_#=@/;,-^$?[]{}|\\*+. :"

// compileRegex compiles %regex%.
func compileRegex(s string) (*regexp.Regexp, error) {
	body := s[1 : len(s)-1]
	if body == "" {
		return nil, invalid("empty regular expression %q", s)
	}
	for _, r := range body {
		if !(r < 0x80 && (isWordRune(r) || strings.ContainsRune(regexChars, r))) {
			return nil, invalid("Invalid character(s) in regular expression '%s'", s)
		}
	}
	re, err := regexp.Compile(body)
	if err != nil {
		return nil, invalid("Invalid regular expression '%s'", s)
	}
	return re, nil
}

func isWordRune(r rune) bool {
	return r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')
}
