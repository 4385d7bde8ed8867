package store

import (
	"context"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// ErrFenced means a write was refused because its writer no longer holds
// the leadership it was made under: another keks replica leads now.
var ErrFenced = errors.New("store: write refused: this keks server is no longer the leader")

// fence is the leadership a fenced store's writes depend on: the leader
// key, still created at the revision of this writer's campaign. A new
// leader's key has another create revision, so a deposed leader's writes
// fail even before it learns that its lease is gone (a paused process).
type fence struct {
	key string // full etcd key, prefix included
	rev int64
}

// Fenced returns a view of the store whose every write (Create, Update,
// Put, Delete, DeletePrefix, Transact, and Mutate through them) commits
// only while key (a full etcd key, as an election gives it) still has
// create revision rev; otherwise it fails with ErrFenced. Reads and
// watches are unchanged.
func (s *Store) Fenced(key string, rev int64) *Store {
	c := *s
	c.fence = &fence{key: key, rev: rev}
	return &c
}

// txn commits ops if conds hold and, for a fenced store, the fence holds.
// A failed fence is ErrFenced; failed conds are an unsucceeded response,
// for the caller to tell (exists, conflict).
func (s *Store) txn(ctx context.Context, conds []clientv3.Cmp, ops ...clientv3.Op) (*clientv3.TxnResponse, error) {
	if s.fence == nil {
		if len(conds) == 0 && len(ops) == 1 {
			// One unconditional write needs no transaction.
			if _, err := s.cli.Do(ctx, ops[0]); err != nil {
				return nil, err
			}
			return &clientv3.TxnResponse{Succeeded: true}, nil
		}
		return s.cli.Txn(ctx).If(conds...).Then(ops...).Commit()
	}
	all := append([]clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(s.fence.key), "=", s.fence.rev)}, conds...)
	resp, err := s.cli.Txn(ctx).If(all...).Then(ops...).Else(clientv3.OpGet(s.fence.key, clientv3.WithKeysOnly())).Commit()
	if err != nil {
		return nil, err
	}
	if !resp.Succeeded {
		r := resp.Responses[0].GetResponseRange()
		if r == nil || len(r.Kvs) != 1 || r.Kvs[0].CreateRevision != s.fence.rev {
			return nil, fmt.Errorf("%w (leader key %s of revision %d is gone)", ErrFenced, s.fence.key, s.fence.rev)
		}
	}
	return resp, nil
}
