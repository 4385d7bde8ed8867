package filterpattern

import (
	"strings"
	"testing"
)

// The examples are AWS's, from "Filter pattern syntax for metric filters,
// subscription filters, filter log events, and Live Tail".
func TestUnstructuredTerms(t *testing.T) {
	events := []string{
		"[ERROR] A fatal exception has occurred",
		"Exiting with ERRORCODE: -1",
		"[WARN] Failed to process the request",
		"[ERROR] Unable to continue: Failed to process the request",
		"ERROR WARN message",
		"ERROR message",
		"WARN message",
		"[INFO] all good",
	}
	for _, tc := range []struct {
		pattern string
		want    []int // indexes of events that match
	}{
		{"", []int{0, 1, 2, 3, 4, 5, 6, 7}},
		{`" "`, []int{0, 1, 2, 3, 4, 5, 6, 7}},
		{"ERROR", []int{0, 1, 3, 4, 5}},
		{`"ERROR" - "Exiting"`, []int{0, 3, 4, 5}},
		{"ERROR -Exiting", []int{0, 3, 4, 5}},
		{"Failed to process the request", []int{2, 3}},
		{`"Failed to process the request"`, []int{2, 3}},
		{"?ERROR ?WARN", []int{0, 1, 2, 3, 4, 5, 6}},
		{"ERROR WARN", []int{4}},
		{"ERROR -WARN", []int{0, 1, 3, 5}},
		{"-ERROR", []int{2, 6, 7}},
		{"error", nil}, // case-sensitive
		{`"[INFO]"`, []int{7}},
		{`%ERROR|WARN%`, []int{0, 1, 2, 3, 4, 5, 6}},
		{`%^WARN%`, []int{6}},
	} {
		p, err := Parse(tc.pattern)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.pattern, err)
			continue
		}
		if got := matching(p, events); !equal(got, tc.want) {
			t.Errorf("%q matches %v, want %v", tc.pattern, got, tc.want)
		}
	}
}

// AWS's JSON example event and the filters its documentation says match
// (or do not).
const jsonEvent = `{
  "eventType": "UpdateTrail",
  "sourceIPAddress": "111.111.111.111",
  "arrayKey": ["value", "another value"],
  "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
  "SomeObject": null,
  "ThisFlag": true,
  "latency": 512,
  "user": {"id": 1, "email": "John.Stiles@example.com"},
  "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}],
  "actions": ["GET", "PUT", "DELETE"],
  "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]]
}`

func TestJSONPatterns(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    bool
	}{
		{`{ $.eventType = "UpdateTrail" }`, true},
		{`{ $.eventType = UpdateTrail }`, true},
		{`{ $.eventType = "updatetrail" }`, false},
		{`{ $.eventType = Update* }`, true},
		{`{ $.eventType = *Trail }`, true},
		{`{ $.eventType = *date* }`, true},
		{`{ $.eventType = Up*Trail }`, false}, // * inside is a plain character
		{`{ $.sourceIPAddress != 123.123.* }`, true},
		{`{ $.sourceIPAddress != 111.111.* }`, false},
		{`{ $.arrayKey[0] = "value" }`, true},
		{`{ $.arrayKey[1] = "value" }`, false},
		{`{ $.objectList[1].id = 2 }`, true},
		{`{ $.objectList[5].id = 2 }`, false},
		{`{ $.SomeObject IS NULL }`, true},
		{`{ $.ThisFlag IS NULL }`, false},
		{`{ $.SomeOtherObject NOT EXISTS }`, true},
		{`{ $.SomeObject NOT EXISTS }`, false},
		{`{ $.SomeObject EXISTS }`, true},
		{`{ $.ThisFlag IS TRUE }`, true},
		{`{ $.ThisFlag IS FALSE }`, false},
		{`{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }`, true},
		{`{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }`, false},
		{`{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }`, true},
		{`{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }`, false},
		{`{ $.coordinates[1][2] = 6 }`, true},
		{`{ $.users = 1 }`, false}, // an array is no value
		{`{ $.users != 1 }`, false},
		{`{ $.missing != 1 }`, false},
		{`{ $.latency >= 500 }`, true},
		{`{ $.latency > +1000 }`, false},
		{`{ $.latency < 10e3 }`, true},
		{`{ $.latency <= 55.5 }`, false},
		{`{ $.latency = 512 }`, true},
		{`{ $.latency != 500 }`, true},
		{`{ $.latency = * }`, true},
		{`{ $.eventType = %^Upd.*il$% }`, true},
		{`{$.eventType="UpdateTrail"&&$.ThisFlag IS TRUE}`, true},
	} {
		p, err := Parse(tc.pattern)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.pattern, err)
			continue
		}
		if got := p.Match(jsonEvent); got != tc.want {
			t.Errorf("%s on AWS's example: %v, want %v", tc.pattern, got, tc.want)
		}
	}
	p, _ := Parse(`{ $.eventType = "UpdateTrail" }`)
	for _, msg := range []string{"not json", `"UpdateTrail"`, `{"eventType": "UpdateTrail"`, ""} {
		if p.Match(msg) {
			t.Errorf("a JSON pattern matched %q", msg)
		}
	}
}

func TestSpaceDelimitedPatterns(t *testing.T) {
	events := []string{
		`127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534`,
		`127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324`,
		`127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /index.html HTTP/1.0" 404 4355`,
		`ERROR WARN message`,
		`ERROR message`,
		`WARN message`,
	}
	for _, tc := range []struct {
		pattern string
		want    []int
	}{
		{`[ip, user, username, timestamp, request, status_code, bytes]`, []int{0, 1, 2}},
		{`[ip, user, username, timestamp, request, status_code, bytes > 1000]`, []int{0, 1, 2}},
		{`[ip, user, username, timestamp, request, status_code = 200, bytes]`, []int{0}},
		{`[ip, user, username, timestamp, request, status_code = 4*, bytes]`, []int{2}},
		{`[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]`, []int{2}},
		{`[ip, user, username, timestamp, request, status_code = 5* && bytes > 1000]`, nil}, // one slot, one field: 7 fields do not fit 6 slots
		{`[ip, user, username, timestamp, request, status_code != 200 && status_code != 404, bytes]`, []int{1}},
		{`[..., status_code, bytes]`, []int{0, 1, 2, 3, 4, 5}},
		{`[..., status_code = 500, bytes]`, []int{1}},
		{`[ip, user, ...]`, []int{0, 1, 2, 3, 4, 5}},
		{`[ip = 127.0.0.1, ..., bytes > 5000]`, []int{1}},
		{`[..., request=*.html*, status_code=4*,]`, []int{2}},
		{`[w1=ERROR, w2]`, []int{4}},
		{`[w1=ERROR || w1=WARN, w2]`, []int{4, 5}},
		{`[w1=ERROR, ...]`, []int{3, 4}},
		{`[..., w = message, ...]`, []int{3, 4, 5}},
		{`[a, ..., b, ..., c]`, []int{0, 1, 2, 3}},
		{`[w1=%^E.R%, ...]`, []int{3, 4}},
	} {
		p, err := Parse(tc.pattern)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.pattern, err)
			continue
		}
		if got := matching(p, events); !equal(got, tc.want) {
			t.Errorf("%q matches %v, want %v", tc.pattern, got, tc.want)
		}
	}
}

func TestInvalidPatterns(t *testing.T) {
	for _, tc := range []struct{ pattern, msg string }{
		{`email@domain.com`, "Invalid filter pattern: Invalid character(s) in term 'email@domain.com'"},
		{`""`, `Invalid character(s) in term '""'`},
		{`"unterminated`, "Unterminated quote"},
		{`{ $.a = 1`, "If a filter pattern starts with '{' it must end with '}'"},
		{`[a, b`, "If a filter pattern starts with '[' it must end with ']'"},
		{`{ a = 1 }`, "must start with '$'"},
		{`{ $.a = }`, "no value"},
		{`{ $.a > abc }`, "not a number"},
		{`{ $.a ~ 1 }`, "expected a comparison"},
		{`{ ($.a = 1 }`, "missing ')'"},
		{`{ $.a = 1 ) }`, "unexpected"},
		{`{ $.a IS MAYBE }`, "IS must be followed"},
		{`{ $ = 1 }`, "selects no property"},
		{`{ $.a[x] = 1 }`, "array index"},
		{`{ $.a = b@c }`, "Invalid character(s)"},
		{`%(a)%`, "regular expression"},
		{`%a[%`, "regular expression"},
		{`[a = ]`, "no value"},
		{`[a > x]`, "not a number"},
		{`[a = 1 b]`, "unexpected"},
		{`?`, "Invalid character(s) in term '?'"},
		{strings.Repeat("a", MaxLength+1), "longer than"},
	} {
		_, err := Parse(tc.pattern)
		if err == nil || !IsInvalid(err) || !strings.HasPrefix(err.Error(), "Invalid filter pattern") || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Parse(%q): %v, want an invalid pattern saying %q", tc.pattern, err, tc.msg)
		}
	}
}

func matching(p *Pattern, events []string) []int {
	var out []int
	for i, e := range events {
		if p.Match(e) {
			out = append(out, i)
		}
	}
	return out
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"ERROR ?WARN -DEBUG", `{ $.a.b[0] = "x*" && ($.c > 1 || $.d NOT EXISTS) }`, `[ip, ..., status = 4* && status != 403, bytes > 10]`, `%a|b%`, `" "`} {
		f.Add(s, `{"a":{"b":["xy"]},"c":2} ERROR 1.2.3.4 - 404 11`)
	}
	f.Fuzz(func(t *testing.T, pattern, msg string) {
		p, err := Parse(pattern)
		if err != nil {
			if !IsInvalid(err) {
				t.Fatalf("Parse(%q): an error that is not an invalid pattern: %v", pattern, err)
			}
			return
		}
		p.Match(msg)
	})
}
