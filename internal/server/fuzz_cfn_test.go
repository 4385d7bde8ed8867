package server_test

import (
	"net/http"
	"net/url"
	"testing"
)

// cfnOps are the CloudFormation actions keks serves, in an order in which
// each seed succeeds.
var cfnOps = []queryOp{
	{"ValidateTemplate", "TemplateBody=" + url.QueryEscape(cfnFuzzTemplate)},
	{"GetTemplateSummary", "TemplateBody=" + url.QueryEscape(cfnFuzzTemplate)},
	{"CreateStack", "StackName=fz-stack&Capabilities.member.1=CAPABILITY_IAM&Parameters.member.1.ParameterKey=Name&Parameters.member.1.ParameterValue=fz" +
		"&Tags.member.1.Key=team&Tags.member.1.Value=fuzz&OnFailure=DELETE&TimeoutInMinutes=5&TemplateBody=" + url.QueryEscape(cfnFuzzTemplate)},
	{"DescribeStacks", "StackName=fz-stack"},
	{"ListStacks", "StackStatusFilter.member.1=CREATE_IN_PROGRESS&StackStatusFilter.member.2=CREATE_COMPLETE"},
	{"DescribeStackEvents", "StackName=fz-stack"},
	{"ListStackResources", "StackName=fz-stack"},
	{"DescribeStackResources", "StackName=fz-stack"},
	{"GetTemplate", "StackName=fz-stack"},
	{"ListExports", ""},
	{"DeleteStack", "StackName=fz-stack"},
}

const cfnFuzzTemplate = `Parameters:
  Name: {Type: String}
Conditions:
  Yes: !Equals [!Ref Name, fz]
Resources:
  Policy:
    Type: AWS::IAM::ManagedPolicy
    Condition: Yes
    Properties:
      Description: !Sub "${Name}-${AWS::Region}"
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "ec2:Describe*", Resource: "*"}]}
Outputs:
  Arn: {Value: !Ref Policy}
`

func FuzzCloudFormation(f *testing.F) {
	fuzzQuery(f, "cloudformation", "2010-05-15", wireQuery, cfnOps,
		queryOp{"CreateStack", "StackName=fz-2&TemplateBody=" + url.QueryEscape("Resources:\n  A:\n    Type: AWS::IAM::Role\n    DependsOn: B\n  B:\n    Type: AWS::IAM::Role\n    DependsOn: A\n")},
		queryOp{"CreateStack", "StackName=fz-3&TemplateBody=%7B%22Resources%22%3A%7B%22A%22%3A%7B%22Type%22%3A%7B%22Ref%22%3A1%7D%7D%7D%7D"},
		queryOp{"DescribeStacks", "StackName=arn%3Aaws%3Acloudformation%3Aus-east-1%3A1%3Astack%2Fx%2Fy"})
}

func TestCloudFormationFuzzSeedsSucceed(t *testing.T) {
	vars := fuzzVars(t)
	for i, o := range cfnOps {
		if rec := queryCall(vars, "cloudformation", "2010-05-15", wireQuery, cfnOps, uint8(i), o.form, "", modeSigned).check(t); rec.Code != http.StatusOK {
			t.Errorf("cloudformation %s seed: %d %s", o.action, rec.Code, rec.Body)
		}
	}
}
