package provisioner

import (
	"context"
	"errors"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/keksdev/keks/internal/csi/sidecar"
	"google.golang.org/grpc"
)

// driverInfo is what the driver says about itself once, at start.
type driverInfo struct {
	name       string
	plugin     map[csi.PluginCapability_Service_Type]bool
	controller map[csi.ControllerServiceCapability_RPC_Type]bool
}

// discoverDriver asks for the driver's name and capabilities, each call
// bounded by timeout. Like upstream, it asks for the controller's
// capabilities whatever the plugin's are: checkProvisioning judges them.
func discoverDriver(ctx context.Context, conn grpc.ClientConnInterface, timeout time.Duration) (driverInfo, error) {
	var info driverInfo
	var err error
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	info.name, err = sidecar.DriverName(callCtx, conn)
	cancel()
	if err != nil {
		return info, err
	}
	callCtx, cancel = context.WithTimeout(ctx, timeout)
	info.plugin, err = sidecar.PluginCapabilities(callCtx, conn)
	cancel()
	if err != nil {
		return info, err
	}
	callCtx, cancel = context.WithTimeout(ctx, timeout)
	info.controller, err = sidecar.ControllerCapabilities(callCtx, conn)
	cancel()
	return info, err
}

// checkProvisioning is upstream's precondition for every CreateVolume and
// DeleteVolume: without both capabilities the driver cannot provision.
func (d driverInfo) checkProvisioning() error {
	if !d.plugin[csi.PluginCapability_Service_CONTROLLER_SERVICE] {
		return errors.New("CSI driver does not support dynamic provisioning: plugin CONTROLLER_SERVICE capability is not reported")
	}
	if !d.controller[csi.ControllerServiceCapability_RPC_CREATE_DELETE_VOLUME] {
		return errors.New("CSI driver does not support dynamic provisioning: controller CREATE_DELETE_VOLUME capability is not reported")
	}
	return nil
}
