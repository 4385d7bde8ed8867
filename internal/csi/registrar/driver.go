package registrar

import (
	"context"
	"fmt"
	"time"

	"github.com/keksdev/keks/internal/csi/sidecar"
)

// connectTimeout is how long the driver's socket is waited for, as
// csi-lib-utils waits: a driver container that never comes up restarts
// the registrar, which says so in its logs.
const connectTimeout = 30 * time.Second

// driverName asks the driver at address for its name, the one thing the
// registrar needs of it.
func driverName(ctx context.Context, address string, timeout time.Duration) (string, error) {
	conn, err := sidecar.DialUnix(address)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	connectCtx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := sidecar.WaitUntilReady(connectCtx, conn); err != nil {
		return "", fmt.Errorf("connect to the CSI driver at %s: %w", address, err)
	}
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return sidecar.DriverName(callCtx, conn)
}
