package sidecar

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestWaitForDriverWaitsForALateAndUnreadyDriver(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dir := t.TempDir()
	conn, err := DialDriver(socketIn(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	driver := newFakeDriver()
	driver.setProbe(wrapperspb.Bool(false), nil)

	waited := make(chan error, 1)
	go func() { waited <- WaitForDriver(ctx, conn, time.Second, discard) }()
	time.Sleep(300 * time.Millisecond) // the driver's container starts late
	driver.serve(t, dir)
	for driver.probeCount() == 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-waited:
		t.Fatalf("WaitForDriver = %v while the driver is not ready", err)
	default:
	}
	driver.setProbe(wrapperspb.Bool(true), nil)
	if err := <-waited; err != nil {
		t.Errorf("WaitForDriver = %v, want nil once ready", err)
	}
}

func TestWaitForDriverGivesUpOnABrokenDriver(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dir := t.TempDir()
	driver := newFakeDriver()
	driver.setProbe(nil, status.Error(codes.FailedPrecondition, "no IMDS"))
	driver.serve(t, dir)
	conn, err := DialDriver(socketIn(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := WaitForDriver(ctx, conn, time.Second, discard); status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "probe the CSI driver") {
		t.Errorf("WaitForDriver = %v, want the driver's FailedPrecondition", err)
	}
}

func TestWaitForDriverEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	conn, err := DialDriver(socketIn(t.TempDir())) // nobody listens
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := WaitForDriver(ctx, conn, 100*time.Millisecond, discard); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitForDriver = %v, want the context's end", err)
	}
}

func TestProbeDriverReadsAnAbsentReadyAsReady(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := connect(ctx, t)
	for _, answer := range []struct {
		ready *wrapperspb.BoolValue
		want  bool
	}{{nil, true}, {wrapperspb.Bool(true), true}, {wrapperspb.Bool(false), false}} {
		c.driver.setProbe(answer.ready, nil)
		if got, err := ProbeDriver(ctx, c.conn); err != nil || got != answer.want {
			t.Errorf("ready %v: ProbeDriver = %v, %v; want %v", answer.ready, got, err, answer.want)
		}
	}
}
