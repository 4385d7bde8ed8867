package policy

import "testing"

// FuzzParseEvaluate parses any input as each kind of document and, when it
// parses, evaluates it against a few requests: nothing may panic.
func FuzzParseEvaluate(f *testing.F) {
	seeds := []string{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
		`{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Deny","NotAction":["iam:*","eks:Describe?luster"],"NotResource":"arn:aws:eks:*:*:cluster/${aws:username}-*"}]}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:PrincipalTag/team, 'none'}/${*}/*","Condition":{"ForAllValues:StringLike":{"aws:TagKeys":["a*","${aws:username}"]},"NumericLessThanIfExists":{"n:n":[1,"2.5"]},"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]},"Null":{"aws:TokenIssueTime":true},"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x*"},"BinaryEquals":{"k:b":"QQ=="},"Bool":{"aws:SecureTransport":false}}}}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:role/r","AROAEXAMPLEEXAMPLE12"],"Service":"eks.amazonaws.com","Federated":"accounts.google.com"},"Action":"sts:AssumeRole"}}`,
		`{"Statement":{"Effect":"Deny","NotPrincipal":"*","Action":"*","Resource":"*"}}`,
		`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"${aws:username}"}}`,
		`{"Statement":[]}`,
		`{`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	principals := []Principal{
		{},
		{ARN: "arn:aws:iam::111122223333:user/bob", Account: "111122223333", UserID: "AIDAEXAMPLE", Username: "bob", Tags: map[string]string{"team": "x"}},
		{ARN: "arn:aws:sts::111122223333:assumed-role/r/s", Account: "111122223333", UserID: "AROAEXAMPLE:s", RoleARN: "arn:aws:iam::111122223333:role/r"},
		{ARN: "arn:aws:sts::111122223333:assumed-role/r/s"},
		{ARN: "arn:aws:iam::111122223333:root"},
		{Service: "eks.amazonaws.com"},
		{Federated: "accounts.google.com"},
		{ARN: "arn:aws:sts:"},
	}
	f.Fuzz(func(t *testing.T, doc string) {
		for _, kind := range []Kind{Identity, Resource, Trust} {
			d, err := Parse(doc, kind)
			if err != nil {
				if d != nil {
					t.Fatal("document returned with an error")
				}
				if _, ok := err.(*Error); !ok {
					t.Fatalf("error %T is not *Error", err)
				}
				continue
			}
			d.Principals()
			for _, p := range principals {
				r := &Request{
					Principal: p,
					Action:    "eks:DescribeCluster",
					Resource:  "arn:aws:eks:us-east-1:111122223333:cluster/bob-x",
					Context: map[string][]string{
						"aws:TagKeys":         {"a", "b"},
						"aws:SourceIp":        {"10.1.2.3"},
						"aws:CurrentTime":     {"2024-01-01T00:00:00Z"},
						"aws:SecureTransport": {"true"},
						"n:n":                 {"1"},
						"k:empty":             {},
					},
					ResourceTags: func() map[string]string { return map[string]string{"team": "x"} },
				}
				d.Evaluate(r)
				d.EvaluateResource(r)
				Decide([]*Document{d, nil}, r)
				d.Evaluate(&Request{Principal: p, Action: doc, Resource: doc})
			}
		}
	})
}
