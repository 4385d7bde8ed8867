package cloudformation

import (
	"testing"
)

// FuzzTemplate feeds any text to the parser, the dependency order and the
// intrinsic functions: each either works or says why, never panics.
func FuzzTemplate(f *testing.F) {
	f.Add(yamlTemplate)
	f.Add(chain)
	f.Add(`{"Resources":{"A":{"Type":"Test::Thing","Properties":{"X":{"Fn::Select":[5,{"Fn::Split":[",","a,b"]}]},"Y":{"Fn::Cidr":["10.0.0.0/16",4,8]}}}}}`)
	f.Add("Resources:\n  A:\n    Type: Test::Thing\n    Properties:\n      X: !If [C, !Ref AWS::NoValue, !Base64 x]\nConditions:\n  C: !Or [!Equals [a, b], !Not [!Condition D]]\n  D: !And [!Equals [1, 1], !Equals [2, 2]]\n")
	f.Add("Resources: &a\n  A: *a\n")
	f.Fuzz(func(t *testing.T, body string) {
		tpl, err := ParseTemplate(body)
		if err != nil {
			return
		}
		if _, err := tpl.Order(); err != nil {
			return
		}
		params, err := resolveParameters(tpl, nil, nil)
		if err != nil {
			return
		}
		sc := (&Service{}).staticScope(t.Context(), "us-east-1", "000000000000", "s", "arn:s", tpl, params)
		if sc.EvaluateConditions(tpl) != nil {
			return
		}
		sc.Resource = func(id string) (string, map[string]any, bool) { return id, map[string]any{"Arn": "arn:" + id}, true }
		for _, r := range tpl.Resources {
			_, _ = sc.ResolveProperties(r.Properties)
		}
		for _, o := range tpl.Outputs {
			_, _ = sc.Resolve(o.Value)
		}
	})
}
