package cloudformation

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/store/storetest"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/cloudformation/resource"
	"github.com/keksdev/keks/internal/store"
)

var testStore *store.Store

var testPrefixes atomic.Int64

func TestMain(m *testing.M) {
	storetest.Main(m, func(st *store.Store) func() { testStore = st; return nil })
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	e, ok := awserr.AsError(err)
	if err == nil || !ok || e.Code != code || (msg != "" && e.Message != msg) {
		t.Fatalf("%s: got %v, want %s %q", what, err, code, msg)
	}
}

// fakeWorld is what fake providers make: physical resources by id, with
// the order of their creation and deletion.
type fakeWorld struct {
	mu      sync.Mutex
	live    map[string]map[string]any
	log     []string
	n       int
	failOn  map[string]string // logical id -> error message on create
	pending map[string]int    // logical id -> Wait calls before done
	replace map[string]bool   // property names whose change replaces
}

func newWorld() *fakeWorld {
	return &fakeWorld{live: map[string]map[string]any{}, failOn: map[string]string{}, pending: map[string]int{}, replace: map[string]bool{"Name": true}}
}

type fakeProvider struct{ w *fakeWorld }

func (p fakeProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	w := p.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if msg, ok := w.failOn[req.LogicalID]; ok {
		w.log = append(w.log, "fail "+req.LogicalID)
		return resource.Result{}, fmt.Errorf("%s", msg)
	}
	w.n++
	id := fmt.Sprintf("%s-%d", req.LogicalID, w.n)
	w.live[id] = req.Properties
	w.log = append(w.log, "create "+req.LogicalID)
	done := w.pending[req.LogicalID] == 0
	return resource.Result{PhysicalID: id, Attributes: map[string]any{"Arn": "arn:fake:" + id}, Done: done, State: map[string]string{"waits": "0"}}, nil
}

func (p fakeProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	w := p.w
	w.mu.Lock()
	defer w.mu.Unlock()
	for k := range w.replace {
		if fmt.Sprint(req.Properties[k]) != fmt.Sprint(req.OldProperties[k]) {
			return resource.Result{}, resource.ErrReplace
		}
	}
	w.live[req.PhysicalID] = req.Properties
	w.log = append(w.log, "update "+req.LogicalID)
	return resource.Result{Attributes: map[string]any{"Arn": "arn:fake:" + req.PhysicalID}, Done: true}, nil
}

func (p fakeProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	w := p.w
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.live, req.PhysicalID)
	w.log = append(w.log, "delete "+req.LogicalID)
	return resource.Result{Done: true}, nil
}

func (p fakeProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	w := p.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pending[req.LogicalID] > 0 {
		w.pending[req.LogicalID]--
		return resource.Result{}, nil
	}
	return resource.Result{Done: true}, nil
}

// newTestEngine is a CloudFormation model and engine over a fresh part
// of the test store, with fake providers for Test::Thing and AWS::IAM::Role.
func newTestEngine(t *testing.T) (*Engine, *fakeWorld) {
	t.Helper()
	st := store.New(testStore.Client(), fmt.Sprintf("/cfn-test-%d/", testPrefixes.Add(1)), nil)
	w := newWorld()
	svc := &Service{Store: st, Types: map[string]resource.Provider{"Test::Thing": fakeProvider{w}, "AWS::IAM::Role": fakeProvider{w}}}
	e := NewEngine(svc, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return e, w
}

var testCaller = Caller{ARN: "arn:aws:iam::000000000000:user/dev", UserID: "AIDAEXAMPLE", Account: "000000000000"}

// settle runs passes until no stack is in progress.
func settle(t *testing.T, e *Engine) {
	t.Helper()
	ctx := testCtx(t)
	for i := 0; i < 100; i++ {
		if !e.Pass(ctx) {
			return
		}
	}
	t.Fatal("stacks still in progress after 100 passes")
}
