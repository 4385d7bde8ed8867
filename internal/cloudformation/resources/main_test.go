package resources_test

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keksdev/keks/internal/cloudformation/resource"
	"github.com/keksdev/keks/internal/cloudformation/resources"
	"github.com/keksdev/keks/internal/server"
	"github.com/keksdev/keks/internal/server/servertest"
)

// testServer is one keks serving its APIs (no reconcilers) over its real
// front door, for the package's tests: providers call it through
// aws-sdk-go-v2 clients signed with the admin user's key, as the engine
// calls them with the stack's caller's.
var testServer struct {
	models *server.Models
	http   *http.Client
}

func TestMain(m *testing.M) {
	s, err := servertest.Start("keks-cfn-resources-test-")
	if err != nil {
		panic(err)
	}
	testServer.models, testServer.http = s.Models, s.HTTP
	code := m.Run()
	s.Stop()
	os.Exit(code)
}

func testClients() *resource.Clients {
	b := testServer.models.Bootstrap
	cfg := aws.Config{Region: "us-east-1", HTTPClient: testServer.http, BaseEndpoint: aws.String(testServer.models.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(b.AccessKeyID, b.SecretAccessKey, ""), RetryMaxAttempts: 1}
	return &resource.Clients{EC2: ec2.NewFromConfig(cfg), EKS: eks.NewFromConfig(cfg), IAM: iam.NewFromConfig(cfg)}
}

// testStack runs providers as the engine would, for one test.
type testStack struct {
	t       *testing.T
	ctx     context.Context
	clients *resource.Clients
	name    string
	// made remembers each resource's request and result, by logical id.
	made map[string]*resource.Request
	out  map[string]resource.Result
}

func newTestStack(t *testing.T, name string) *testStack {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return &testStack{t: t, ctx: ctx, clients: testClients(), name: name, made: map[string]*resource.Request{}, out: map[string]resource.Result{}}
}

func (s *testStack) provider(typ string) resource.Provider {
	s.t.Helper()
	p, ok := resources.All()[typ]
	if !ok {
		s.t.Fatalf("no provider for %s", typ)
	}
	return p
}

// settle calls Wait until the operation is done, as the engine does.
func (s *testStack) settle(p resource.Provider, op string, req *resource.Request, r resource.Result) resource.Result {
	s.t.Helper()
	for i := 0; !r.Done; i++ {
		if i > 300 {
			s.t.Fatalf("%s %s did not finish", op, req.LogicalID)
		}
		if r.State != nil {
			req.State = r.State
		}
		if r.PhysicalID != "" {
			req.PhysicalID = r.PhysicalID
		}
		time.Sleep(100 * time.Millisecond)
		var err error
		if r, err = p.Wait(s.ctx, op, req); err != nil {
			s.t.Fatalf("wait %s %s: %v", op, req.LogicalID, err)
		}
	}
	if r.State != nil {
		req.State = r.State
	}
	if r.PhysicalID != "" {
		req.PhysicalID = r.PhysicalID
	}
	return r
}

// create makes a resource and waits for it.
func (s *testStack) create(logicalID, typ string, props map[string]any) resource.Result {
	s.t.Helper()
	req := &resource.Request{LogicalID: logicalID, Type: typ, Properties: props, StackName: s.name,
		StackID: "arn:aws:cloudformation:us-east-1:000000000000:stack/" + s.name + "/1", Region: "us-east-1",
		ClientToken: s.name + "-" + logicalID, Clients: s.clients}
	p := s.provider(typ)
	r, err := p.Create(s.ctx, req)
	if err != nil {
		s.t.Fatalf("create %s: %v", logicalID, err)
	}
	r = s.settle(p, "Create", req, r)
	s.made[logicalID], s.out[logicalID] = req, r
	return r
}

// createErr is a create that must fail.
func (s *testStack) createErr(logicalID, typ string, props map[string]any) error {
	s.t.Helper()
	req := &resource.Request{LogicalID: logicalID, Type: typ, Properties: props, StackName: s.name, Region: "us-east-1", Clients: s.clients}
	_, err := s.provider(typ).Create(s.ctx, req)
	if err == nil {
		s.t.Fatalf("create %s succeeded", logicalID)
	}
	return err
}

// update changes a resource's properties; replaced reports ErrReplace.
func (s *testStack) update(logicalID string, props map[string]any) (resource.Result, bool) {
	s.t.Helper()
	req := s.made[logicalID]
	upd := *req
	upd.OldProperties, upd.Properties = req.Properties, props
	p := s.provider(req.Type)
	r, err := p.Update(s.ctx, &upd)
	if err == resource.ErrReplace {
		return resource.Result{}, true
	}
	if err != nil {
		s.t.Fatalf("update %s: %v", logicalID, err)
	}
	r = s.settle(p, "Update", &upd, r)
	s.made[logicalID], s.out[logicalID] = &upd, r
	return r, false
}

// delete removes a resource and waits for it to go.
func (s *testStack) delete(logicalID string) {
	s.t.Helper()
	req := s.made[logicalID]
	p := s.provider(req.Type)
	r, err := p.Delete(s.ctx, req)
	if err != nil {
		s.t.Fatalf("delete %s: %v", logicalID, err)
	}
	s.settle(p, "Delete", req, r)
	// Again: a resource already gone is no error.
	r, err = p.Delete(s.ctx, req)
	if err != nil {
		s.t.Fatalf("delete %s again: %v", logicalID, err)
	}
	s.settle(p, "Delete", req, r)
}

func (s *testStack) ref(logicalID string) string { return s.out[logicalID].PhysicalID }

func (s *testStack) att(logicalID, name string) any { return s.out[logicalID].Attributes[name] }

func cfnTagList(kv ...string) []any {
	var out []any
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, map[string]any{"Key": kv[i], "Value": kv[i+1]})
	}
	return out
}
