package provisioner

import (
	"fmt"

	"github.com/container-storage-interface/spec/lib/go/csi"
	corev1 "k8s.io/api/core/v1"
)

// volumeCapabilities are the CreateVolume capabilities of a claim: one per
// access mode it asks for, each a block device or a mount with the class's
// mount options, as upstream builds them.
func volumeCapabilities(claim *corev1.PersistentVolumeClaim, mountOptions []string, fsType string, singleNodeMultiWriter bool) ([]*csi.VolumeCapability, error) {
	caps := make([]*csi.VolumeCapability, 0, len(claim.Spec.AccessModes))
	for _, mode := range claim.Spec.AccessModes {
		csiMode, err := csiAccessMode([]corev1.PersistentVolumeAccessMode{mode}, singleNodeMultiWriter)
		if err != nil {
			return nil, err
		}
		capability := &csi.VolumeCapability{AccessMode: &csi.VolumeCapability_AccessMode{Mode: csiMode}}
		if isBlock(claim) {
			capability.AccessType = &csi.VolumeCapability_Block{Block: &csi.VolumeCapability_BlockVolume{}}
		} else {
			capability.AccessType = &csi.VolumeCapability_Mount{Mount: &csi.VolumeCapability_MountVolume{FsType: fsType, MountFlags: mountOptions}}
		}
		caps = append(caps, capability)
	}
	return caps, nil
}

// csiAccessMode maps Kubernetes access modes to the CSI one, as
// csi-lib-utils's accessmodes does. A driver with SINGLE_NODE_MULTI_WRITER
// can tell ReadWriteOnce (one node, many pods) from ReadWriteOncePod; one
// without gets SINGLE_NODE_WRITER for both and Kubernetes enforces the pod.
func csiAccessMode(modes []corev1.PersistentVolumeAccessMode, singleNodeMultiWriter bool) (csi.VolumeCapability_AccessMode_Mode, error) {
	has := map[corev1.PersistentVolumeAccessMode]bool{}
	for _, m := range modes {
		has[m] = true
	}
	switch {
	case has[corev1.ReadWriteOncePod]:
		if len(has) > 1 {
			return csi.VolumeCapability_AccessMode_UNKNOWN, fmt.Errorf("Kubernetes does not support use of ReadWriteOncePod with other access modes on the same PersistentVolume")
		}
		if singleNodeMultiWriter {
			return csi.VolumeCapability_AccessMode_SINGLE_NODE_SINGLE_WRITER, nil
		}
		return csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER, nil
	case has[corev1.ReadWriteMany]:
		return csi.VolumeCapability_AccessMode_MULTI_NODE_MULTI_WRITER, nil
	case has[corev1.ReadOnlyMany] && has[corev1.ReadWriteOnce]:
		return csi.VolumeCapability_AccessMode_UNKNOWN, fmt.Errorf("CSI does not support ReadOnlyMany and ReadWriteOnce on the same PersistentVolume")
	case has[corev1.ReadOnlyMany]:
		return csi.VolumeCapability_AccessMode_MULTI_NODE_READER_ONLY, nil
	case has[corev1.ReadWriteOnce]:
		if singleNodeMultiWriter {
			return csi.VolumeCapability_AccessMode_SINGLE_NODE_MULTI_WRITER, nil
		}
		return csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER, nil
	}
	return csi.VolumeCapability_AccessMode_UNKNOWN, fmt.Errorf("unsupported AccessMode combination: %+v", modes)
}

func isBlock(claim *corev1.PersistentVolumeClaim) bool {
	return claim.Spec.VolumeMode != nil && *claim.Spec.VolumeMode == corev1.PersistentVolumeBlock
}
