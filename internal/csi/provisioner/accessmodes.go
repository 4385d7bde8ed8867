package provisioner

import (
	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/keksdev/keks/internal/csi/sidecar"
	corev1 "k8s.io/api/core/v1"
)

// volumeCapabilities are the CreateVolume capabilities of a claim: one per
// access mode it asks for, each a block device or a mount with the class's
// mount options, as upstream builds them.
func volumeCapabilities(claim *corev1.PersistentVolumeClaim, mountOptions []string, fsType string, singleNodeMultiWriter bool) ([]*csi.VolumeCapability, error) {
	caps := make([]*csi.VolumeCapability, 0, len(claim.Spec.AccessModes))
	for _, mode := range claim.Spec.AccessModes {
		csiMode, err := sidecar.CSIAccessMode([]corev1.PersistentVolumeAccessMode{mode}, singleNodeMultiWriter)
		if err != nil {
			return nil, err
		}
		caps = append(caps, sidecar.VolumeCapability(csiMode, claim.Spec.VolumeMode, fsType, mountOptions))
	}
	return caps, nil
}

func isBlock(claim *corev1.PersistentVolumeClaim) bool {
	return claim.Spec.VolumeMode != nil && *claim.Spec.VolumeMode == corev1.PersistentVolumeBlock
}
