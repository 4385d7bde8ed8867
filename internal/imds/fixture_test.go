package imds

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/iam"
)

// node is the instance the tests' requests come from: httptest servers
// see callers at 127.0.0.1.
var node = ec2.Instance{
	ID: "i-0123456789abcdef0", Region: "us-west-2", Zone: "us-west-2b", SubnetID: "subnet-0123456789abcdef0",
	PrivateIP: "127.0.0.1", InstanceType: "t3.medium", ImageID: "ami-0abcdef1234567890",
	RoleARN: "arn:aws:iam::111122223333:role/eks/NodeRole", State: ec2.StateRunning, OwnerID: "111122223333",
	LaunchTime: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
}

// fixture is a handler over fake models and a clock the test moves.
type fixture struct {
	h *Handler

	mu             sync.Mutex
	now            time.Time
	instances      []ec2.Instance
	hopLimit       int
	tokensRequired bool
	issued         []issue
}

type issue struct {
	roleARN, sessionName string
	d                    time.Duration
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{now: time.Date(2030, 1, 2, 4, 0, 0, 0, time.UTC), instances: []ec2.Instance{node}, hopLimit: 1}
	f.h = &Handler{
		Instances: func(context.Context) ([]ec2.Instance, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			return append([]ec2.Instance{}, f.instances...), nil
		},
		IssueSession: func(_ context.Context, roleARN, sessionName string, d time.Duration) (*iam.Credentials, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.issued = append(f.issued, issue{roleARN, sessionName, d})
			n := string(rune('0' + len(f.issued)))
			return &iam.Credentials{AccessKeyID: "ASIAEXAMPLE" + n, SecretAccessKey: "secret" + n, SessionToken: "token" + n, Expiration: f.now.Add(d)}, nil
		},
		Options: func(*ec2.Instance) (int, bool) {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.hopLimit, f.tokensRequired
		},
		Now: func() time.Time {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.now
		},
	}
	return f
}

// set changes what the fakes answer, while the server may be reading it.
func (f *fixture) set(change func()) {
	f.mu.Lock()
	change()
	f.mu.Unlock()
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func (f *fixture) issues() []issue {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]issue{}, f.issued...)
}

// server serves the handler as keks does, connections in the context.
func (f *fixture) server(t *testing.T) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(f.h)
	ts.Config.ConnContext = ConnContext
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

// do sends a request with headers ("Name: value") and returns the status and body.
func do(t *testing.T, ts *httptest.Server, method, path string, headers ...string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Add(k, v)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header
}

// token starts a session as an SDK does.
func token(t *testing.T, ts *httptest.Server, ttl string) string {
	t.Helper()
	status, body, _ := do(t, ts, http.MethodPut, "/latest/api/token", tokenTTLHeader+": "+ttl)
	if status != http.StatusOK {
		t.Fatalf("PUT token with TTL %s: %d %s", ttl, status, body)
	}
	return body
}
