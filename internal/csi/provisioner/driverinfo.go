package provisioner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
)

// driverInfo is what the driver says about itself once, at start.
type driverInfo struct {
	name       string
	plugin     map[csi.PluginCapability_Service_Type]bool
	controller map[csi.ControllerServiceCapability_RPC_Type]bool
}

// discoverDriver asks for the driver's name and capabilities, each call
// with its own timeout.
func discoverDriver(ctx context.Context, conn grpc.ClientConnInterface, timeout time.Duration) (driverInfo, error) {
	identity := csi.NewIdentityClient(conn)
	info := driverInfo{
		plugin:     map[csi.PluginCapability_Service_Type]bool{},
		controller: map[csi.ControllerServiceCapability_RPC_Type]bool{},
	}

	callCtx, cancel := context.WithTimeout(ctx, timeout)
	pluginInfo, err := identity.GetPluginInfo(callCtx, &csi.GetPluginInfoRequest{})
	cancel()
	if err != nil {
		return info, fmt.Errorf("get the CSI driver's name: %w", err)
	}
	if info.name = pluginInfo.GetName(); info.name == "" {
		return info, errors.New("get the CSI driver's name: driver name is empty")
	}

	callCtx, cancel = context.WithTimeout(ctx, timeout)
	pluginCaps, err := identity.GetPluginCapabilities(callCtx, &csi.GetPluginCapabilitiesRequest{})
	cancel()
	if err != nil {
		return info, fmt.Errorf("get the CSI driver's plugin capabilities: %w", err)
	}
	for _, c := range pluginCaps.GetCapabilities() {
		if s := c.GetService(); s != nil {
			info.plugin[s.GetType()] = true
		}
	}

	callCtx, cancel = context.WithTimeout(ctx, timeout)
	controllerCaps, err := csi.NewControllerClient(conn).ControllerGetCapabilities(callCtx, &csi.ControllerGetCapabilitiesRequest{})
	cancel()
	if err != nil {
		return info, fmt.Errorf("get the CSI driver's controller capabilities: %w", err)
	}
	for _, c := range controllerCaps.GetCapabilities() {
		if r := c.GetRpc(); r != nil {
			info.controller[r.GetType()] = true
		}
	}
	return info, nil
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
