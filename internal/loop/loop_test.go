package loop

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunPacedWaitsAsToldOrUntilWoken(t *testing.T) {
	l := New()
	ctx, cancel := context.WithCancel(context.Background())
	var passes atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = l.RunPaced(ctx, func(context.Context) time.Duration { passes.Add(1); return time.Hour })
	}()
	deadline := time.Now().Add(5 * time.Second)
	for passes.Load() < 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := passes.Load(); n != 1 {
		t.Fatalf("%d passes before any wake; want 1", n)
	}
	l.Wake()
	for passes.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := passes.Load(); n != 2 {
		t.Fatalf("%d passes after a wake; want 2", n)
	}
	cancel()
	<-done
}
