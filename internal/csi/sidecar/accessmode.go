package sidecar

import (
	"fmt"

	"github.com/container-storage-interface/spec/lib/go/csi"
	corev1 "k8s.io/api/core/v1"
)

// CSIAccessMode maps Kubernetes access modes to the CSI one, as
// csi-lib-utils's accessmodes does, so a driver sees the requests it would
// from upstream's sidecars. A driver with SINGLE_NODE_MULTI_WRITER
// (singleNodeMultiWriter) can tell ReadWriteOnce (one node, many pods) from
// ReadWriteOncePod; one without gets SINGLE_NODE_WRITER for both and
// Kubernetes enforces the pod.
func CSIAccessMode(modes []corev1.PersistentVolumeAccessMode, singleNodeMultiWriter bool) (csi.VolumeCapability_AccessMode_Mode, error) {
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

// VolumeCapability is a volume used in mode: a raw block device for a
// Block volumeMode, else a filesystem of fsType mounted with mountFlags.
func VolumeCapability(mode csi.VolumeCapability_AccessMode_Mode, volumeMode *corev1.PersistentVolumeMode, fsType string, mountFlags []string) *csi.VolumeCapability {
	capability := &csi.VolumeCapability{AccessMode: &csi.VolumeCapability_AccessMode{Mode: mode}}
	if volumeMode != nil && *volumeMode == corev1.PersistentVolumeBlock {
		capability.AccessType = &csi.VolumeCapability_Block{Block: &csi.VolumeCapability_BlockVolume{}}
	} else {
		capability.AccessType = &csi.VolumeCapability_Mount{Mount: &csi.VolumeCapability_MountVolume{FsType: fsType, MountFlags: mountFlags}}
	}
	return capability
}
