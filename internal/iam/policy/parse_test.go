package policy

import (
	"errors"
	"testing"
)

func mustParse(t testing.TB, doc string, kind Kind) *Document {
	t.Helper()
	d, err := Parse(doc, kind)
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return d
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		doc  string
	}{
		{"statement object", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`},
		{"statement list", Identity, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks:*"],"Resource":["*"]}]}`},
		{"old version", Identity, `{"Version":"2008-10-17","Statement":[{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:iam::111122223333:user/*"}]}`},
		{"no version", Identity, `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`},
		{"id and sids", Identity, `{"Version":"2012-10-17","Id":"p1","Statement":[{"Sid":"A1","Effect":"Allow","Action":"ec2:Describe*","Resource":"*"},{"Sid":"A2","Effect":"Allow","Action":"ec2:Run*","Resource":"*"},{"Sid":"","Effect":"Allow","Action":"ecr:*","Resource":"*"},{"Sid":"","Effect":"Allow","Action":"ecr:*","Resource":"*"}]}`},
		{"conditions of every type", Identity, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
			"StringEquals":{"aws:RequestTag/team":["a","b"]},
			"ForAllValues:StringLike":{"aws:TagKeys":"team*"},
			"NumericLessThanEquals":{"s3:max-keys":10},
			"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z","aws:EpochTime":1577836800},
			"Bool":{"aws:SecureTransport":true},
			"BinaryEquals":{"k":"QmluYXJ5"},
			"IpAddressIfExists":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]},
			"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111122223333:*"},
			"Null":{"aws:TokenIssueTime":"true"},
			"ForAnyValue:StringNotEqualsIgnoreCaseIfExists":{"x:y":[]}
		}}]}`},
		{"empty condition", Identity, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}}]}`},
		{"iam resources", Identity, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":["arn:aws:iam::111122223333:role/*","arn:aws:iam::*:*","arn:aws:iam::aws:policy/x"]}]}`},
		{"trust policy", Resource, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
		{"trust policy strict", Trust, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:role/path/r","arn:aws:sts::111122223333:assumed-role/r/s","AROAEXAMPLEEXAMPLE12"]},"Action":["sts:AssumeRole","sts:TagSession"]}]}`},
		{"principal star", Resource, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage","Resource":"*"}]}`},
		{"federated", Trust, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.us-east-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:kube-system:x"}}}]}`},
		{"not principal", Resource, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/bob","111122223333"]},"Action":"*","Resource":"*"}]}`},
		{"canonical user", Resource, `{"Statement":[{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:*","Resource":"*"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustParse(t, tt.doc, tt.kind)
		})
	}
}

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		doc  string
		want string
	}{
		{"not json", Identity, `{"Version":`, "Syntax errors in policy."},
		{"not json trust", Resource, `{nope`, "This policy contains invalid Json"},
		{"trailing data", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}} x`, "Syntax errors in policy."},
		{"array document", Identity, `[]`, "Syntax errors in policy."},
		{"unknown top element", Identity, `{"Foo":1,"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "Syntax errors in policy."},
		{"unknown top element trust", Resource, `{"Foo":1,"Statement":{"Effect":"Allow","Principal":"*","Action":"*"}}`, "Unknown field Foo"},
		{"unknown statement element", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Foo":"x"}}`, "Syntax errors in policy."},
		{"unknown statement element trust", Trust, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Foo":"x"}}`, "Unknown field Foo"},
		{"element names are case-sensitive", Identity, `{"Statement":{"effect":"Allow","Action":"*","Resource":"*"}}`, "Syntax errors in policy."},
		{"bad version", Identity, `{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "Syntax errors in policy."},
		{"numeric version", Identity, `{"Version":2012,"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "Syntax errors in policy."},
		{"no statement", Identity, `{"Version":"2012-10-17"}`, "Syntax errors in policy."},
		{"no statement trust", Resource, `{"Version":"2012-10-17"}`, "Missing required field Statement"},
		{"empty statement list", Identity, `{"Statement":[]}`, "Syntax errors in policy."},
		{"statement not object", Identity, `{"Statement":["x"]}`, "Syntax errors in policy."},
		{"no effect", Identity, `{"Statement":{"Action":"*","Resource":"*"}}`, "Syntax errors in policy."},
		{"no effect trust", Resource, `{"Statement":{"Principal":"*","Action":"*"}}`, "Missing required field Effect"},
		{"bad effect", Identity, `{"Statement":{"Effect":"Permit","Action":"*","Resource":"*"}}`, "Syntax errors in policy."},
		{"effect case", Identity, `{"Statement":{"Effect":"allow","Action":"*","Resource":"*"}}`, "The policy failed legacy parsing"},
		{"action and notaction", Identity, `{"Statement":{"Effect":"Allow","Action":"*","NotAction":"*","Resource":"*"}}`, "Syntax errors in policy."},
		{"resource and notresource", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}}`, "Syntax errors in policy."},
		{"action object", Identity, `{"Statement":{"Effect":"Allow","Action":{"a":1},"Resource":"*"}}`, "Syntax errors in policy."},
		{"action list of numbers", Identity, `{"Statement":{"Effect":"Allow","Action":[1],"Resource":"*"}}`, "Syntax errors in policy."},
		{"sid not string", Identity, `{"Statement":{"Sid":1,"Effect":"Allow","Action":"*","Resource":"*"}}`, "Syntax errors in policy."},
		{"principal in identity policy", Identity, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`, "Policy document should not specify a principal."},
		{"notprincipal in identity policy", Identity, `{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"*","Resource":"*"}}`, "Policy document should not specify a principal."},
		{"no principal", Resource, `{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}`, "Missing required field Principal"},
		{"principal and notprincipal", Resource, `{"Statement":{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"*"}}`, "Syntax errors in policy."},
		{"empty principal", Trust, `{"Statement":{"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"}}`, "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"},
		{"principal string", Trust, `{"Statement":{"Effect":"Allow","Principal":"bob","Action":"sts:AssumeRole"}}`, `Invalid principal in policy: "bob"`},
		{"partial wildcard principal", Trust, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/*"},"Action":"sts:AssumeRole"}}`, `Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:role/*"`},
		{"group principal", Trust, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:group/admins"},"Action":"sts:AssumeRole"}}`, `Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:group/admins"`},
		{"short account", Trust, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"sts:AssumeRole"}}`, `Invalid principal in policy: "AWS":"12345"`},
		{"unknown principal type", Trust, `{"Statement":{"Effect":"Allow","Principal":{"Group":"x"},"Action":"sts:AssumeRole"}}`, `Invalid principal in policy: "Group":"x"`},
		{"wildcard service", Trust, `{"Statement":{"Effect":"Allow","Principal":{"Service":"*"},"Action":"sts:AssumeRole"}}`, `Invalid principal in policy: "Service":"*"`},
		{"empty resource list, resource policy", Resource, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":[]}}`, "Policy statement must contain resources."},
		{"trust with resource", Trust, `{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}}`, "Has prohibited field Resource"},
		{"trust with notresource", Trust, `{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","NotResource":"*"}}`, "Has prohibited field NotResource"},
		{"duplicate sid", Identity, `{"Statement":[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"*","Resource":"*"}]}`, "Statement IDs (SID) in a single policy must be unique."},
		{"sid characters", Identity, `{"Statement":{"Sid":"my sid","Effect":"Allow","Action":"*","Resource":"*"}}`, "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"},
		{"no action", Identity, `{"Statement":{"Effect":"Allow","Resource":"*"}}`, "Policy statement must contain actions."},
		{"empty action list", Identity, `{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`, "Policy statement must contain actions."},
		{"no action trust", Trust, `{"Statement":{"Effect":"Allow","Principal":"*"}}`, "Policy statement must contain actions."},
		{"no resource", Identity, `{"Statement":{"Effect":"Allow","Action":"*"}}`, "Policy statement must contain resources."},
		{"empty resource list", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":[]}}`, "Policy statement must contain resources."},
		{"actions checked before resources", Identity, `{"Statement":[{"Effect":"Allow","Action":"*"},{"Effect":"Allow","Resource":"*"}]}`, "Policy statement must contain actions."},
		{"action without vendor", Identity, `{"Statement":{"Effect":"Allow","Action":"DescribeCluster","Resource":"*"}}`, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
		{"action with two colons", Identity, `{"Statement":{"Effect":"Allow","Action":"eks:a:b","Resource":"*"}}`, "Actions/Condition can contain only one colon."},
		{"bad vendor", Identity, `{"Statement":{"Effect":"Allow","Action":"ek s:Describe","Resource":"*"}}`, "Vendor ek s is not valid"},
		{"wildcard vendor", Identity, `{"Statement":{"Effect":"Allow","Action":"e*:Describe","Resource":"*"}}`, "Vendor e* is not valid"},
		{"resource not arn", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"bucket"}}`, `Resource bucket must be in ARN format or "*".`},
		{"bad partition", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws-moon:s3:::b"}}`, `Partition "aws-moon" is not valid for resource "arn:aws-moon:s3:::b".`},
		{"bad partition, short", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws-moon"}}`, `Partition "aws-moon" is not valid for resource "arn:aws-moon:*:*:*:*".`},
		{"no vendor", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws"}}`, "Resource vendor must be fully qualified and cannot contain regexes."},
		{"iam region", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam:us-east-1:111122223333:user/x"}}`, "IAM resource arn:aws:iam:us-east-1:111122223333:user/x cannot contain region information."},
		{"s3 region", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:us-east-1::b"}}`, "Resource arn:aws:s3:us-east-1::b can not contain region information."},
		{"iam path", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::111122223333:cluster/x"}}`, msgIAMResourcePath},
		{"legacy resource", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws::x"}}`, "The policy failed legacy parsing"},
		{"unknown operator", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringSimilar":{"a:b":"c"}}}}`, "Syntax errors in policy."},
		{"null ifexists", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"a:b":"true"}}}}`, "Syntax errors in policy."},
		{"bad qualifier", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"a:b":"c"}}}}`, "Syntax errors in policy."},
		{"condition not object", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":["x"]}}`, "Syntax errors in policy."},
		{"operator not object", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":"x"}}}`, "Syntax errors in policy."},
		{"condition value object", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a:b":{"c":"d"}}}}}`, "Syntax errors in policy."},
		{"condition value null", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a:b":null}}}}`, "Syntax errors in policy."},
		{"bad date", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"yesterday"}}}}`, "The policy failed legacy parsing"},
		{"bad month", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2020-13-01"}}}}`, "The policy failed legacy parsing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.doc, tt.kind)
			if err == nil {
				t.Fatalf("Parse accepted %s", tt.doc)
			}
			if d != nil {
				t.Errorf("Parse returned a document with its error")
			}
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %T is not *Error", err)
			}
			if perr.Message != tt.want {
				t.Errorf("message\n got %q\nwant %q", perr.Message, tt.want)
			}
		})
	}
}

func TestParseSuccessReturnsNilError(t *testing.T) {
	d, err := Parse(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, Identity)
	if err != nil || d == nil {
		t.Fatalf("Parse = %v, %v", d, err)
	}
	if d.Version != "" {
		t.Errorf("Version = %q, want empty", d.Version)
	}
}

func TestPrincipals(t *testing.T) {
	d := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:role/r"],"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"},
		{"Effect":"Deny","NotPrincipal":"*","Action":"sts:AssumeRole"}]}`, Resource)
	got := map[PrincipalRef]bool{}
	for _, p := range d.Principals() {
		got[p] = true
	}
	want := []PrincipalRef{
		{Type: "AWS", Value: "111122223333"},
		{Type: "AWS", Value: "arn:aws:iam::111122223333:role/r"},
		{Type: "Service", Value: "eks.amazonaws.com"},
		{Type: "*", Value: "*", Not: true},
	}
	if len(got) != len(want) {
		t.Errorf("Principals() = %v", d.Principals())
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("Principals() lacks %+v", w)
		}
	}
}
