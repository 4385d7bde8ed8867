package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

var (
	// ErrNotFound means the key does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrExists means a create found the key already there.
	ErrExists = errors.New("store: already exists")
	// ErrConflict means the key changed since it was read.
	ErrConflict = errors.New("store: conflict")
)

// Store is a JSON document store over etcd.
type Store struct {
	cli    *clientv3.Client
	prefix string
	close  func()
	// watch opens an etcd watch; tests replace it to lose streams on purpose.
	watch func(ctx context.Context, key string, opts ...clientv3.OpOption) clientv3.WatchChan
	// sealer seals secret fields once UseSealKey has set it (sealing.go).
	sealer *Sealer
	// member is the embedded etcd's client URL; empty for an external store.
	member string
	// fence, if set, is a condition every write carries (fence.go): the
	// writer's leadership, so a deposed leader's writes fail.
	fence *fence
}

// New wraps an etcd client; every key is put under prefix.
func New(cli *clientv3.Client, prefix string, closeFn func()) *Store {
	return &Store{cli: cli, prefix: prefix, close: closeFn, watch: cli.Watch}
}

// Close releases the client and, for an embedded store, stops etcd.
func (s *Store) Close() {
	if s.close != nil {
		s.close()
	}
}

// Client exposes the etcd client for health checks.
func (s *Store) Client() *clientv3.Client { return s.cli }

// Get reads key into v and returns its mod revision.
func (s *Store) Get(ctx context.Context, key string, v any) (int64, error) {
	resp, err := s.cli.Get(ctx, s.prefix+key)
	if err != nil {
		return 0, fmt.Errorf("store get %s: %w", key, err)
	}
	if len(resp.Kvs) == 0 {
		return 0, ErrNotFound
	}
	if err := json.Unmarshal(resp.Kvs[0].Value, v); err != nil {
		return 0, fmt.Errorf("store decode %s: %w", key, err)
	}
	return resp.Kvs[0].ModRevision, nil
}

// Create writes v at key only if key does not exist.
func (s *Store) Create(ctx context.Context, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store encode %s: %w", key, err)
	}
	k := s.prefix + key
	resp, err := s.txn(ctx, []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(k), "=", 0)}, clientv3.OpPut(k, string(data)))
	if err != nil {
		return fmt.Errorf("store create %s: %w", key, err)
	}
	if !resp.Succeeded {
		return ErrExists
	}
	return nil
}

// Update writes v at key if the key is still at revision rev.
func (s *Store) Update(ctx context.Context, key string, v any, rev int64) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store encode %s: %w", key, err)
	}
	k := s.prefix + key
	resp, err := s.txn(ctx, []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(k), "=", rev)}, clientv3.OpPut(k, string(data)))
	if err != nil {
		return fmt.Errorf("store update %s: %w", key, err)
	}
	if !resp.Succeeded {
		return ErrConflict
	}
	return nil
}

// Put writes v at key unconditionally.
func (s *Store) Put(ctx context.Context, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store encode %s: %w", key, err)
	}
	if _, err := s.txn(ctx, nil, clientv3.OpPut(s.prefix+key, string(data))); err != nil {
		return fmt.Errorf("store put %s: %w", key, err)
	}
	return nil
}

// Delete removes key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if _, err := s.txn(ctx, nil, clientv3.OpDelete(s.prefix+key)); err != nil {
		return fmt.Errorf("store delete %s: %w", key, err)
	}
	return nil
}

// DeletePrefix removes every key under prefix.
func (s *Store) DeletePrefix(ctx context.Context, prefix string) error {
	if _, err := s.txn(ctx, nil, clientv3.OpDelete(s.prefix+prefix, clientv3.WithPrefix())); err != nil {
		return fmt.Errorf("store delete %s*: %w", prefix, err)
	}
	return nil
}

// Raw is one listed value, still encoded.
type Raw struct {
	Key   string
	Value []byte
	Rev   int64
}

// ListRaw returns every key under prefix, sorted by key.
func (s *Store) ListRaw(ctx context.Context, prefix string) ([]Raw, error) {
	resp, err := s.cli.Get(ctx, s.prefix+prefix, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
	if err != nil {
		return nil, fmt.Errorf("store list %s: %w", prefix, err)
	}
	out := make([]Raw, len(resp.Kvs))
	for i, kv := range resp.Kvs {
		out[i] = Raw{Key: string(kv.Key[len(s.prefix):]), Value: kv.Value, Rev: kv.ModRevision}
	}
	return out, nil
}

// List decodes every value under prefix into a slice of T.
func List[T any](ctx context.Context, s *Store, prefix string) ([]T, error) {
	raws, err := s.ListRaw(ctx, prefix)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(raws))
	for _, r := range raws {
		var v T
		if err := json.Unmarshal(r.Value, &v); err != nil {
			return nil, fmt.Errorf("store decode %s: %w", r.Key, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// Mutate reads key into v, calls fn to change it, and writes it back,
// retrying when another writer got there first. fn may return an error to abort.
func Mutate[T any](ctx context.Context, s *Store, key string, fn func(*T) error) (*T, error) {
	for attempt := 0; ; attempt++ {
		var v T
		rev, err := s.Get(ctx, key, &v)
		if err != nil {
			return nil, err
		}
		before, err := json.Marshal(&v)
		if err != nil {
			return nil, fmt.Errorf("store encode %s: %w", key, err)
		}
		if err := fn(&v); err != nil {
			return nil, err
		}
		// An unchanged value is not written: a write would wake every
		// watcher (reconcilers included) for nothing.
		if after, err := json.Marshal(&v); err == nil && bytes.Equal(before, after) {
			return &v, nil
		}
		err = s.Update(ctx, key, &v, rev)
		if err == nil {
			return &v, nil
		}
		if !errors.Is(err, ErrConflict) || attempt > 50 {
			return nil, err
		}
		time.Sleep(time.Duration(attempt) * time.Millisecond)
	}
}
