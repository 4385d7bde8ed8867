package ssmapi

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ssm"
)

// FuzzSSM sends any body to any operation: the checks never fail, and the
// answer is a success or an AWS error of a 4xx status, never a panic or a
// 500. Each fuzzed call works in a region of its own account.
func FuzzSSM(f *testing.F) {
	ops := slices.Sorted(func(yield func(string) bool) {
		for op := range operations {
			if !yield(op) {
				return
			}
		}
	})
	seeds := map[string]string{
		"GetParameter":        `{"Name":"/aws/service/eks/optimized-ami/1.37/amazon-linux-2023/x86_64/standard/recommended/image_id"}`,
		"GetParameters":       `{"Names":["/fz/a:1","arn:aws:ssm:us-east-1:123456789012:parameter/fz/a"]}`,
		"GetParametersByPath": `{"Path":"/aws/service/eks","Recursive":true,"MaxResults":3,"ParameterFilters":[{"Key":"Type","Values":["String"]}]}`,
		"GetParameterHistory": `{"Name":"/fz/a","MaxResults":1}`,
		"PutParameter":        `{"Name":"/fz/a","Value":"1,2","Type":"StringList","AllowedPattern":"[0-9]","Tags":[{"Key":"k","Value":"v"}]}`,
		"DeleteParameter":     `{"Name":"/fz/a"}`,
		"DeleteParameters":    `{"Names":["/fz/a","/fz/b"]}`,
		"DescribeParameters":  `{"ParameterFilters":[{"Key":"Path","Option":"Recursive","Values":["/fz"]},{"Key":"tag:k"}],"MaxResults":5}`,
	}
	for i, op := range ops {
		f.Add(uint8(i), []byte(seeds[op]))
	}
	f.Add(uint8(0), []byte(`{"Names":null,"Name":"a:b:c"}`))
	f.Add(uint8(0), []byte(`{"Path":"/","NextToken":"a2Vrczp6"}`))
	h := &Handler{SSM: &ssm.Service{Store: front.store}}
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		target := "AmazonSSM.Nothing"
		if int(op) < len(ops) {
			target = targetPrefix + ops[op]
		}
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
		req.Header.Set("X-Amz-Target", target)
		c := &awsproto.Call{RequestID: "r", Region: "fuzz-1", Principal: awsproto.Principal{Account: "000000000001"}, Body: body}
		for _, ch := range h.checks(req, c) {
			if ch.Action == "" || ch.Resource == "" {
				t.Fatalf("check %+v of %s %q", ch, target, body)
			}
		}
		rec := httptest.NewRecorder()
		if err := h.handle(rec, req, c); err != nil {
			if e, ok := awserr.AsError(err); !ok || e.Status >= 500 || e.Status < 400 {
				t.Fatalf("%s %q: %v", target, body, err)
			}
		}
	})
}
