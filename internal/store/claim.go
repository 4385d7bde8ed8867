package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// claimKey is held, under a lease, by the keks server that runs the store's
// reconcilers: two servers converging the same records would fight.
const claimKey = "server"

// claimTTL is how long a claim outlives a server that died without releasing it.
const claimTTL = 15 // seconds

// ErrClaimed means another keks server holds the store.
var ErrClaimed = errors.New("store: claimed by another keks server")

// Claim takes the store for one server, described by holder (shown to a
// second server that tries), for as long as ctx lasts or until release.
// stale says whether a claim found in the store is one the caller knows to
// be dead (its own, left by a crash before the lease ran out); it is taken over.
func (s *Store) Claim(ctx context.Context, holder string, stale func(other string) bool) (release func(), err error) {
	release, other, err := s.claim(ctx, holder)
	if errors.Is(err, ErrClaimed) && stale(other) {
		if _, err := s.cli.Delete(ctx, s.prefix+claimKey); err != nil {
			return nil, fmt.Errorf("store claim: remove a stale claim: %w", err)
		}
		release, _, err = s.claim(ctx, holder)
	}
	return release, err
}

func (s *Store) claim(ctx context.Context, holder string) (release func(), other string, err error) {
	lease, err := s.cli.Grant(ctx, claimTTL)
	if err != nil {
		return nil, "", fmt.Errorf("store claim: grant lease: %w", err)
	}
	k := s.prefix + claimKey
	resp, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).
		Then(clientv3.OpPut(k, holder, clientv3.WithLease(lease.ID))).
		Else(clientv3.OpGet(k)).Commit()
	if err != nil {
		return nil, "", fmt.Errorf("store claim: %w", err)
	}
	if !resp.Succeeded {
		_, _ = s.cli.Revoke(ctx, lease.ID)
		other = "unknown"
		if r := resp.Responses[0].GetResponseRange(); r != nil && len(r.Kvs) == 1 {
			other = string(r.Kvs[0].Value)
		}
		return nil, other, fmt.Errorf("%w: %s", ErrClaimed, other)
	}
	kctx, cancel := context.WithCancel(ctx)
	alive, err := s.cli.KeepAlive(kctx, lease.ID)
	if err != nil {
		cancel()
		return nil, "", fmt.Errorf("store claim: keep lease alive: %w", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range alive { // drained so the client does not warn of a full channel
		}
	}()
	return func() {
		cancel()
		<-done
		rctx, rcancel := context.WithTimeout(context.Background(), claimTTL*time.Second)
		defer rcancel()
		_, _ = s.cli.Revoke(rctx, lease.ID)
	}, "", nil
}
