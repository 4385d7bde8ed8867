package ec2api

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestWildcard(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "anything", true},
		{"?", "", false},
		{"?", "é", true}, // ? is one character, not one byte
		{"us-east-1*", "us-east-1a", true},
		{"us-east-1*", "us-west-2a", false},
		{"10.7?.0.0/16", "10.77.0.0/16", true},
		{"10.7?.0.0/16", "10.7.0.0/16", false},
		{"*-private-*", "keks-default-private-us-east-1a", true},
		{"a*b*c", "abc", true},
		{"a*b*c", "acb", false},
		{"a**c", "ac", true},
		{"*a", "bbb", false},
		{`\*`, "*", true},
		{`\*`, "x", false},
		{`\?x`, "?x", true},
		{`a\\`, `a\`, true},
		{`trailing\`, `trailing\`, true},
		{strings.Repeat("?", 70), strings.Repeat("x", 70), true}, // states span two words
		{strings.Repeat("?", 70), strings.Repeat("x", 69), false},
		{strings.Repeat("a", 64) + "*b", strings.Repeat("a", 64) + "xxb", true},
	} {
		if got := wildcard(tc.pattern, tc.s); got != tc.want {
			t.Errorf("wildcard(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

// TestWildcardIsLinear matches the patterns that make a backtracking
// matcher take exponential time: it must answer at once.
func TestWildcardIsLinear(t *testing.T) {
	s := strings.Repeat("a", 100_000)
	for _, pattern := range []string{
		strings.Repeat("a*", 50) + "b",
		strings.Repeat("*a", 50) + "*b",
		strings.Repeat("?*", 100) + "b",
	} {
		start := time.Now()
		if wildcard(pattern, s) {
			t.Fatalf("%q matched a string without b", pattern)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%q took %v on %d characters", pattern, d, len(s))
		}
	}
}

// FuzzWildcard holds the matcher to RE2 (linear too, but compiled per
// pattern, which is why keks does not use it per value).
func FuzzWildcard(f *testing.F) {
	for _, seed := range [][2]string{{"a*b?c", "axxbyc"}, {`\**`, "*x"}, {"*", ""}, {"?é*", "xé"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		var re strings.Builder
		re.WriteString(`^(?s:`)
		escaped := false
		for _, r := range pattern {
			switch {
			case escaped:
				re.WriteString(regexp.QuoteMeta(string(r)))
				escaped = false
			case r == '\\':
				escaped = true
			case r == '*':
				re.WriteString(`.*`)
			case r == '?':
				re.WriteString(`.`)
			default:
				re.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		if escaped {
			re.WriteString(`\\`)
		}
		re.WriteString(`)$`)
		want := regexp.MustCompile(re.String()).MatchString(s)
		if got := wildcard(pattern, s); got != want {
			t.Fatalf("wildcard(%q, %q) = %v, RE2 says %v", pattern, s, got, want)
		}
	})
}
