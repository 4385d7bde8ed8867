// Package loop runs a reconciler's passes: one now, then one every period
// or as soon as someone asks, until the context ends. Passes never overlap.
package loop

import (
	"context"
	"time"
)

// Loop paces the passes of one reconciler.
type Loop struct {
	wake chan struct{}
}

// New makes a loop.
func New() *Loop { return &Loop{wake: make(chan struct{}, 1)} }

// Wake asks for a pass now; asks made during a pass fold into one.
func (l *Loop) Wake() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Run calls pass until ctx ends, one pass every period unless woken sooner.
func (l *Loop) Run(ctx context.Context, every time.Duration, pass func(context.Context)) error {
	return l.RunPaced(ctx, func(ctx context.Context) time.Duration {
		pass(ctx)
		return every
	})
}

// RunPaced calls pass until ctx ends; each pass says how long until the next
// one unless someone asks sooner: short while work is in flight, long when
// all is converged, so an idle keks costs little.
func (l *Loop) RunPaced(ctx context.Context, pass func(context.Context) time.Duration) error {
	for {
		next := pass(ctx)
		t := time.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-l.wake:
			t.Stop()
		case <-t.C:
		}
	}
}
