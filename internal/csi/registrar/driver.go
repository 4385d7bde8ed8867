package registrar

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
)

// connectTimeout is how long the driver's socket is waited for, as
// csi-lib-utils waits: a driver container that never comes up restarts
// the registrar, which says so in its logs.
const connectTimeout = 30 * time.Second

// driverName asks the driver at address for its name, the one thing the
// registrar needs of it.
func driverName(ctx context.Context, address string, timeout time.Duration) (string, error) {
	conn, err := dialUnix(address)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	connectCtx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := waitUntilReady(connectCtx, conn); err != nil {
		return "", fmt.Errorf("connect to the CSI driver at %s: %w", address, err)
	}
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	info, err := csi.NewIdentityClient(conn).GetPluginInfo(callCtx, &csi.GetPluginInfoRequest{})
	if err != nil {
		return "", fmt.Errorf("get the CSI driver's name: %w", err)
	}
	if info.GetName() == "" {
		return "", errors.New("the CSI driver returned an empty name")
	}
	return info.GetName(), nil
}

// dialUnix makes a client for a unix socket, given as a path or unix://
// followed by one.
func dialUnix(address string) (*grpc.ClientConn, error) {
	path := strings.TrimPrefix(address, "unix://")
	// A driver that starts late is reached within a second of listening,
	// not after gRPC's default backoff of up to two minutes.
	retryEverySecond := backoff.DefaultConfig
	retryEverySecond.MaxDelay = time.Second
	conn, err := grpc.NewClient("unix:"+path,
		// A local socket: there is nothing for TLS to protect.
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: retryEverySecond}))
	if err != nil {
		return nil, fmt.Errorf("make a gRPC client for %s: %w", address, err)
	}
	return conn, nil
}

// waitUntilReady connects conn, retrying as gRPC does, until ctx ends.
func waitUntilReady(ctx context.Context, conn *grpc.ClientConn) error {
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
