package kms

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/store/storetest"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// testStore is one embedded etcd for the package's tests; each test works
// in a region of its own, so tests do not see each other's keys.
var testStore *store.Store

func TestMain(m *testing.M) {
	storetest.Main(m, func(st *store.Store) func() { testStore = st; return nil })
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var regionSeq struct {
	sync.Mutex
	n int
}

// newTestService is a Service with a fresh master key, a clock of its own
// and a scope (region) no other test uses.
func newTestService(t *testing.T) (*Service, Scope, *clock) {
	t.Helper()
	master := make([]byte, MasterKeySize)
	_, _ = rand.Read(master)
	c := &clock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	regionSeq.Lock()
	regionSeq.n++
	n := regionSeq.n
	regionSeq.Unlock()
	sc := Scope{Region: "test-region-" + string(rune('a'+n%26)) + string(rune('a'+n/26)), Account: "123456789012"}
	return &Service{Store: testStore, MasterKey: master, Now: c.Now}, sc, c
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
	if e.Message == "" {
		t.Fatalf("%s without a message", code)
	}
}

func mustCreateKey(t *testing.T, s *Service, sc Scope) *Key {
	t.Helper()
	k, err := s.CreateKey(context.Background(), sc, CreateKeyInput{Description: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// pageOf is a Page with a limit and, unless "", a marker.
func pageOf(limit *int, marker string) Page {
	p := Page{Limit: limit}
	if marker != "" {
		p.Marker = &marker
	}
	return p
}
