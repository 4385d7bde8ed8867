package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/keksdev/keks/internal/api/autoscalingapi"
	"github.com/keksdev/keks/internal/api/cfnapi"
	"github.com/keksdev/keks/internal/api/ec2api"
	"github.com/keksdev/keks/internal/api/ecrapi"
	"github.com/keksdev/keks/internal/api/eksapi"
	"github.com/keksdev/keks/internal/api/iamapi"
	"github.com/keksdev/keks/internal/api/logsapi"
	"github.com/keksdev/keks/internal/api/stsapi"
	"github.com/keksdev/keks/internal/authz"
	"github.com/keksdev/keks/internal/autoscaling"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/cloudformation"
	"github.com/keksdev/keks/internal/cloudformation/resources"
	"github.com/keksdev/keks/internal/iam"
)

// The fuzzers send requests from the wire inward: through the SigV4 front
// door and each service's wire layer to the models and the store of the
// package's keks. They run in-process over the same models as the server,
// so a panic shows with its stack and thousands of requests fit in seconds.

// fuzzHost is the endpoint the fuzzers' requests are signed for.
const fuzzHost = "127.0.0.1:4577"

// Signing modes of a fuzzed request.
const (
	modeUnsigned = iota
	modeSigned
	modeWrongSecret
	modeCount
)

// wire is the error and answer shape a service speaks.
type wire int

const (
	wireRESTJSON wire = iota // EKS: JSON body with message, x-amzn-ErrorType header
	wireJSON11               // ECR: JSON body with __type
	wireQuery                // IAM, STS: <ErrorResponse><Error><Code>
	wireEC2                  // EC2: <Response><Errors><Error><Code>
)

// fuzzCall is one request a fuzzer makes.
type fuzzCall struct {
	service string // the signing name
	region  string // signed for; fuzzRegion when empty
	wire    wire
	method  string
	url     *url.URL
	header  http.Header
	body    []byte
	mode    uint8
	// unmarked is set when nothing but a signature would tell keks the
	// service (a form without Action and Version): unsigned, any shape will do.
	unmarked bool
	// signer is whose key signs the call; the admin's when nil.
	signer *aws.Credentials
}

// logBuffer keeps what the front door logs, to show with a failure.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.buf.String()
	l.buf.Reset()
	return s
}

var fuzzFront struct {
	once   sync.Once
	router *awsproto.Router
	log    *logBuffer
}

// fuzzRouter is the front door over the package server's models, wired as
// server.Run wires it.
func fuzzRouter() (*awsproto.Router, *logBuffer) {
	fuzzFront.once.Do(func() {
		m := testServer.models
		logs := &logBuffer{}
		rt := &awsproto.Router{Keys: m.IAM, Authz: &authz.Authorizer{IAM: m.IAM, Now: time.Now}, Now: time.Now, Services: map[string]*awsproto.Service{},
			Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))}
		for _, s := range []*awsproto.Service{
			(&eksapi.Handler{EKS: m.EKS, Insights: m.Insights}).Service(),
			(&iamapi.Handler{IAM: m.IAM}).Service(),
			(&stsapi.Handler{IAM: m.IAM}).Service(),
			(&ec2api.Handler{EC2: m.EC2,
				SubnetInUse: func(id string) (bool, error) {
					all, err := m.EKS.ListAllClusters(context.Background())
					for _, c := range all {
						for _, s := range c.Spec.SubnetIDs {
							if s == id {
								return true, err
							}
						}
					}
					return false, err
				},
				InstanceProfile: m.IAM.InstanceProfileRole,
				RoleARN: func(ctx context.Context, name string) (string, error) {
					r, err := m.IAM.GetRole(ctx, name)
					if err != nil {
						return "", err
					}
					return r.ARN, nil
				}}).Service(),
			(&ecrapi.Handler{ECR: m.ECR}).Service(),
			(&logsapi.Handler{Logs: m.Logs}).Service(),
			(&cfnapi.Handler{CFN: &cloudformation.Service{Store: m.IAM.Store, Types: resources.All()}}).Service(),
			(&autoscalingapi.Handler{AS: &autoscaling.Service{Store: m.IAM.Store, EKS: m.EKS, EC2: m.EC2, Now: time.Now}}).Service(),
		} {
			rt.Services[s.Name] = s
		}
		fuzzFront.router, fuzzFront.log = rt, logs
	})
	return fuzzFront.router, fuzzFront.log
}

// send signs (or not) and serves one call, and returns the answer.
func (c *fuzzCall) send(t testing.TB) *httptest.ResponseRecorder {
	t.Helper()
	rt, _ := fuzzRouter()
	req := httptest.NewRequest(c.method, "https://"+fuzzHost+"/", bytes.NewReader(c.body))
	req.URL = c.url
	req.RequestURI = c.url.RequestURI()
	req.Host = fuzzHost
	for k, v := range c.header {
		req.Header[k] = v
	}
	if c.mode%modeCount != modeUnsigned {
		b := testServer.models.Bootstrap
		secret := b.SecretAccessKey
		if c.mode%modeCount == modeWrongSecret {
			secret = strings.Repeat("x", len(secret))
		}
		h := sha256.Sum256(c.body)
		creds := aws.Credentials{AccessKeyID: b.AccessKeyID, SecretAccessKey: secret}
		if c.signer != nil {
			creds = *c.signer
		}
		region := c.region
		if region == "" {
			region = fuzzRegion
		}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(h[:]), c.service, region, time.Now()); err != nil {
			t.Skipf("the SDK cannot sign this request: %v", err)
		}
	}
	rec := httptest.NewRecorder()
	rt.ServeHTTP(rec, req)
	return rec
}

// check sends a call and holds keks to the fuzzers' invariants: an answer
// that is AWS-shaped in the service's protocol, never a 5xx, refusal of
// calls not properly signed, and nothing stored by a refused call.
func (c *fuzzCall) check(t testing.TB) *httptest.ResponseRecorder {
	t.Helper()
	_, logs := fuzzRouter()
	before := storeRevision(t)
	rec := c.send(t)
	describe := func() string {
		return fmt.Sprintf("%s %s (mode %d) body %q\nanswered %d %s\nlog: %s", c.method, c.url.RequestURI(), c.mode%modeCount, c.body, rec.Code, rec.Body.String(), logs.take())
	}
	if rec.Code >= 500 {
		t.Fatalf("server error:\n%s", describe())
	}
	if rec.Code < 300 {
		if c.mode%modeCount != modeSigned {
			t.Fatalf("a request without a valid signature was served:\n%s", describe())
		}
		if err := wellFormed(c.wire, rec.Body.Bytes()); err != nil {
			t.Fatalf("success body is not %v: %v\n%s", c.wire, err, describe())
		}
		logs.take()
		return rec
	}
	shape := c.wire
	if c.mode%modeCount == modeUnsigned && (c.unmarked || c.url.Query().Has("X-Amz-Credential")) {
		// A presigned scope names the service, whichever the fuzzer meant.
		shape = shapeOf(rec)
	}
	if err := awsShaped(shape, rec); err != nil {
		t.Fatalf("error is not AWS-shaped: %v\n%s", err, describe())
	}
	if changed := storeChanges(t, before); len(changed) > 0 {
		t.Fatalf("a refused call changed the store: %v\n%s", changed, describe())
	}
	logs.take()
	return rec
}

func wellFormed(w wire, body []byte) error {
	switch w {
	case wireRESTJSON, wireJSON11:
		var m map[string]any
		return json.Unmarshal(body, &m)
	default:
		var v struct{ XMLName xml.Name }
		return xml.Unmarshal(body, &v)
	}
}

// shapeOf tells which protocol's error an answer is in.
func shapeOf(rec *httptest.ResponseRecorder) wire {
	body := rec.Body.Bytes()
	switch {
	case bytes.Contains(body, []byte("<Response>")):
		return wireEC2
	case bytes.Contains(body, []byte("<ErrorResponse>")):
		return wireQuery
	case bytes.Contains(body, []byte(`"__type"`)):
		return wireJSON11
	}
	return wireRESTJSON
}

func awsShaped(w wire, rec *httptest.ResponseRecorder) error {
	body := rec.Body.Bytes()
	switch w {
	case wireRESTJSON, wireJSON11:
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return fmt.Errorf("body is not JSON: %w", err)
		}
		if msg, ok := m["message"].(string); !ok || msg == "" {
			return fmt.Errorf("no message in %s", body)
		}
		if w == wireRESTJSON && rec.Header().Get("x-amzn-ErrorType") == "" {
			return fmt.Errorf("no x-amzn-ErrorType header")
		}
		if typ, ok := m["__type"].(string); w == wireJSON11 && (!ok || typ == "") {
			return fmt.Errorf("no __type in %s", body)
		}
	case wireQuery:
		var e struct {
			XMLName xml.Name `xml:"ErrorResponse"`
			Error   struct{ Type, Code, Message string }
			ID      string `xml:"RequestId"`
		}
		if err := xml.Unmarshal(body, &e); err != nil {
			return fmt.Errorf("body is not an ErrorResponse: %w", err)
		}
		if e.Error.Code == "" || e.Error.Message == "" || e.Error.Type != "Sender" || e.ID == "" {
			return fmt.Errorf("ErrorResponse lacks a code, message, Sender type or request id: %s", body)
		}
	case wireEC2:
		var e struct {
			XMLName xml.Name                         `xml:"Response"`
			Errors  []struct{ Code, Message string } `xml:"Errors>Error"`
			ID      string                           `xml:"RequestID"`
		}
		if err := xml.Unmarshal(body, &e); err != nil {
			return fmt.Errorf("body is not an EC2 Response: %w", err)
		}
		if len(e.Errors) == 0 || e.Errors[0].Code == "" || e.Errors[0].Message == "" || e.ID == "" {
			return fmt.Errorf("EC2 error lacks a code, message or request id: %s", body)
		}
	}
	return nil
}

func (w wire) String() string {
	return [...]string{"REST-JSON", "JSON 1.1", "Query XML", "EC2 XML"}[w]
}

func storeClient() *clientv3.Client { return testServer.models.IAM.Store.Client() }

// storeRevision is the store's revision now.
func storeRevision(t testing.TB) int64 {
	t.Helper()
	resp, err := storeClient().Get(context.Background(), "", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	return resp.Header.Revision
}

// storeChanges lists the keys whose values differ between revision since
// and now. The fuzzers call one request at a time and the test server runs
// no reconcilers, so every change is the request's.
func storeChanges(t testing.TB, since int64) []string {
	t.Helper()
	now := storeRevision(t)
	if now == since {
		return nil
	}
	read := func(rev int64) map[string]string {
		resp, err := storeClient().Get(context.Background(), "", clientv3.WithPrefix(), clientv3.WithRev(rev))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, kv := range resp.Kvs {
			out[string(kv.Key)] = string(kv.Value)
		}
		return out
	}
	old, cur := read(since), read(now)
	var changed []string
	for k, v := range cur {
		if strings.Contains(k, "/"+iam.UsagePrefix) {
			continue // the last use of keys: recorded for refused calls too, as AWS does
		}
		if o, ok := old[k]; !ok || o != v {
			changed = append(changed, k)
		}
	}
	for k := range old {
		if _, ok := cur[k]; !ok && !strings.Contains(k, "/"+iam.UsagePrefix) {
			changed = append(changed, k+" (deleted)")
		}
	}
	return changed
}
