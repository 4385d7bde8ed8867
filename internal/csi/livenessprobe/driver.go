package livenessprobe

import (
	"context"
	"errors"
	"fmt"

	"github.com/keksdev/keks/internal/csi/sidecar"
	"google.golang.org/grpc"
)

// driverName waits for the driver as long as ctx lasts, as upstream does:
// until it answers, the probe's port is closed and the kubelet's probe
// fails, which is all a probe should do about a driver still starting.
func driverName(ctx context.Context, address string) (string, error) {
	conn, err := sidecar.DialUnix(address)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return sidecar.DriverName(ctx, conn, grpc.WaitForReady(true))
}

// probe asks the driver once whether it is ready, on a connection of its
// own, so a driver that restarted is reached at once rather than after
// gRPC's reconnection backoff.
func probe(ctx context.Context, address string) error {
	conn, err := sidecar.DialUnix(address)
	if err != nil {
		return err
	}
	defer conn.Close()
	ready, err := sidecar.ProbeDriver(ctx, conn, grpc.WaitForReady(true))
	if err != nil {
		return fmt.Errorf("probe the CSI driver: %w", err)
	}
	if !ready {
		return errors.New("driver responded but is not ready")
	}
	return nil
}
