package awsproto

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type noKeys struct{}

func (noKeys) ResolveAccessKey(context.Context, string) (string, string, Principal, error) {
	return "", "", Principal{}, errUnknown
}

func testRouter(handle func(w http.ResponseWriter, r *http.Request, c *Call) error) *Router {
	rt := &Router{Keys: noKeys{}, Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Services: map[string]*Service{}}
	for _, s := range []*Service{
		{Name: "eks", Handle: handle},
		{Name: "sts", Query: true, Version: "2011-06-15", Handle: handle},
		{Name: "iam", Query: true, Version: "2010-05-08", Handle: handle},
		{Name: "ec2", Query: true, EC2: true, Version: "2016-11-15", Handle: handle},
		{Name: "ecr", TargetPrefix: "AmazonEC2ContainerRegistry_V20150921.", Handle: handle},
	} {
		rt.Services[s.Name] = s
	}
	return rt
}

// TestUnsignedRefusalsSpeakTheService checks that a request without a
// credential scope is refused in the shape of the service it was meant for,
// as far as the request tells.
func TestUnsignedRefusalsSpeakTheService(t *testing.T) {
	rt := testRouter(nil)
	for _, tc := range []struct {
		name, method, path, contentType, target, body string
		want                                          string // error shape: rest-json, json11, query, ec2
	}{
		{"EKS", "GET", "/clusters", "", "", "", "rest-json"},
		{"EKS with a Version in its query", "GET", "/clusters?Version=2016-11-15", "", "", "", "rest-json"},
		{"ECR", "POST", "/", "application/x-amz-json-1.1", "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories", "{}", "json11"},
		{"EC2 form with charset", "POST", "/", "application/x-www-form-urlencoded; charset=utf-8", "", "Action=DescribeVpcs&Version=2016-11-15", "ec2"},
		{"EC2 GET", "GET", "/?Action=DescribeVpcs&Version=2016-11-15", "", "", "", "ec2"},
		{"IAM", "POST", "/", "application/x-www-form-urlencoded", "", "Action=ListUsers&Version=2010-05-08", "query"},
		{"STS without Version", "POST", "/", "application/x-www-form-urlencoded", "", "Action=GetCallerIdentity", "query"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "https://127.0.0.1:4577"+tc.path, strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if tc.target != "" {
				req.Header.Set("X-Amz-Target", tc.target)
			}
			rec := httptest.NewRecorder()
			rt.ServeHTTP(rec, req)
			if rec.Code != http.StatusForbidden {
				t.Fatalf("status %d", rec.Code)
			}
			if got := errorShape(t, rec); got != tc.want {
				t.Fatalf("refused in the %s shape, want %s: %s", got, tc.want, rec.Body)
			}
		})
	}
}

func errorShape(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	body := rec.Body.Bytes()
	var ec2 struct {
		XMLName xml.Name                `xml:"Response"`
		Errors  []struct{ Code string } `xml:"Errors>Error"`
	}
	var query struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Error   struct{ Code string }
	}
	var js map[string]any
	switch {
	case xml.Unmarshal(body, &ec2) == nil && len(ec2.Errors) == 1 && ec2.Errors[0].Code != "":
		return "ec2"
	case xml.Unmarshal(body, &query) == nil && query.Error.Code != "":
		return "query"
	case json.Unmarshal(body, &js) == nil && js["__type"] != nil && js["message"] != nil:
		return "json11"
	case json.Unmarshal(body, &js) == nil && js["message"] != nil && rec.Header().Get("x-amzn-ErrorType") != "":
		return "rest-json"
	}
	t.Fatalf("not an AWS error: %s", body)
	return ""
}

// TestPanicIsAnAWSError checks that a handler's panic reaches the client
// as InternalFailure in the service's shape, and the log with its stack.
func TestPanicIsAnAWSError(t *testing.T) {
	var logs strings.Builder
	rt := testRouter(func(http.ResponseWriter, *http.Request, *Call) error { panic("boom") })
	rt.Log = slog.New(slog.NewTextHandler(&logs, nil))
	rt.Keys = staticKeys{}
	req := sign(t, "GET", "https://127.0.0.1:4577/clusters", nil, time.Now())
	rec := httptest.NewRecorder()
	rt.ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("x-amzn-ErrorType") != "InternalFailure" {
		t.Fatalf("a panic answered %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "boom") || !strings.Contains(logs.String(), "goroutine") {
		t.Fatalf("the panic was not logged with its stack: %s", logs.String())
	}
}

type staticKeys struct{}

func (staticKeys) ResolveAccessKey(_ context.Context, id string) (string, string, Principal, error) {
	if id != testKey {
		return "", "", Principal{}, errUnknown
	}
	return testSecret, "", Principal{AccessKeyID: id}, nil
}
