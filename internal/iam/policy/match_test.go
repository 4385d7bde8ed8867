package policy

import (
	"strings"
	"testing"
	"time"
)

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		fold       bool
		want       bool
	}{
		{"*", "", false, true},
		{"*", "anything", false, true},
		{"", "", false, true},
		{"", "a", false, false},
		{"abc", "abc", false, true},
		{"abc", "abd", false, false},
		{"abc", "ABC", false, false},
		{"abc", "ABC", true, true},
		{"a*", "a", false, true},
		{"a*", "abc", false, true},
		{"a*", "ba", false, false},
		{"*c", "abc", false, true},
		{"*c", "abcd", false, false},
		{"a*c", "ac", false, true},
		{"a*c", "abbbc", false, true},
		{"a*c", "abbbd", false, false},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"a?c", "abbc", false, false},
		{"a?c", "aéc", false, true}, // '?' is one character, not one byte
		{"??", "é", false, false},
		{"*?", "", false, false},
		{"*?", "x", false, true},
		{"a*b*c", "abc", false, true},
		{"a*b*c", "aXbYc", false, true},
		{"a*b*c", "aXcYb", false, false},
		{"a*b?d*e", "abxdzzze", false, true},
		{"a*b?d*e", "abxxdzzze", false, false},
		{"a*bb*bba", "abbba", false, false}, // prefix, middle and suffix must not overlap
		{"a*bb*bba", "abbbba", false, true},
		{"a*bb*ba", "abbba", false, true},
		{"*ab*ab*", "abab", false, true},
		{"*ab*ab*", "aba", false, false},
		{"iam:*accesskey*", "iam:CreateAccessKey", true, true},
		{"iam:*accesskey*", "iam:CreateUser", true, false},
		{"eks:describe*", "EKS:DescribeCluster", true, true},
		{"s3:get?bject", "s3:GetObject", true, true},
	}
	for _, tt := range tests {
		p := compilePattern(tt.pattern, true, false)
		if tt.fold {
			p = p.lower()
		}
		got, ok := p.match(tt.s, tt.fold, &Request{})
		if got != tt.want || !ok {
			t.Errorf("match(%q, %q, fold=%v) = %v, %v; want %v", tt.pattern, tt.s, tt.fold, got, ok, tt.want)
		}
	}
}

// The matcher places each run between stars once, without backtracking,
// so patterns built to make backtracking matchers explode stay linear.
func TestWildcardMatchIsLinear(t *testing.T) {
	s := strings.Repeat("a", 100000)
	patterns := []string{
		strings.Repeat("a*", 500) + "b",
		strings.Repeat("*a", 500) + "*b",
		strings.Repeat("a*", 500) + "?b",
		strings.Repeat("*aa?", 300) + "*ab",
	}
	for _, pat := range patterns {
		p := compilePattern(pat, true, false)
		start := time.Now()
		for _, fold := range []bool{false, true} {
			if got, _ := p.match(s, fold, &Request{}); got {
				t.Errorf("pattern %.20q... matched", pat)
			}
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("pattern %.20q... took %v", pat, d)
		}
	}
	// Runs between stars that only fit at the very end make the matcher
	// scan the whole string, once.
	tail := strings.Repeat("a", 100000) + "b"
	for _, pat := range []string{
		strings.Repeat("*ab", 300) + "*b",
		"*" + strings.Repeat("a?a*", 300) + "ab*b",
		strings.Repeat("*aaaaaaaaab", 50) + "*",
	} {
		p := compilePattern(pat, true, false)
		start := time.Now()
		for _, fold := range []bool{false, true} {
			if got, _ := p.match(tail, fold, &Request{}); got {
				t.Errorf("pattern %.20q... matched", pat)
			}
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("pattern %.20q... took %v", pat, d)
		}
	}
	// And a match that needs every star.
	p := compilePattern(strings.Repeat("a*", 500)+"a", true, false)
	if got, _ := p.match(s, false, &Request{}); !got {
		t.Error("a*a*...a did not match a long run of a")
	}
}

func TestARNMatch(t *testing.T) {
	tests := []struct {
		pattern, arn string
		want         bool
	}{
		{"*", "arn:aws:eks:us-east-1:111122223333:cluster/prod", true},
		{"*", "*", true},
		{"arn:aws:eks:us-east-1:111122223333:cluster/prod", "arn:aws:eks:us-east-1:111122223333:cluster/prod", true},
		{"arn:aws:eks:us-east-1:111122223333:cluster/prod", "arn:aws:eks:us-east-1:111122223333:cluster/Prod", false},
		{"arn:aws:eks:*:111122223333:cluster/*", "arn:aws:eks:us-east-1:111122223333:cluster/prod", true},
		{"arn:aws:eks:*:111122223333:cluster/*", "arn:aws:eks:us-east-1:444455556666:cluster/prod", false},
		{"arn:aws:eks:*:*:cluster/*", "arn:aws:eks:eu-west-1:444455556666:cluster/x", true},
		{"arn:aws:eks:*:*:cluster/*", "arn:aws:eks:eu-west-1:444455556666:nodegroup/x/y/z", false},
		{"arn:aws:eks:*:*:*", "arn:aws:eks:eu-west-1:444455556666:nodegroup/x/y/z", true},
		// A '*' does not leave its segment: the docs' ArnLike example.
		{"arn:aws:someservice:*:111122223333:finance/*", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt", false},
		// The resource segment keeps its own colons.
		{"arn:aws:logs:us-east-1:111122223333:log-group:app:*", "arn:aws:logs:us-east-1:111122223333:log-group:app:log-stream:x", true},
		{"arn:aws:logs:us-east-1:111122223333:log-group:*", "arn:aws:logs:us-east-1:111122223333:log-group:app:log-stream:x", true},
		// A '*' that ends the pattern's last segment runs past colons.
		{"arn:aws:s3:*", "arn:aws:s3:::bucket/key", true},
		{"arn:aws:*", "arn:aws:iam::111122223333:user/bob", true},
		{"arn:aws:s3", "arn:aws:s3:::bucket", false},
		{"arn:aws:s3:::bucket", "arn:aws:s3:::bucket", true},
		{"arn:aws:s3:::bucket", "arn:aws:s3:::bucket2", false},
		{"arn:aws:s3:::bucket*", "arn:aws:s3:::bucket2/key:with:colons", true},
		{"arn:aws:iam::111122223333:user/*", "*", false},
		{"arn:aws:iam::111122223333:user/*", "arn:aws:iam::111122223333", false},
		{"arn:aws:iam::111122223333:user/?ob", "arn:aws:iam::111122223333:user/bob", true},
		{"arn:aws:iam::111122223333:user/?ob", "arn:aws:iam::111122223333:user/bbob", false},
	}
	for _, tt := range tests {
		p := compileARNPattern(tt.pattern, true)
		got, ok := p.match(tt.arn, &Request{})
		if got != tt.want || !ok {
			t.Errorf("ARN %q ~ %q = %v, %v; want %v", tt.pattern, tt.arn, got, ok, tt.want)
		}
	}
}
