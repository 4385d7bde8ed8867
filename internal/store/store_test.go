package store

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

func openTestStore(t *testing.T) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := OpenEmbedded(ctx, t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestMutateWritesOnlyChanges(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	type doc struct{ N int }
	if err := s.Create(ctx, "k", &doc{N: 1}); err != nil {
		t.Fatal(err)
	}
	var d doc
	rev, _ := s.Get(ctx, "k", &d)
	if _, err := Mutate(ctx, s, "k", func(d *doc) error { d.N = 1; return nil }); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Get(ctx, "k", &d); again != rev {
		t.Fatalf("an unchanged value was written: revision %d -> %d", rev, again)
	}
	if _, err := Mutate(ctx, s, "k", func(d *doc) error { d.N = 2; return nil }); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Get(ctx, "k", &d); again == rev || d.N != 2 {
		t.Fatalf("a change was not written: revision %d -> %d, value %d", rev, again, d.N)
	}
}

// TestWatchSurvivesLostStream loses the etcd stream after every response:
// the watcher must list again and carry on, missing no key written meanwhile.
func TestWatchSurvivesLostStream(t *testing.T) {
	s := openTestStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	real := s.watch
	var losses atomic.Int32
	s.watch = func(ctx context.Context, key string, opts ...clientv3.OpOption) clientv3.WatchChan {
		in := real(ctx, key, opts...)
		out := make(chan clientv3.WatchResponse)
		go func() {
			defer close(out)
			for wr := range in {
				if len(wr.Events) == 0 {
					continue
				}
				select {
				case out <- wr:
				case <-ctx.Done():
				}
				losses.Add(1)
				return // the stream is lost after one response
			}
		}()
		return out
	}
	keys := s.Watch(ctx, "w/")
	want := map[string]bool{"w/a": true, "w/b": true, "w/c": true, "w/d": true}
	for k := range want {
		if err := s.Put(ctx, k, k); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for len(seen) < len(want) {
		select {
		case k := <-keys:
			seen[k] = true
		case <-ctx.Done():
			t.Fatalf("saw %v of %v after the stream was lost %d times", seen, want, losses.Load())
		}
	}
	if losses.Load() == 0 {
		t.Fatal("the stream was never lost")
	}
	// The watch still works after its losses.
	if err := s.Put(ctx, "w/late", 1); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case k := <-keys:
			if k == "w/late" {
				return
			}
		case <-ctx.Done():
			t.Fatal("no event after the stream was lost")
		}
	}
}

func TestClaimRefusesASecondServer(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	never := func(string) bool { return false }
	release, err := s.Claim(ctx, "first", never)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Claim(ctx, "second", never); !errors.Is(err, ErrClaimed) || !strings.Contains(err.Error(), "first") {
		t.Fatalf("second claim: %v", err)
	}
	// A claim its owner knows to be dead is taken over.
	takeover, err := s.Claim(ctx, "first again", func(other string) bool { return other == "first" })
	if err != nil {
		t.Fatalf("take over a stale claim: %v", err)
	}
	takeover()
	release() // revoking a lease already gone is harmless
	again, err := s.Claim(ctx, "third", never)
	if err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	again()
}
