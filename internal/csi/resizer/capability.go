package resizer

import (
	"errors"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/keksdev/keks/internal/csi/sidecar"
	v1 "k8s.io/api/core/v1"
)

// volumeCapability is the capability ControllerExpandVolume is told the
// volume is used with, built from the PV as csi-lib-utils builds it, so a
// driver sees the same request it would from upstream's resizer.
func volumeCapability(spec v1.PersistentVolumeSpec, singleNodeMultiWriter bool) (*csi.VolumeCapability, error) {
	if spec.CSI == nil {
		return nil, errors.New("the PV is not a CSI volume")
	}
	mode, err := sidecar.CSIAccessMode(spec.AccessModes, singleNodeMultiWriter)
	if err != nil {
		return nil, err
	}
	return sidecar.VolumeCapability(mode, spec.VolumeMode, spec.CSI.FSType, spec.MountOptions), nil
}
