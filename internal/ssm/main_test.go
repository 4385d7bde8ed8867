package ssm

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/store/storetest"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// testStore is one embedded etcd for the package's tests; each test works
// in an account of its own.
var testStore *store.Store

func TestMain(m *testing.M) {
	storetest.Main(m, func(st *store.Store) func() { testStore = st; return nil })
}

var accountSeq struct {
	sync.Mutex
	n int
}

func newTestService(t *testing.T) (*Service, Scope) {
	t.Helper()
	accountSeq.Lock()
	accountSeq.n++
	n := accountSeq.n
	accountSeq.Unlock()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	return &Service{Store: testStore, Now: func() time.Time { return now }}, Scope{Account: "1234567890" + string(rune('0'+n/10)) + string(rune('0'+n%10)), Region: "us-east-1"}
}

// wantCode fails the test unless err is the AWS error code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var e *awserr.Error
	if !errors.As(err, &e) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if e.Code != code {
		t.Fatalf("want %s, got %s: %s", code, e.Code, e.Message)
	}
}

func str(s string) *string { return &s }
