package sidecar

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// connectedDriver is a fake driver and a DriverConn to it, past
// WaitForDriver.
type connectedDriver struct {
	driver *fakeDriver
	conn   *DriverConn
	dir    string // of the socket
	stop   func() // the driver
}

func connect(ctx context.Context, t *testing.T, interceptors ...grpc.UnaryClientInterceptor) connectedDriver {
	t.Helper()
	c := connectedDriver{driver: newFakeDriver(), dir: t.TempDir()}
	c.stop = c.driver.serve(t, c.dir)
	var err error
	if c.conn, err = DialDriver(socketIn(c.dir), interceptors...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.conn.Close() })
	if err := WaitForDriver(ctx, c.conn, 5*time.Second, discard); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDriverConnReportsTheDriverGoing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := connect(ctx, t)

	lost := make(chan error, 1)
	go func() { lost <- c.conn.AwaitLoss(ctx) }()
	c.stop()
	select {
	case err := <-lost:
		if !errors.Is(err, ErrConnectionLost) {
			t.Errorf("AwaitLoss = %v, want %v", err, ErrConnectionLost)
		}
	case <-ctx.Done():
		t.Fatal("AwaitLoss did not notice the driver going")
	}
}

func TestDriverConnDoesNotReconnectToARestartedDriver(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := connect(ctx, t)
	c.stop()
	// The restarted driver, on the same socket: the sidecar must not talk
	// to it, as it has forgotten what the one before was doing.
	restarted := newFakeDriver()
	restarted.serve(t, c.dir)
	// gRPC redials lazily, for a call made once it saw the connection
	// close; calls before that fail on the old one.
	for refused := false; !refused; {
		callCtx, callCancel := context.WithTimeout(ctx, 200*time.Millisecond)
		_, err := ProbeDriver(callCtx, c.conn)
		callCancel()
		if err == nil {
			t.Fatal("a call reached the restarted driver")
		}
		select {
		case <-c.conn.Lost():
			refused = true
		case <-ctx.Done():
			t.Fatal("no redial was refused")
		default:
		}
	}
	if restarted.probeCount() != 0 {
		t.Errorf("the restarted driver was probed %d times", restarted.probeCount())
	}
}

func TestAwaitLossEndsQuietlyWithItsContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := connect(ctx, t)
	watchCtx, stopWatching := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.conn.AwaitLoss(watchCtx) }()
	stopWatching()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("AwaitLoss after its context ended = %v, want nil", err)
		}
	case <-ctx.Done():
		t.Fatal("AwaitLoss did not return")
	}
}

func TestDriverConnCallsGoThroughTheInterceptors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var calls atomic.Int32
	count := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		calls.Add(1)
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	c := connect(ctx, t, count)
	if _, err := DriverName(ctx, c.conn); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n < 2 { // WaitForDriver's probe, then GetPluginInfo
		t.Errorf("interceptor saw %d calls, want the probe and GetPluginInfo", n)
	}
}
