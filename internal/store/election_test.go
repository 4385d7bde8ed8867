package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestFencedWritesFailOnceLeadershipIsGone: a leader whose session is gone
// (here revoked, as when its lease expired while it was paused) must not
// write any more, by any write path, though it was never told; the new
// leader's writes go through.
func TestFencedWritesFailOnceLeadershipIsGone(t *testing.T) {
	s := openTestStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type doc struct{ N int }
	if err := s.Create(ctx, "k", &doc{N: 1}); err != nil {
		t.Fatal(err)
	}

	first, err := s.NewElection(5)
	if err != nil {
		t.Fatal(err)
	}
	old, err := first.Campaign(ctx, "first")
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Put(ctx, "k", &doc{N: 2}); err != nil {
		t.Fatalf("the leader's fenced write failed: %v", err)
	}
	var d doc
	rev, err := s.Get(ctx, "k", &d)
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Update(ctx, "k", &doc{N: 3}, rev-1); !errors.Is(err, ErrConflict) {
		t.Fatalf("a stale update by the leader: %v, want ErrConflict", err)
	}
	if err := old.Create(ctx, "k", &doc{}); !errors.Is(err, ErrExists) {
		t.Fatalf("a create of an existing key by the leader: %v, want ErrExists", err)
	}

	second, err := s.NewElection(5)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	won := make(chan *Store, 1)
	go func() {
		st, err := second.Campaign(ctx, "second")
		if err != nil {
			t.Error(err)
		}
		won <- st
	}()
	// Revoke the first session's lease behind its back: its key goes, the
	// second candidate leads.
	if _, err := s.cli.Revoke(ctx, first.session.Lease()); err != nil {
		t.Fatal(err)
	}
	var next *Store
	select {
	case next = <-won:
	case <-ctx.Done():
		t.Fatal("the second candidate did not lead")
	}
	if v, err := second.Leader(ctx); err != nil || v != "second" {
		t.Fatalf("leader %q, %v; want second", v, err)
	}

	writes := map[string]func() error{
		"Put":          func() error { return old.Put(ctx, "k", &doc{N: 9}) },
		"Create":       func() error { return old.Create(ctx, "new", &doc{N: 9}) },
		"Update":       func() error { return old.Update(ctx, "k", &doc{N: 9}, rev) },
		"Delete":       func() error { return old.Delete(ctx, "k") },
		"DeletePrefix": func() error { return old.DeletePrefix(ctx, "k") },
		"Mutate": func() error {
			_, err := Mutate(ctx, old, "k", func(d *doc) error { d.N = 9; return nil })
			return err
		},
		"Transact": func() error {
			return old.Transact(ctx, func(t *Txn) error { t.Put("k", &doc{N: 9}); return nil })
		},
	}
	for name, write := range writes {
		if err := write(); !errors.Is(err, ErrFenced) {
			t.Errorf("%s by the deposed leader: %v, want ErrFenced", name, err)
		}
	}
	if _, err := s.Get(ctx, "k", &d); err != nil || d.N != 2 {
		t.Fatalf("after the deposed leader's writes: %+v, %v; want N=2", d, err)
	}
	if _, err := s.Get(ctx, "new", &d); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the deposed leader created a key: %v", err)
	}
	if err := next.Put(ctx, "k", &doc{N: 4}); err != nil {
		t.Fatalf("the new leader's write: %v", err)
	}
	select {
	case <-first.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the first session did not notice its lease was gone")
	}
}
