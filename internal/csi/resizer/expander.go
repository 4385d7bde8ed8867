package resizer

import (
	"context"
	"fmt"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/keksdev/keks/internal/csi/sidecar"
	"google.golang.org/grpc"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/kubernetes"
)

// volumeExpander is what the controller needs of the driver.
type volumeExpander interface {
	// canExpand says whether the PV is this driver's.
	canExpand(pv *v1.PersistentVolume) bool
	// expand grows the volume to at least size and returns its new size and
	// whether the kubelet must still expand it on the node.
	expand(ctx context.Context, pv *v1.PersistentVolume, size resource.Quantity) (resource.Quantity, bool, error)
}

// csiExpander calls ControllerExpandVolume of one CSI driver.
type csiExpander struct {
	driverName            string
	controller            csi.ControllerClient
	timeout               time.Duration
	singleNodeMultiWriter bool
	secrets               kubernetes.Interface
}

// newCSIExpander asks the driver its name and whether it can expand
// volumes in its controller service, each call bounded by timeout; it
// refuses a driver that cannot.
func newCSIExpander(ctx context.Context, conn grpc.ClientConnInterface, timeout time.Duration, secrets kubernetes.Interface) (*csiExpander, error) {
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	name, err := sidecar.DriverName(callCtx, conn)
	cancel()
	if err != nil {
		return nil, err
	}
	callCtx, cancel = context.WithTimeout(ctx, timeout)
	services, err := sidecar.PluginCapabilities(callCtx, conn)
	cancel()
	if err != nil {
		return nil, err
	}
	if !services[csi.PluginCapability_Service_CONTROLLER_SERVICE] {
		return nil, fmt.Errorf("CSI driver %s does not offer the controller service", name)
	}
	callCtx, cancel = context.WithTimeout(ctx, timeout)
	caps, err := sidecar.ControllerCapabilities(callCtx, conn)
	cancel()
	if err != nil {
		return nil, err
	}
	if !caps[csi.ControllerServiceCapability_RPC_EXPAND_VOLUME] {
		return nil, fmt.Errorf("CSI driver %s does not have the EXPAND_VOLUME controller capability", name)
	}
	return &csiExpander{
		driverName:            name,
		controller:            csi.NewControllerClient(conn),
		timeout:               timeout,
		singleNodeMultiWriter: caps[csi.ControllerServiceCapability_RPC_SINGLE_NODE_MULTI_WRITER],
		secrets:               secrets,
	}, nil
}

func (e *csiExpander) canExpand(pv *v1.PersistentVolume) bool {
	return pv.Spec.CSI != nil && pv.Spec.CSI.Driver == e.driverName
}

func (e *csiExpander) expand(ctx context.Context, pv *v1.PersistentVolume, size resource.Quantity) (resource.Quantity, bool, error) {
	oldSize := pv.Spec.Capacity[v1.ResourceStorage]
	source := pv.Spec.CSI
	if source == nil || source.VolumeHandle == "" {
		return oldSize, false, fmt.Errorf("PV %s has no CSI volume handle", pv.Name)
	}
	capability, err := volumeCapability(pv.Spec, e.singleNodeMultiWriter)
	if err != nil {
		return oldSize, false, fmt.Errorf("volume capability of PV %s: %w", pv.Name, err)
	}
	// The driver may need credentials to expand.
	secrets, err := sidecar.SecretData(ctx, e.secrets, source.ControllerExpandSecretRef)
	if err != nil {
		return oldSize, false, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	resp, err := e.controller.ControllerExpandVolume(ctx, &csi.ControllerExpandVolumeRequest{
		VolumeId:         source.VolumeHandle,
		CapacityRange:    &csi.CapacityRange{RequiredBytes: size.Value()},
		Secrets:          secrets,
		VolumeCapability: capability,
	})
	if err != nil {
		// Unwrapped: the controller reads the gRPC code to tell final errors
		// from ones where the expansion may still be under way.
		return oldSize, false, err
	}
	return *resource.NewQuantity(resp.GetCapacityBytes(), resource.BinarySI), resp.GetNodeExpansionRequired(), nil
}
