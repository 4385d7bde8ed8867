package sidecar

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// probeInterval is how often a driver that is not ready yet is asked
// again, as csi-lib-utils's ProbeForever asks.
const probeInterval = time.Second

// ProbeDriver asks the driver once whether it is ready. The error is the
// call's own, so callers can read its gRPC code.
func ProbeDriver(ctx context.Context, conn grpc.ClientConnInterface, opts ...grpc.CallOption) (bool, error) {
	resp, err := csi.NewIdentityClient(conn).Probe(ctx, &csi.ProbeRequest{}, opts...)
	if err != nil {
		return false, err
	}
	// The spec: a plugin that leaves ready out is ready.
	return resp.GetReady() == nil || resp.GetReady().GetValue(), nil
}

// WaitForDriver probes the driver, each probe bounded by timeout, until it
// says it is ready. A driver that is not listening yet or too slow to
// answer is waited for, as a driver container may start after its
// sidecars; any other answer is an error, as upstream's ProbeForever has
// it.
func WaitForDriver(ctx context.Context, conn *DriverConn, timeout time.Duration, log *slog.Logger) error {
	ticker := time.NewTicker(probeInterval)
	defer ticker.Stop()
	for {
		log.Info("Probing CSI driver for readiness")
		ready, err := probeWithin(ctx, conn, timeout)
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
		case <-conn.Lost():
			return fmt.Errorf("%w while probing it", ErrConnectionLost)
		case <-ticker.C:
		}
	}
}

func probeWithin(ctx context.Context, conn grpc.ClientConnInterface, timeout time.Duration) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return ProbeDriver(ctx, conn)
}
