package cwlogs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/store/storetest"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// testStore is one embedded etcd for the package's tests; each test works
// in a region of its own.
var testStore *store.Store

func TestMain(m *testing.M) {
	storetest.Main(m, func(st *store.Store) func() { testStore = st; return nil })
}

const testAccount = "123456789012"

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

var regions struct {
	sync.Mutex
	n int
}

// fixture is an open Service over the test store, with events in a
// directory of its own, a clock and a region no other test uses.
type fixture struct {
	t      *testing.T
	svc    *Service
	clock  *clock
	region string
	ctx    context.Context
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	regions.Lock()
	regions.n++
	region := fmt.Sprintf("test-%d", regions.n)
	regions.Unlock()
	c := &clock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	f := &fixture{t: t, clock: c, region: region, ctx: context.Background()}
	f.svc = f.open(t.TempDir())
	return f
}

// open is a new Service over the fixture's store and clock, events in dir.
func (f *fixture) open(dir string) *Service {
	f.t.Helper()
	svc := &Service{Store: testStore, Dir: dir, Now: f.clock.Now}
	if err := svc.Open(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	return svc
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) ms(d time.Duration) int64 { return f.clock.Now().Add(d).UnixMilli() }

// put writes messages at the given offsets from now into group/stream.
func (f *fixture) put(group, stream string, at ...time.Duration) *PutLogEventsOutput {
	f.t.Helper()
	var events []InputLogEvent
	for _, d := range at {
		events = append(events, InputLogEvent{Timestamp: f.ms(d), Message: fmt.Sprintf("%s %s", stream, d)})
	}
	out, err := f.svc.PutLogEvents(f.ctx, testAccount, f.region, PutLogEventsInput{Group: group, Stream: stream, Events: events})
	f.must(err)
	return out
}

// wantCode fails the test unless err is the AWS error code with a message
// containing msg.
func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	var e *awserr.Error
	if !errors.As(err, &e) || e.Code != code || !strings.Contains(e.Message, msg) {
		t.Fatalf("got %v, want %s containing %q", err, code, msg)
	}
}

func ptr[T any](v T) *T { return &v }

// groupID is the id of a group of the fixture's region.
func (f *fixture) groupID(name string) string {
	f.t.Helper()
	g, _, err := f.svc.getGroup(f.ctx, testAccount, f.region, name)
	f.must(err)
	return g.ID
}

func listDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, err
}

func mkdir(path string) error { return os.MkdirAll(path, 0o700) }
