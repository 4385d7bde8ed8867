package resizer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// errCSIConnectionLost ends the resizer as upstream's does: a driver that
// restarted may have lost state, and a fresh start is the simplest way to
// be sure nothing is built on it.
var errCSIConnectionLost = errors.New("lost the connection to the CSI driver")

// dialCSI makes a client for the driver's socket. The connection is made
// lazily, so waitForDriver must follow.
func dialCSI(address string, interceptors ...grpc.UnaryClientInterceptor) (*grpc.ClientConn, error) {
	retryEverySecond := backoff.DefaultConfig
	retryEverySecond.MaxDelay = time.Second
	opts := []grpc.DialOption{
		// A local socket inside the pod: there is nothing for TLS to protect.
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: retryEverySecond}),
		// An idle connection must not be closed: watchConnection would
		// take it for a lost driver.
		grpc.WithIdleTimeout(0),
		grpc.WithChainUnaryInterceptor(interceptors...),
	}
	target := address
	if path, ok := unixSocketPath(address); ok {
		target = "unix:" + path
	}
	conn, err := grpc.NewClient(target, opts...)
	if err != nil {
		return nil, fmt.Errorf("make a gRPC client for %s: %w", address, err)
	}
	return conn, nil
}

// watchConnection returns errCSIConnectionLost when the connection to the
// driver breaks (gRPC would reconnect silently at the next call), nil when
// ctx ends. The connection must be ready to begin with.
func watchConnection(ctx context.Context, conn *grpc.ClientConn) error {
	for {
		state := conn.GetState()
		if state != connectivity.Ready {
			return fmt.Errorf("%w (connection %s)", errCSIConnectionLost, state)
		}
		if !conn.WaitForStateChange(ctx, state) {
			return nil
		}
	}
}

// unixSocketPath reads the address forms the sidecars accept: a path, or
// unix:// followed by one.
func unixSocketPath(address string) (string, bool) {
	if strings.HasPrefix(address, "/") {
		return address, true
	}
	if path, ok := strings.CutPrefix(address, "unix://"); ok {
		return path, true
	}
	return "", false
}

// waitForDriver probes the driver until it says it is ready. Each probe
// waits up to timeout for the socket, so a driver container that starts
// after the sidecar is waited for rather than treated as broken.
func waitForDriver(ctx context.Context, conn *grpc.ClientConn, timeout time.Duration, log *slog.Logger) error {
	identity := csi.NewIdentityClient(conn)
	for {
		log.Info("probing the CSI driver for readiness")
		ready, err := probeOnce(ctx, identity, timeout)
		switch {
		case err == nil && ready:
			return nil
		case err == nil:
			log.Info("the CSI driver is not ready yet")
		case status.Code(err) == codes.DeadlineExceeded || status.Code(err) == codes.Unavailable:
			log.Info("the CSI driver does not answer yet", "err", err)
		default:
			return fmt.Errorf("probe the CSI driver: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func probeOnce(ctx context.Context, identity csi.IdentityClient, timeout time.Duration) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := identity.Probe(ctx, &csi.ProbeRequest{}, grpc.WaitForReady(true))
	if err != nil {
		if ctx.Err() != nil {
			// WaitForReady turns a socket nobody listens on yet into a
			// deadline; report it as the gRPC code callers retry on.
			return false, status.Error(codes.DeadlineExceeded, err.Error())
		}
		return false, err
	}
	// The spec: a plugin that leaves ready out is ready.
	return resp.GetReady() == nil || resp.GetReady().GetValue(), nil
}
