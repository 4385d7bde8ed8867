package sidecar

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
)

func TestDriverIdentityAndCapabilities(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := connect(ctx, t)
	conn := c.conn

	if name, err := DriverName(ctx, conn); err != nil || name != "ebs.csi.aws.com" {
		t.Errorf("DriverName = %q, %v", name, err)
	}
	services, err := PluginCapabilities(ctx, conn)
	if err != nil || len(services) != 1 || !services[csi.PluginCapability_Service_CONTROLLER_SERVICE] {
		t.Errorf("PluginCapabilities = %v, %v; want CONTROLLER_SERVICE alone", services, err)
	}
	calls, err := ControllerCapabilities(ctx, conn)
	if err != nil || len(calls) != 1 || !calls[csi.ControllerServiceCapability_RPC_EXPAND_VOLUME] {
		t.Errorf("ControllerCapabilities = %v, %v; want EXPAND_VOLUME alone", calls, err)
	}

	c.driver.mu.Lock()
	c.driver.name = ""
	c.driver.mu.Unlock()
	if _, err := DriverName(ctx, conn); err == nil || !strings.Contains(err.Error(), "empty name") {
		t.Errorf("DriverName of a nameless driver = %v, want an error", err)
	}
}
