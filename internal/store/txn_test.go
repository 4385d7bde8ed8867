package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestTransactLosesNoUpdate has writers each add a record and bump a shared
// counter in one transaction: every record must be there and the counter
// must count them all.
func TestTransactLosesNoUpdate(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	type counter struct{ N int }
	if err := s.Create(ctx, "count", &counter{}); err != nil {
		t.Fatal(err)
	}
	const writers = 16
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Transact(ctx, func(t *Txn) error {
				var c counter
				rev, err := s.Get(ctx, "count", &c)
				if err != nil {
					return err
				}
				c.N++
				t.Unchanged("count", rev)
				t.Put("count", &c)
				t.Create(fmt.Sprintf("items/%02d", i), &c)
				return nil
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var c counter
	if _, err := s.Get(ctx, "count", &c); err != nil || c.N != writers {
		t.Fatalf("counter %d after %d writers (%v)", c.N, writers, err)
	}
	items, err := s.ListRaw(ctx, "items/")
	if err != nil || len(items) != writers {
		t.Fatalf("%d items after %d writers (%v)", len(items), writers, err)
	}
}

func TestTransactWritesNothingOnError(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	refused := errors.New("refused")
	err := s.Transact(ctx, func(t *Txn) error {
		t.Put("a", 1)
		return refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("build's error: got %v", err)
	}
	var v int
	if _, err := s.Get(ctx, "a", &v); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an aborted transaction wrote: %v", err)
	}
	// A create of an existing key conflicts on every attempt: the
	// transaction must give up rather than overwrite.
	if err := s.Create(ctx, "b", 1); err != nil {
		t.Fatal(err)
	}
	err = s.Transact(ctx, func(t *Txn) error { t.Create("b", 2); t.Put("c", 3); return nil })
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("create over an existing key: got %v", err)
	}
	if _, err := s.Get(ctx, "c", &v); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused transaction wrote part of itself: %v", err)
	}
	err = s.Transact(ctx, func(t *Txn) error {
		for i := range MaxTxnOps + 1 {
			t.Put(fmt.Sprint("many/", i), i)
		}
		return nil
	})
	if err == nil {
		t.Fatal("a transaction beyond etcd's limit was sent")
	}
}

// TestNoneUnder has a delete that needs an empty prefix race a create under
// it: whichever commits second must see the first.
func TestNoneUnder(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	if err := s.Transact(ctx, func(t *Txn) error { t.NoneUnder("kids/"); t.Put("parent", 1); return nil }); err != nil {
		t.Fatalf("an empty prefix: %v", err)
	}
	if err := s.Create(ctx, "kids/a", 1); err != nil {
		t.Fatal(err)
	}
	builds := 0
	err := s.Transact(ctx, func(t *Txn) error {
		builds++
		if builds > 1 {
			return errors.New("seen")
		}
		t.NoneUnder("kids/")
		t.Delete("parent")
		return nil
	})
	if err == nil || err.Error() != "seen" {
		t.Fatalf("a delete committed over a key under the prefix: %v", err)
	}
}
