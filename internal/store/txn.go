package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// MaxTxnOps is how many writes one transaction may hold: etcd's default
// --max-txn-ops.
const MaxTxnOps = 128

// Txn is a set of writes that commit together or not at all, with the
// revisions of the keys they were decided on: it commits only if none of
// those keys changed in between. Build one inside Transact.
type Txn struct {
	s     *Store
	conds []clientv3.Cmp
	ops   []clientv3.Op
	err   error
}

// Unchanged makes the commit depend on key still being at mod revision rev,
// as Get or ListRaw returned it; rev 0 means the key must still be absent.
func (t *Txn) Unchanged(key string, rev int64) {
	t.conds = append(t.conds, clientv3.Compare(clientv3.ModRevision(t.s.prefix+key), "=", rev))
}

// NoneUnder makes the commit depend on there being no key under prefix,
// as when a record may go only once nothing refers to it.
func (t *Txn) NoneUnder(prefix string) {
	t.conds = append(t.conds, clientv3.Compare(clientv3.CreateRevision(t.s.prefix+prefix), "=", 0).WithPrefix())
}

// Create writes v at key, which must not exist yet.
func (t *Txn) Create(key string, v any) {
	t.conds = append(t.conds, clientv3.Compare(clientv3.CreateRevision(t.s.prefix+key), "=", 0))
	t.Put(key, v)
}

// Put writes v at key. Writing a record back unchanged is how a writer
// claims it: every other transaction that depends on it then conflicts.
func (t *Txn) Put(key string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		t.err = errors.Join(t.err, fmt.Errorf("store encode %s: %w", key, err))
		return
	}
	t.ops = append(t.ops, clientv3.OpPut(t.s.prefix+key, string(data)))
}

// Delete removes key.
func (t *Txn) Delete(key string) {
	t.ops = append(t.ops, clientv3.OpDelete(t.s.prefix+key))
}

// Transact calls build to read what it needs and record its writes in a
// Txn, then commits them. When another writer changed a key the writes
// depend on first, it calls build again on fresh reads; build's own error
// aborts with nothing written.
func (s *Store) Transact(ctx context.Context, build func(t *Txn) error) error {
	for attempt := 0; ; attempt++ {
		t := &Txn{s: s}
		if err := build(t); err != nil {
			return err
		}
		if t.err != nil {
			return t.err
		}
		if len(t.ops) == 0 {
			return nil
		}
		if len(t.ops) > MaxTxnOps {
			return fmt.Errorf("store transaction of %d writes exceeds %d", len(t.ops), MaxTxnOps)
		}
		resp, err := s.txn(ctx, t.conds, t.ops...)
		if err != nil {
			return fmt.Errorf("store commit transaction: %w", err)
		}
		if resp.Succeeded {
			return nil
		}
		if attempt > 50 {
			return fmt.Errorf("store transaction: %w after %d attempts", ErrConflict, attempt+1)
		}
		if err := sleepCtx(ctx, time.Duration(attempt)*time.Millisecond); err != nil {
			return err
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
