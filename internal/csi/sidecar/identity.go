package sidecar

import (
	"context"
	"errors"
	"fmt"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
)

// DriverName asks the driver for its name (GetPluginInfo), which names
// the sidecar's Lease, its events and the kubelet's plugin.
func DriverName(ctx context.Context, conn grpc.ClientConnInterface, opts ...grpc.CallOption) (string, error) {
	info, err := csi.NewIdentityClient(conn).GetPluginInfo(ctx, &csi.GetPluginInfoRequest{}, opts...)
	if err != nil {
		return "", fmt.Errorf("get the CSI driver's name: %w", err)
	}
	if info.GetName() == "" {
		return "", errors.New("get the CSI driver's name: the driver returned an empty name")
	}
	return info.GetName(), nil
}

// PluginCapabilities are the services the driver says it offers
// (GetPluginCapabilities).
func PluginCapabilities(ctx context.Context, conn grpc.ClientConnInterface) (map[csi.PluginCapability_Service_Type]bool, error) {
	resp, err := csi.NewIdentityClient(conn).GetPluginCapabilities(ctx, &csi.GetPluginCapabilitiesRequest{})
	if err != nil {
		return nil, fmt.Errorf("get the CSI driver's plugin capabilities: %w", err)
	}
	services := map[csi.PluginCapability_Service_Type]bool{}
	for _, c := range resp.GetCapabilities() {
		if s := c.GetService(); s != nil {
			services[s.GetType()] = true
		}
	}
	return services, nil
}

// ControllerCapabilities are the controller calls the driver says it
// serves (ControllerGetCapabilities).
func ControllerCapabilities(ctx context.Context, conn grpc.ClientConnInterface) (map[csi.ControllerServiceCapability_RPC_Type]bool, error) {
	resp, err := csi.NewControllerClient(conn).ControllerGetCapabilities(ctx, &csi.ControllerGetCapabilitiesRequest{})
	if err != nil {
		return nil, fmt.Errorf("get the CSI driver's controller capabilities: %w", err)
	}
	calls := map[csi.ControllerServiceCapability_RPC_Type]bool{}
	for _, c := range resp.GetCapabilities() {
		if r := c.GetRpc(); r != nil {
			calls[r.GetType()] = true
		}
	}
	return calls, nil
}
