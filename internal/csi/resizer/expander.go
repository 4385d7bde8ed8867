package resizer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
// volumes in its controller service; it refuses a driver that cannot.
func newCSIExpander(ctx context.Context, conn *grpc.ClientConn, timeout time.Duration, secrets kubernetes.Interface) (*csiExpander, error) {
	name, err := driverName(ctx, conn, timeout)
	if err != nil {
		return nil, err
	}
	hasController, err := hasControllerService(ctx, conn, timeout)
	if err != nil {
		return nil, err
	}
	if !hasController {
		return nil, fmt.Errorf("CSI driver %s does not offer the controller service", name)
	}
	caps, err := controllerCapabilities(ctx, conn, timeout)
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

func driverName(ctx context.Context, conn *grpc.ClientConn, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	info, err := csi.NewIdentityClient(conn).GetPluginInfo(ctx, &csi.GetPluginInfoRequest{})
	if err != nil {
		return "", fmt.Errorf("get the CSI driver's name: %w", err)
	}
	if info.GetName() == "" {
		return "", errors.New("the CSI driver returned an empty name")
	}
	return info.GetName(), nil
}

func hasControllerService(ctx context.Context, conn *grpc.ClientConn, timeout time.Duration) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := csi.NewIdentityClient(conn).GetPluginCapabilities(ctx, &csi.GetPluginCapabilitiesRequest{})
	if err != nil {
		return false, fmt.Errorf("get the CSI driver's plugin capabilities: %w", err)
	}
	for _, c := range resp.GetCapabilities() {
		if c.GetService().GetType() == csi.PluginCapability_Service_CONTROLLER_SERVICE {
			return true, nil
		}
	}
	return false, nil
}

func controllerCapabilities(ctx context.Context, conn *grpc.ClientConn, timeout time.Duration) (map[csi.ControllerServiceCapability_RPC_Type]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := csi.NewControllerClient(conn).ControllerGetCapabilities(ctx, &csi.ControllerGetCapabilitiesRequest{})
	if err != nil {
		return nil, fmt.Errorf("get the CSI driver's controller capabilities: %w", err)
	}
	caps := map[csi.ControllerServiceCapability_RPC_Type]bool{}
	for _, c := range resp.GetCapabilities() {
		caps[c.GetRpc().GetType()] = true
	}
	return caps, nil
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
	secrets, err := e.expandSecrets(ctx, source.ControllerExpandSecretRef)
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

// expandSecrets reads the PV's controllerExpandSecretRef, as the driver
// may need credentials to expand.
func (e *csiExpander) expandSecrets(ctx context.Context, ref *v1.SecretReference) (map[string]string, error) {
	if ref == nil {
		return nil, nil
	}
	secret, err := e.secrets.CoreV1().Secrets(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get the expand secret %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	values := make(map[string]string, len(secret.Data))
	for k, v := range secret.Data {
		values[k] = string(v)
	}
	return values, nil
}
