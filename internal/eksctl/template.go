package eksctl

import "encoding/json"

// Template is a CloudFormation template as eksctl renders it: JSON with
// resources, outputs and their exports.
type Template struct {
	AWSTemplateFormatVersion string              `json:"AWSTemplateFormatVersion"`
	Description              string              `json:"Description"`
	Resources                map[string]Resource `json:"Resources"`
	Outputs                  map[string]Output   `json:"Outputs,omitempty"`
}

// Resource is one resource of a template.
type Resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
	DependsOn  []string       `json:"DependsOn,omitempty"`
}

// Output is a stack output; eksctl exports most of them as
// "<stack name>::<output name>" for other stacks to import.
type Output struct {
	Value  any     `json:"Value"`
	Export *Export `json:"Export,omitempty"`
}

// Export names an exported output.
type Export struct {
	Name any `json:"Name"`
}

func newTemplate(description string) *Template {
	return &Template{
		AWSTemplateFormatVersion: "2010-09-09",
		Description:              description + " [created and managed by eksctl]",
		Resources:                map[string]Resource{},
		Outputs:                  map[string]Output{},
	}
}

// add puts a resource in the template and returns a Ref to it.
func (t *Template) add(logicalID, typ string, props map[string]any, dependsOn ...string) map[string]any {
	t.Resources[logicalID] = Resource{Type: typ, Properties: props, DependsOn: dependsOn}
	return ref(logicalID)
}

// output adds an output; exported ones are named "${AWS::StackName}::<name>".
func (t *Template) output(name string, value any, exported bool) {
	o := Output{Value: value}
	if exported {
		o.Export = &Export{Name: sub("${AWS::StackName}::" + name)}
	}
	t.Outputs[name] = o
}

// JSON renders the template as the body of CreateStack.
func (t *Template) JSON() (string, error) {
	b, err := json.Marshal(t)
	return string(b), err
}

// Intrinsic functions, as CloudFormation spells them.

func ref(logicalID string) map[string]any { return map[string]any{"Ref": logicalID} }

func getAtt(logicalID, attribute string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{logicalID, attribute}}
}

func sub(s string) map[string]any { return map[string]any{"Fn::Sub": s} }

func join(sep string, values []any) map[string]any {
	return map[string]any{"Fn::Join": []any{sep, values}}
}

func split(sep string, value any) map[string]any {
	return map[string]any{"Fn::Split": []any{sep, value}}
}

// importValue imports another stack's export, as eksctl's node group
// stacks import the cluster stack's outputs.
func importValue(stackName, output string) map[string]any {
	return map[string]any{"Fn::ImportValue": stackName + "::" + output}
}

// nameTag is the Name tag eksctl gives its resources: "<stack>/<logical id>".
func nameTag(logicalID string) []any {
	return []any{map[string]any{"Key": "Name", "Value": sub("${AWS::StackName}/" + logicalID)}}
}

// policyDocument is an IAM policy document with the given statements.
func policyDocument(statements ...map[string]any) map[string]any {
	list := make([]any, len(statements))
	for i, s := range statements {
		list[i] = s
	}
	return map[string]any{"Version": "2012-10-17", "Statement": list}
}

// assumeRoleFor is the trust policy of a role AWS services assume.
func assumeRoleFor(actions []string, services ...string) map[string]any {
	return policyDocument(map[string]any{
		"Action":    toAny(actions),
		"Effect":    "Allow",
		"Principal": map[string]any{"Service": toAny(services)},
	})
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// awsPolicy is the ARN of an AWS managed policy.
func awsPolicy(name string) string { return "arn:aws:iam::aws:policy/" + name }
