package sidecar

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
)

// ErrConnectionLost ends a sidecar whose driver went away: a driver that
// restarted has forgotten the operations it had in flight, and a sidecar
// starting afresh next to it is the simplest way to be sure nothing is
// built on them, as upstream's sidecars do.
var ErrConnectionLost = errors.New("lost connection to the CSI driver")

// DriverConn is a sidecar's lasting gRPC connection to its driver. Like
// upstream's, it never reconnects once a working connection breaks: Lost
// is closed instead, and AwaitLoss ends the sidecar, so that the kubelet
// restarts it next to the restarted driver.
type DriverConn struct {
	*grpc.ClientConn
	lost      chan struct{}
	connected atomic.Bool // a dial has succeeded
}

// DialDriver prepares the connection to the driver at address, timing each
// call with interceptors (the resizer's metrics). Nothing is dialled until
// the first call, and failing dials are retried every second until one
// works: WaitForDriver is what waits for it.
func DialDriver(address string, interceptors ...grpc.UnaryClientInterceptor) (*DriverConn, error) {
	d := &DriverConn{lost: make(chan struct{})}
	var reportLoss sync.Once
	dialOnce := func(ctx context.Context, path string) (net.Conn, error) {
		if d.connected.Load() {
			reportLoss.Do(func() { close(d.lost) })
			return nil, fmt.Errorf("%w; not reconnecting", ErrConnectionLost)
		}
		conn, err := dialSocket(ctx, path)
		if err == nil {
			d.connected.Store(true)
		}
		return conn, err
	}
	conn, err := dialUnix(address, dialOnce,
		// An idle channel would redial, which reads as a loss.
		grpc.WithIdleTimeout(0),
		grpc.WithChainUnaryInterceptor(interceptors...))
	if err != nil {
		return nil, fmt.Errorf("prepare the connection to the CSI driver: %w", err)
	}
	d.ClientConn = conn
	return d, nil
}

// Lost is closed once gRPC tried to redial the driver after a working
// connection broke.
func (d *DriverConn) Lost() <-chan struct{} { return d.lost }

// AwaitLoss returns nil when ctx ends and ErrConnectionLost as soon as the
// working connection breaks (gRPC would otherwise reconnect silently at
// the next call).
func (d *DriverConn) AwaitLoss(ctx context.Context) error {
	for state := d.GetState(); ; state = d.GetState() {
		if state != connectivity.Ready && d.connected.Load() {
			return fmt.Errorf("%w (connection %s)", ErrConnectionLost, state)
		}
		select {
		case <-d.lost:
			return ErrConnectionLost
		default:
		}
		if !d.WaitForStateChange(ctx, state) {
			return nil
		}
	}
}
