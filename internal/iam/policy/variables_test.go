package policy

import "testing"

func TestVariablesInResource(t *testing.T) {
	bob := Principal{ARN: "arn:aws:iam::111122223333:user/bob", Account: "111122223333", UserID: "AIDABOB", Username: "bob", Tags: map[string]string{"department": "hr"}}
	session := Principal{ARN: "arn:aws:sts::111122223333:assumed-role/r/s", Account: "111122223333", UserID: "AROAR:s", RoleARN: "arn:aws:iam::111122223333:role/r"}
	tests := []struct {
		name     string
		version  string
		resource string
		p        Principal
		ctx      map[string][]string
		target   string
		want     Decision
	}{
		{"username", "2012-10-17", "arn:aws:iam::111122223333:user/${aws:username}", bob, nil, "arn:aws:iam::111122223333:user/bob", Allow},
		{"username, other user", "2012-10-17", "arn:aws:iam::111122223333:user/${aws:username}", bob, nil, "arn:aws:iam::111122223333:user/alice", NotApplicable},
		{"username with wildcard after", "2012-10-17", "arn:aws:s3:::bucket/home/${aws:username}/*", bob, nil, "arn:aws:s3:::bucket/home/bob/x/y", Allow},
		{"unresolved variable matches nothing", "2012-10-17", "arn:aws:iam::111122223333:user/${aws:username}", session, nil, "arn:aws:iam::111122223333:user/", NotApplicable},
		{"default value", "2012-10-17", "arn:aws:s3:::bucket/${aws:username, 'anonymous'}", session, nil, "arn:aws:s3:::bucket/anonymous", Allow},
		{"default not used when set", "2012-10-17", "arn:aws:s3:::bucket/${aws:username, 'anonymous'}", bob, nil, "arn:aws:s3:::bucket/anonymous", NotApplicable},
		{"default with quote", "2012-10-17", "arn:aws:s3:::bucket/${aws:username, 'o''brien'}", session, nil, "arn:aws:s3:::bucket/o'brien", Allow},
		{"principal tag", "2012-10-17", "arn:aws:s3:::bucket/${aws:PrincipalTag/department}", bob, nil, "arn:aws:s3:::bucket/hr", Allow},
		{"principal account", "2012-10-17", "arn:aws:eks:*:${aws:PrincipalAccount}:cluster/*", bob, nil, "arn:aws:eks:us-east-1:111122223333:cluster/c", Allow},
		{"principal account, other account", "2012-10-17", "arn:aws:eks:*:${aws:PrincipalAccount}:cluster/*", bob, nil, "arn:aws:eks:us-east-1:444455556666:cluster/c", NotApplicable},
		{"userid", "2012-10-17", "arn:aws:s3:::bucket/${aws:userid}/*", session, nil, "arn:aws:s3:::bucket/AROAR:s/k", Allow},
		{"context key", "2012-10-17", "arn:aws:ecr:us-east-1:111122223333:repository/${ecr:RepoPrefix}-*", bob, ctx("ecr:RepoPrefix", "team"), "arn:aws:ecr:us-east-1:111122223333:repository/team-app", Allow},
		{"key name ignores case", "2012-10-17", "arn:aws:iam::111122223333:user/${AWS:UserName}", bob, nil, "arn:aws:iam::111122223333:user/bob", Allow},
		{"multi-valued key is no variable", "2012-10-17", "arn:aws:s3:::b/${k:list}", bob, ctx("k:list", "a", "k:list", "b"), "arn:aws:s3:::b/a", NotApplicable},
		{"value is literal, not a wildcard", "2012-10-17", "arn:aws:s3:::b/${k:v}", bob, ctx("k:v", "*"), "arn:aws:s3:::b/anything", NotApplicable},
		{"value is literal, exact", "2012-10-17", "arn:aws:s3:::b/${k:v}", bob, ctx("k:v", "*"), "arn:aws:s3:::b/*", Allow},
		{"${*} is a literal star", "2012-10-17", "arn:aws:s3:::b/a${*}b", bob, nil, "arn:aws:s3:::b/a*b", Allow},
		{"${*} does not match others", "2012-10-17", "arn:aws:s3:::b/a${*}b", bob, nil, "arn:aws:s3:::b/axb", NotApplicable},
		{"${?} and ${$}", "2012-10-17", "arn:aws:s3:::b/${?}${$}", bob, nil, "arn:aws:s3:::b/?$", Allow},
		{"old version keeps text", "2008-10-17", "arn:aws:iam::111122223333:user/${aws:username}", bob, nil, "arn:aws:iam::111122223333:user/${aws:username}", Allow},
		{"old version, no substitution", "2008-10-17", "arn:aws:iam::111122223333:user/${aws:username}", bob, nil, "arn:aws:iam::111122223333:user/bob", NotApplicable},
		{"no version, no substitution", "", "arn:aws:iam::111122223333:user/${aws:username}", bob, nil, "arn:aws:iam::111122223333:user/bob", NotApplicable},
		{"unclosed variable is text", "2012-10-17", "arn:aws:s3:::b/${aws:username", bob, nil, "arn:aws:s3:::b/${aws:username", Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			version := ""
			if tt.version != "" {
				version = `"Version":"` + tt.version + `",`
			}
			doc := `{` + version + `"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"` + tt.resource + `"}}`
			d := mustParse(t, doc, Identity)
			r := &Request{Principal: tt.p, Action: "s3:GetObject", Resource: tt.target, Context: tt.ctx}
			if got := d.Evaluate(r); got != tt.want {
				t.Errorf("%s against %s = %v, want %v", tt.resource, tt.target, got, tt.want)
			}
		})
	}
}

func TestVariablesInConditions(t *testing.T) {
	bob := Principal{ARN: "arn:aws:iam::111122223333:user/bob", Account: "111122223333", Username: "bob", Tags: map[string]string{"team": "blue"}}
	session := Principal{ARN: "arn:aws:sts::111122223333:assumed-role/r/s", Account: "111122223333", RoleARN: "arn:aws:iam::111122223333:role/r"}
	tests := []struct {
		name  string
		p     Principal
		block string
		ctx   map[string][]string
		want  bool
	}{
		{"string like", bob, `{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}`, ctx("s3:prefix", "home/bob/docs"), true},
		{"string like, other home", bob, `{"StringLike":{"s3:prefix":["home/${aws:username}/*"]}}`, ctx("s3:prefix", "home/alice/docs"), false},
		{"tag against tag", bob, `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`, ctx("aws:ResourceTag/team", "blue"), true},
		{"tag against tag, differ", bob, `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`, ctx("aws:ResourceTag/team", "red"), false},
		{"unresolved, positive", session, `{"StringEquals":{"k:owner":"${aws:username}"}}`, ctx("k:owner", ""), false},
		{"unresolved among others", session, `{"StringEquals":{"k:owner":["${aws:username}","x"]}}`, ctx("k:owner", "x"), true},
		// A negated match against a value that cannot be worked out does
		// not hold: the statement cannot apply.
		{"unresolved, negated", session, `{"StringNotEquals":{"k:owner":"${aws:username}"}}`, ctx("k:owner", "alice"), false},
		{"resolved, negated", bob, `{"StringNotEquals":{"k:owner":"${aws:username}"}}`, ctx("k:owner", "alice"), true},
		{"default", session, `{"StringEquals":{"k:owner":"${aws:username, 'nobody'}"}}`, ctx("k:owner", "nobody"), true},
		{"ignore case", bob, `{"StringEqualsIgnoreCase":{"k:owner":"${aws:username}"}}`, ctx("k:owner", "BOB"), true},
		{"arn like", bob, `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:${aws:PrincipalAccount}:*"}}`, ctx("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:t"), true},
		{"bool", bob, `{"Bool":{"k:flag":"${k:expected}"}}`, ctx("k:flag", "true", "k:expected", "TRUE"), true},
		{"numeric takes no variables", bob, `{"NumericEquals":{"k:n":"${k:m}"}}`, ctx("k:n", "1", "k:m", "1"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := conditionHolds(t, tt.block, &Request{Principal: tt.p, Context: tt.ctx}); got != tt.want {
				t.Errorf("%s = %v, want %v", tt.block, got, tt.want)
			}
		})
	}
}

func TestParseVariable(t *testing.T) {
	tests := []struct {
		in     string
		kind   atomKind
		key    string
		def    string
		hasDef bool
		n      int
		ok     bool
	}{
		{"${aws:username}", atomVariable, "aws:username", "", false, 15, true},
		{"${ aws:username }x", atomVariable, "aws:username", "", false, 17, true},
		{"${aws:username, 'anon'}", atomVariable, "aws:username", "anon", true, 23, true},
		{"${aws:username,'a}b'}rest", atomVariable, "aws:username", "a}b", true, 21, true},
		{"${*}", atomLiteral, "*", "", false, 4, true},
		{"${?}", atomLiteral, "?", "", false, 4, true},
		{"${$}", atomLiteral, "$", "", false, 4, true},
		{"${aws:username", 0, "", "", false, 0, false},
		{"${}", atomVariable, "", "", false, 3, true},
		{"${a b}", atomVariable, "", "", false, 6, true},
		{"${k, nodefault}", atomVariable, "", "", false, 15, true},
	}
	for _, tt := range tests {
		v, n, ok := parseVariable(tt.in)
		if ok != tt.ok || n != tt.n || (ok && (v.kind != tt.kind || v.text != tt.key || v.def != tt.def || v.hasDef != tt.hasDef)) {
			t.Errorf("parseVariable(%q) = %+v, %d, %v", tt.in, v, n, ok)
		}
	}
}
