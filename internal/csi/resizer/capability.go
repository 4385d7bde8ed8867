package resizer

import (
	"errors"
	"fmt"

	"github.com/container-storage-interface/spec/lib/go/csi"
	v1 "k8s.io/api/core/v1"
)

// volumeCapability is the capability ControllerExpandVolume is told the
// volume is used with, built from the PV as csi-lib-utils builds it, so a
// driver sees the same request it would from upstream's resizer.
func volumeCapability(spec v1.PersistentVolumeSpec, singleNodeMultiWriter bool) (*csi.VolumeCapability, error) {
	if spec.CSI == nil {
		return nil, errors.New("the PV is not a CSI volume")
	}
	mode, err := csiAccessMode(spec.AccessModes, singleNodeMultiWriter)
	if err != nil {
		return nil, err
	}
	capability := &csi.VolumeCapability{AccessMode: &csi.VolumeCapability_AccessMode{Mode: mode}}
	if spec.VolumeMode != nil && *spec.VolumeMode == v1.PersistentVolumeBlock {
		capability.AccessType = &csi.VolumeCapability_Block{Block: &csi.VolumeCapability_BlockVolume{}}
	} else {
		capability.AccessType = &csi.VolumeCapability_Mount{Mount: &csi.VolumeCapability_MountVolume{
			FsType:     spec.CSI.FSType,
			MountFlags: spec.MountOptions,
		}}
	}
	return capability, nil
}

// csiAccessMode maps Kubernetes access modes to CSI's. A driver with the
// SINGLE_NODE_MULTI_WRITER capability tells ReadWriteOnce (many pods on one
// node) from ReadWriteOncePod (one pod); others hear SINGLE_NODE_WRITER for
// both.
func csiAccessMode(modes []v1.PersistentVolumeAccessMode, singleNodeMultiWriter bool) (csi.VolumeCapability_AccessMode_Mode, error) {
	has := map[v1.PersistentVolumeAccessMode]bool{}
	for _, m := range modes {
		has[m] = true
	}
	switch {
	case has[v1.ReadWriteOncePod]:
		if len(has) > 1 {
			return csi.VolumeCapability_AccessMode_UNKNOWN, errors.New("ReadWriteOncePod cannot be combined with other access modes")
		}
		if singleNodeMultiWriter {
			return csi.VolumeCapability_AccessMode_SINGLE_NODE_SINGLE_WRITER, nil
		}
		return csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER, nil
	case has[v1.ReadWriteMany]:
		return csi.VolumeCapability_AccessMode_MULTI_NODE_MULTI_WRITER, nil
	case has[v1.ReadOnlyMany] && has[v1.ReadWriteOnce]:
		return csi.VolumeCapability_AccessMode_UNKNOWN, errors.New("CSI does not support ReadOnlyMany and ReadWriteOnce on the same volume")
	case has[v1.ReadOnlyMany]:
		return csi.VolumeCapability_AccessMode_MULTI_NODE_READER_ONLY, nil
	case has[v1.ReadWriteOnce]:
		if singleNodeMultiWriter {
			return csi.VolumeCapability_AccessMode_SINGLE_NODE_MULTI_WRITER, nil
		}
		return csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER, nil
	default:
		return csi.VolumeCapability_AccessMode_UNKNOWN, fmt.Errorf("unsupported access modes %v", modes)
	}
}
