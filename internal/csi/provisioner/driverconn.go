package provisioner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// driverConn is the gRPC connection to the CSI driver's socket. Like
// upstream's, it never reconnects once a working connection breaks: lost is
// closed instead and the sidecar ends, so that the kubelet restarts it next
// to the restarted driver (whose in-flight operations it cannot know).
type driverConn struct {
	*grpc.ClientConn
	lost      chan struct{}
	connected atomic.Bool // a dial has succeeded
}

// dialDriver prepares the connection; nothing is dialled until the first
// call, and failing dials are retried every second until one works.
func dialDriver(address string) (*driverConn, error) {
	path := address
	if scheme, rest, ok := strings.Cut(address, "://"); ok {
		if scheme != "unix" {
			return nil, fmt.Errorf("CSI address %q: only unix sockets are supported", address)
		}
		path = rest
	}
	d := &driverConn{lost: make(chan struct{})}
	var reportLoss sync.Once
	dial := func(ctx context.Context, _ string) (net.Conn, error) {
		if d.connected.Load() {
			reportLoss.Do(func() { close(d.lost) })
			return nil, errors.New("lost connection to the CSI driver; not reconnecting")
		}
		conn, err := (&net.Dialer{}).DialContext(ctx, "unix", path)
		if err == nil {
			d.connected.Store(true)
		}
		return conn, err
	}
	retry := backoff.DefaultConfig
	retry.MaxDelay = time.Second
	cc, err := grpc.NewClient("passthrough:///"+path,
		grpc.WithTransportCredentials(insecure.NewCredentials()), // a local socket, as upstream
		grpc.WithContextDialer(dial),
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: retry}),
		grpc.WithIdleTimeout(0), // an idle channel would redial, which reads as a loss
	)
	if err != nil {
		return nil, fmt.Errorf("prepare the connection to the CSI driver at %s: %w", address, err)
	}
	d.ClientConn = cc
	return d, nil
}

// awaitLoss returns nil when ctx ends and an error as soon as the working
// connection breaks: the driver restarted, and the sidecar must too.
func (d *driverConn) awaitLoss(ctx context.Context) error {
	for state := d.GetState(); ; state = d.GetState() {
		if state != connectivity.Ready && d.connected.Load() {
			return fmt.Errorf("lost connection to the CSI driver (connection %s)", state)
		}
		select {
		case <-d.lost:
			return errors.New("lost connection to the CSI driver")
		default:
		}
		if !d.WaitForStateChange(ctx, state) {
			return nil
		}
	}
}

// waitForDriver probes the driver until it says it is ready. A driver that
// is not listening yet, or too slow to answer, is waited for; any other
// answer is an error, as upstream's ProbeForever has it.
func waitForDriver(ctx context.Context, conn *driverConn, timeout time.Duration, log *slog.Logger) error {
	identity := csi.NewIdentityClient(conn)
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for {
		log.Info("Probing CSI driver for readiness")
		ready, err := probeOnce(ctx, identity, timeout)
		switch code := status.Code(err); {
		case err == nil && ready:
			return nil
		case err == nil:
			log.Info("CSI driver is not ready")
		case code == codes.DeadlineExceeded || code == codes.Unavailable:
			log.Info("CSI driver is not answering yet", "err", err)
		default:
			return fmt.Errorf("probe the CSI driver: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-conn.lost:
			return errors.New("lost connection to the CSI driver while probing it")
		case <-ticker.C:
		}
	}
}

func probeOnce(ctx context.Context, identity csi.IdentityClient, timeout time.Duration) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rsp, err := identity.Probe(ctx, &csi.ProbeRequest{})
	if err != nil {
		return false, err
	}
	// The spec: an absent ready field means ready.
	return rsp.GetReady() == nil || rsp.GetReady().GetValue(), nil
}
