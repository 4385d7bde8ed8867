package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const ecrTarget = "AmazonEC2ContainerRegistry_V20150921."

// ecrOps are the ECR operations keks serves, in an order in which each seed succeeds.
var ecrOps = []struct{ name, body string }{
	{"CreateRepository", `{"repositoryName":"fz/new","imageTagMutability":"IMMUTABLE","tags":[{"Key":"team","Value":"fuzz"}],"imageScanningConfiguration":{"scanOnPush":true}}`},
	{"DescribeRepositories", `{"maxResults":5}`},
	{"GetAuthorizationToken", `{}`},
	{"DeleteRepository", `{"repositoryName":"fz/del"}`},
}

// ecrCall builds an ECR request: operation op (or, past the list, no
// X-Amz-Target at all) with a fuzzed body.
func ecrCall(vars *strings.Replacer, op uint8, body []byte, mode uint8) *fuzzCall {
	target := ""
	if int(op) < len(ecrOps) {
		target = ecrTarget + ecrOps[op].name
	}
	return &fuzzCall{service: "ecr", wire: wireJSON11, method: "POST", mode: mode, body: []byte(vars.Replace(string(body))), unmarked: target == "",
		url:    &url.URL{Scheme: "https", Host: fuzzHost, Path: "/"},
		header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amz-Target": {target}}}
}

func FuzzECR(f *testing.F) {
	for i, o := range ecrOps {
		f.Add(uint8(i), []byte(o.body), uint8(modeSigned))
	}
	f.Add(uint8(len(ecrOps)), []byte(`{}`), uint8(modeSigned))
	f.Add(uint8(1), []byte(`{}`), uint8(modeUnsigned))
	f.Fuzz(func(t *testing.T, op uint8, body []byte, mode uint8) {
		ecrCall(fuzzVars(t), op, body, mode).check(t)
	})
}

func TestECRFuzzSeedsSucceed(t *testing.T) {
	vars := fuzzVars(t)
	for i, o := range ecrOps {
		if rec := ecrCall(vars, uint8(i), []byte(o.body), modeSigned).check(t); rec.Code != http.StatusOK {
			t.Errorf("%s seed: %d %s", o.name, rec.Code, rec.Body)
		}
	}
}
