package policy

import "testing"

func BenchmarkEvaluateAdministratorAccess(b *testing.B) {
	d := mustParse(b, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, Identity)
	r := &Request{
		Principal: Principal{ARN: "arn:aws:iam::111122223333:user/admin", Account: "111122223333", UserID: "AIDAEXAMPLE", Username: "admin"},
		Action:    "eks:DeleteCluster",
		Resource:  "arn:aws:eks:us-east-1:111122223333:cluster/prod",
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if d.Evaluate(r) != Allow {
			b.Fatal("not allowed")
		}
	}
}

// tenStatements is a realistic policy whose every statement has to be
// looked at for an eks:UpdateNodegroupConfig call, most of them through
// their conditions, with the matching one last.
const tenStatements = `{"Version":"2012-10-17","Statement":[
	{"Sid":"S1","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},
	{"Sid":"S2","Effect":"Deny","Action":"eks:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16","2001:db8::/32"]}}},
	{"Sid":"S3","Effect":"Deny","Action":["eks:Delete*","eks:Update*"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/env":"prod"},"StringNotEquals":{"aws:PrincipalTag/role":"admin"}}},
	{"Sid":"S4","Effect":"Allow","Action":["ec2:Describe*","ec2:RunInstances"],"Resource":"*","Condition":{"StringLikeIfExists":{"ec2:InstanceType":["t3.*","m5.*"]}}},
	{"Sid":"S5","Effect":"Allow","Action":"eks:Describe*","Resource":"arn:aws:eks:*:111122223333:cluster/*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}},
	{"Sid":"S6","Effect":"Allow","Action":"eks:*","Resource":"arn:aws:eks:us-west-2:111122223333:*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-west-2"}}},
	{"Sid":"S7","Effect":"Deny","Action":"eks:*","Resource":"*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["secret*","internal*"]}}},
	{"Sid":"S8","Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/eks-*","Condition":{"StringEquals":{"iam:PassedToService":"eks.amazonaws.com"}}},
	{"Sid":"S9","Effect":"Deny","Action":"eks:*","Resource":"*","Condition":{"NumericGreaterThan":{"eks:scalingConfig.maxSize":"50"}}},
	{"Sid":"S10","Effect":"Allow","Action":["eks:UpdateNodegroupConfig","eks:DescribeNodegroup"],"Resource":"arn:aws:eks:*:111122223333:nodegroup/*/${aws:PrincipalTag/team}-*/*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}}
]}`

func BenchmarkEvaluateTenStatementsWithConditions(b *testing.B) {
	d := mustParse(b, tenStatements, Identity)
	tags := map[string]string{"env": "prod", "team": "blue"}
	request := func() *Request {
		return &Request{
			Principal: Principal{
				ARN: "arn:aws:sts::111122223333:assumed-role/ops/alice", Account: "111122223333",
				UserID: "AROAEXAMPLE:alice", RoleARN: "arn:aws:iam::111122223333:role/ops",
				Tags: map[string]string{"team": "blue", "role": "admin"},
			},
			Action:   "eks:UpdateNodegroupConfig",
			Resource: "arn:aws:eks:us-east-1:111122223333:nodegroup/prod/blue-workers/0f1e",
			Context: map[string][]string{
				"aws:SecureTransport": {"true"},
				"aws:SourceIp":        {"10.20.30.40"},
				"aws:CurrentTime":     {"2024-05-01T12:00:00Z"},
				"aws:RequestedRegion": {"us-east-1"},
				"aws:TagKeys":         {"team", "cost-center"},
			},
			ResourceTags: func() map[string]string { return tags },
		}
	}
	if got := d.Evaluate(request()); got != Allow {
		b.Fatalf("Evaluate = %v, want Allow", got)
	}
	r := request()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		// A fresh request each time would count its own allocations;
		// resetting the tag cache is what a new request amounts to here.
		r.resourceTagsLoaded = false
		if d.Evaluate(r) != Allow {
			b.Fatal("not allowed")
		}
	}
}

func BenchmarkParseTenStatements(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(tenStatements, Identity); err != nil {
			b.Fatal(err)
		}
	}
}
