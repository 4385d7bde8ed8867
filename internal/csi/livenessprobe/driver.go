package livenessprobe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
)

// dialUnix makes a client for a unix socket, given as a path or unix://
// followed by one. gRPC connects when the first call is made.
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

// driverName waits for the driver as long as ctx lasts, as upstream does:
// until it answers, the probe's port is closed and the kubelet's probe
// fails, which is all a probe should do about a driver still starting.
func driverName(ctx context.Context, address string) (string, error) {
	conn, err := dialUnix(address)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	info, err := csi.NewIdentityClient(conn).GetPluginInfo(ctx, &csi.GetPluginInfoRequest{}, grpc.WaitForReady(true))
	if err != nil {
		return "", fmt.Errorf("get the CSI driver's name: %w", err)
	}
	if info.GetName() == "" {
		return "", errors.New("the CSI driver returned an empty name")
	}
	return info.GetName(), nil
}

// probe asks the driver once whether it is ready, on a connection of its
// own, so a driver that restarted is reached at once rather than after
// gRPC's reconnection backoff.
func probe(ctx context.Context, address string) error {
	conn, err := dialUnix(address)
	if err != nil {
		return err
	}
	defer conn.Close()
	resp, err := csi.NewIdentityClient(conn).Probe(ctx, &csi.ProbeRequest{}, grpc.WaitForReady(true))
	if err != nil {
		return fmt.Errorf("probe the CSI driver: %w", err)
	}
	// The spec: a plugin that leaves ready out is ready.
	if ready := resp.GetReady(); ready != nil && !ready.GetValue() {
		return errors.New("driver responded but is not ready")
	}
	return nil
}
