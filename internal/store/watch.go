package store

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// watchBackoff bounds how quickly a lost watch is opened again.
const (
	watchBackoffMin = 100 * time.Millisecond
	watchBackoffMax = 10 * time.Second
)

// Watch streams the keys (without the store prefix) that change under prefix.
// When the store's stream is lost (leader loss, compaction, a dropped
// connection), it lists the prefix again, sends every key it holds so the
// watcher looks at all of them once more, and watches on from that listing.
// The channel closes when ctx ends.
func (s *Store) Watch(ctx context.Context, prefix string) <-chan string {
	out := make(chan string, 64)
	go func() {
		defer close(out)
		w := watcher{s: s, prefix: prefix, out: out}
		w.run(ctx)
	}()
	return out
}

type watcher struct {
	s      *Store
	prefix string
	out    chan<- string
}

func (w *watcher) run(ctx context.Context) {
	rev := int64(0) // the revision seen last; 0 until the first listing
	backoff := watchBackoffMin
	for ctx.Err() == nil {
		if rev == 0 {
			r, ok := w.relist(ctx)
			if !ok {
				if !sleep(ctx, backoff) {
					return
				}
				backoff = min(2*backoff, watchBackoffMax)
				continue
			}
			rev = r
		}
		progressed := false
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		for wr := range w.s.watch(wctx, w.s.prefix+w.prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1)) {
			if wr.Err() != nil {
				break // compacted past rev, or leader lost: list again
			}
			for _, ev := range wr.Events {
				if !w.send(ctx, string(ev.Kv.Key[len(w.s.prefix):])) {
					cancel()
					return
				}
				rev = max(rev, ev.Kv.ModRevision)
				progressed = true
			}
		}
		cancel()
		if ctx.Err() != nil {
			return
		}
		if progressed {
			backoff = watchBackoffMin
		}
		// Events may have been missed between the loss and now.
		rev = 0
		if !sleep(ctx, backoff) {
			return
		}
		backoff = min(2*backoff, watchBackoffMax)
	}
}

// relist sends every key under the prefix and returns the store's revision.
func (w *watcher) relist(ctx context.Context) (int64, bool) {
	resp, err := w.s.cli.Get(ctx, w.s.prefix+w.prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return 0, false
	}
	for _, kv := range resp.Kvs {
		if !w.send(ctx, string(kv.Key[len(w.s.prefix):])) {
			return 0, false
		}
	}
	return resp.Header.Revision, true
}

func (w *watcher) send(ctx context.Context, key string) bool {
	select {
	case w.out <- key:
		return true
	case <-ctx.Done():
		return false
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
