package iam

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/store/storetest"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// testStore is one embedded etcd for the package's tests; each test works
// under a store prefix of its own.
var testStore *store.Store

var testPrefixes atomic.Int64

func TestMain(m *testing.M) {
	storetest.Main(m, func(st *store.Store) func() { testStore = st; return nil })
}

// testClock is a settable time for a test's Service.
type testClock struct{ now atomic.Pointer[time.Time] }

func (c *testClock) Now() time.Time      { return *c.now.Load() }
func (c *testClock) set(t time.Time)     { c.now.Store(&t) }
func (c *testClock) add(d time.Duration) { c.set(c.Now().Add(d)) }

// newTestService is an IAM model over a fresh part of the test store, with
// a clock the test moves.
func newTestService(t *testing.T) (*Service, *testClock) {
	t.Helper()
	clock := &testClock{}
	clock.set(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	st := store.New(testStore.Client(), fmt.Sprintf("/iam-test-%d/", testPrefixes.Add(1)), nil)
	return &Service{Store: st, Now: clock.Now}, clock
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantCode fails unless err is an AWS error with code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	e, ok := awserr.AsError(err)
	if err == nil || !ok || e.Code != code {
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
}

const (
	allowS3   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	allowEC2  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`
	allowEKS  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"}]}`
	trustEC2  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	adminARN  = "arn:aws:iam::aws:policy/AdministratorAccess"
	testCtxTO = 30 * time.Second
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testCtxTO)
	t.Cleanup(cancel)
	return ctx
}
