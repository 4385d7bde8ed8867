package cloudformation

import (
	"reflect"
	"testing"
)

const yamlTemplate = `
AWSTemplateFormatVersion: "2010-09-09"
Description: test
Parameters:
  Env:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Subnets:
    Type: List<AWS::EC2::Subnet::Id>
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      Name: !Sub "${AWS::StackName}-${Env}-role"
  Thing:
    Type: Test::Thing
    DependsOn: Role
    Properties:
      RoleArn: !GetAtt Role.Arn
      Joined: !Join [",", !Ref Subnets]
      First: !Select [0, !Ref Subnets]
      Parts: !Split ["-", "a-b"]
      Zones: !GetAZs ""
      Size: !If [IsProd, 10, 1]
      Gone: !Ref AWS::NoValue
      Encoded: !Base64 hi
      Literal: !Sub "${!NotAVar}"
Outputs:
  Arn:
    Value: !GetAtt Role.Arn
    Export:
      Name: !Sub "${AWS::StackName}-RoleArn"
`

func TestYAMLShortFormsResolve(t *testing.T) {
	tpl, err := ParseTemplate(yamlTemplate)
	must(t, err)
	params, err := resolveParameters(tpl, []ParameterInput{{Key: "Subnets", Value: "subnet-1,subnet-2"}}, nil)
	must(t, err)
	svc := &Service{}
	sc := svc.staticScope(testCtx(t), "us-east-1", "000000000000", "s", "arn:s", tpl, params)
	must(t, sc.EvaluateConditions(tpl))
	if sc.Conditions["IsProd"] || !sc.Conditions["NotProd"] {
		t.Fatalf("conditions %v", sc.Conditions)
	}
	sc.Resource = func(id string) (string, map[string]any, bool) {
		return id + "-phys", map[string]any{"Arn": "arn:" + id}, true
	}
	role, err := sc.ResolveProperties(tpl.Resources["Role"].Properties)
	must(t, err)
	if role["Name"] != "s-dev-role" {
		t.Errorf("Sub: %v", role["Name"])
	}
	props, err := sc.ResolveProperties(tpl.Resources["Thing"].Properties)
	must(t, err)
	want := map[string]any{"RoleArn": "arn:Role", "Joined": "subnet-1,subnet-2", "First": "subnet-1", "Parts": []any{"a", "b"},
		"Zones": []any{"us-east-1a", "us-east-1b", "us-east-1c"}, "Size": 1.0, "Encoded": "aGk=", "Literal": "${NotAVar}"}
	if !reflect.DeepEqual(props, want) {
		t.Errorf("got %#v\nwant %#v", props, want)
	}
	if got := tpl.Dependencies()["Thing"]; !reflect.DeepEqual(got, []string{"Role"}) {
		t.Errorf("deps %v", got)
	}
	if tpl.IAMCapability() != "CAPABILITY_IAM" {
		t.Errorf("capability %s", tpl.IAMCapability())
	}
}

func TestJSONTemplateAndErrors(t *testing.T) {
	tpl, err := ParseTemplate(`{"Resources":{"A":{"Type":"Test::Thing","Properties":{"X":{"Fn::Join":["-",["a",{"Ref":"AWS::Region"}]]}}},
		"B":{"Type":"Test::Thing","Properties":{"Y":{"Fn::GetAtt":["A","Arn"]}}}}}`)
	must(t, err)
	order, err := tpl.Order()
	must(t, err)
	if !reflect.DeepEqual(order, []string{"A", "B"}) {
		t.Errorf("order %v", order)
	}
	for _, tc := range []struct{ body, msg string }{
		{`{"Resources":{"A":{"Type":"Test::Thing","Properties":{"X":{"Ref":"B"}}},"B":{"Type":"Test::Thing","DependsOn":"A"}}}`, "Circular dependency between resources: [A, B]"},
		{`{"Resources":{"A":{"Type":"Test::Thing","Properties":{"X":{"Ref":"Nope"}}}}}`, "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template"},
		{`{"Resources":{"A":{"Properties":{}}}}`, "Template format error: [/Resources/A] Every Resources object must contain a Type member."},
		{`{"Resources":{}}`, "Template format error: At least one Resources member must be defined."},
		{"Resources:\n  A:\n    Type: Test::Thing\n    Properties:\n      X: !GetAtt Missing.Arn\n", "Template error: instance of Fn::GetAtt references undefined resource Missing"},
	} {
		tpl, err := ParseTemplate(tc.body)
		if err == nil {
			_, err = tpl.Order()
		}
		wantCode(t, tc.body, err, CodeValidation, tc.msg)
	}
}
