package sidecar

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
)

// socketPath reads the address forms the sidecars accept: a path, or
// unix:// followed by one. Other schemes are refused: a sidecar reaches
// its driver over a socket shared in the pod, and a DriverConn notices the
// driver going only because it dials that socket itself.
func socketPath(address string) (string, error) {
	scheme, rest, ok := strings.Cut(address, "://")
	if !ok {
		return address, nil
	}
	if scheme != "unix" {
		return "", fmt.Errorf("CSI address %q: only unix sockets are supported", address)
	}
	return rest, nil
}

// DialUnix makes a client for the unix socket at address that reconnects
// as gRPC does. It suits connections made for one call or a few (a probe,
// the driver's name, the kubelet's registration socket); a sidecar's
// lasting connection to its driver is a DriverConn. gRPC connects when the
// first call is made.
func DialUnix(address string) (*grpc.ClientConn, error) {
	return dialUnix(address, dialSocket)
}

func dialSocket(ctx context.Context, path string) (net.Conn, error) {
	return (&net.Dialer{}).DialContext(ctx, "unix", path)
}

// dialUnix makes the client with dial as its only way to the socket, so
// that a DriverConn can see every reconnection.
func dialUnix(address string, dial func(ctx context.Context, path string) (net.Conn, error), extra ...grpc.DialOption) (*grpc.ClientConn, error) {
	path, err := socketPath(address)
	if err != nil {
		return nil, err
	}
	// A driver that starts late is reached within a second of listening,
	// not after gRPC's default backoff of up to two minutes.
	retryEverySecond := backoff.DefaultConfig
	retryEverySecond.MaxDelay = time.Second
	options := append([]grpc.DialOption{
		// A local socket: there is nothing for TLS to protect.
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: retryEverySecond}),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return dial(ctx, path) }),
	}, extra...)
	conn, err := grpc.NewClient("unix:"+path, options...)
	if err != nil {
		return nil, fmt.Errorf("make a gRPC client for %s: %w", address, err)
	}
	return conn, nil
}

// WaitUntilReady connects conn, retrying as gRPC does, until ctx ends.
func WaitUntilReady(ctx context.Context, conn *grpc.ClientConn) error {
	for {
		state := conn.GetState()
		switch state {
		case connectivity.Ready:
			return nil
		case connectivity.Idle:
			conn.Connect()
		}
		if !conn.WaitForStateChange(ctx, state) {
			return ctx.Err()
		}
	}
}
