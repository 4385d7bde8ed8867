package cfnapi

import (
	"net/http/httptest"
	"net/url"
	"reflect"
	"testing"

	"github.com/keksdev/keks/internal/awsproto"
)

func TestChecksDescribeEachCall(t *testing.T) {
	h := &Handler{}
	call := func(form string) []awsproto.Check {
		v, err := url.ParseQuery(form)
		if err != nil {
			t.Fatal(err)
		}
		c := &awsproto.Call{Region: "us-east-1", Principal: awsproto.Principal{Account: "111122223333"}, Form: v}
		return h.checks(httptest.NewRequest("POST", "/", nil), c)
	}
	got := call("Action=CreateStack&StackName=s1&RoleARN=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fcfn&Tags.member.1.Key=team&Tags.member.1.Value=a" +
		"&TemplateBody=" + url.QueryEscape("Resources:\n  R:\n    Type: AWS::IAM::Role\n  C:\n    Type: AWS::EKS::Cluster\n"))
	if len(got) != 2 {
		t.Fatalf("checks %+v", got)
	}
	main, pass := got[0], got[1]
	if main.Action != "cloudformation:CreateStack" || main.Resource != "arn:aws:cloudformation:us-east-1:111122223333:stack/s1/*" {
		t.Errorf("main check %+v", main)
	}
	want := map[string][]string{"aws:TagKeys": {"team"}, "aws:RequestTag/team": {"a"}, "cloudformation:RoleArn": {"arn:aws:iam::111122223333:role/cfn"},
		"cloudformation:ResourceTypes": {"AWS::EKS::Cluster", "AWS::IAM::Role"}}
	if !reflect.DeepEqual(main.Context, want) {
		t.Errorf("context %v", main.Context)
	}
	if pass.Action != "iam:PassRole" || pass.Resource != "arn:aws:iam::111122223333:role/cfn" || pass.Context["iam:PassedToService"][0] != "cloudformation.amazonaws.com" {
		t.Errorf("pass role %+v", pass)
	}
	for form, resource := range map[string]string{
		"Action=ListStacks":               "*",
		"Action=DescribeStacks":           "*",
		"Action=ValidateTemplate":         "*",
		"Action=DeleteStack&StackName=s1": "arn:aws:cloudformation:us-east-1:111122223333:stack/s1/*",
		"Action=DescribeStacks&StackName=arn%3Aaws%3Acloudformation%3Aus-east-1%3A111122223333%3Astack%2Fs2%2Fabc": "arn:aws:cloudformation:us-east-1:111122223333:stack/s2/*",
	} {
		if got := call(form); len(got) != 1 || got[0].Resource != resource {
			t.Errorf("%s: %+v", form, got)
		}
	}
	if got := call("Action=Nope"); got != nil {
		t.Errorf("unknown action: %+v", got)
	}
}
