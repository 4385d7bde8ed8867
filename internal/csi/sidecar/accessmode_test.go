package sidecar

import (
	"testing"

	"github.com/container-storage-interface/spec/lib/go/csi"
	corev1 "k8s.io/api/core/v1"
)

func TestAccessModesMapAsUpstreams(t *testing.T) {
	for _, c := range []struct {
		modes       []corev1.PersistentVolumeAccessMode
		multiWriter bool
		want        csi.VolumeCapability_AccessMode_Mode
	}{
		{[]corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, false, csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER},
		{[]corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, true, csi.VolumeCapability_AccessMode_SINGLE_NODE_MULTI_WRITER},
		{[]corev1.PersistentVolumeAccessMode{corev1.ReadWriteOncePod}, true, csi.VolumeCapability_AccessMode_SINGLE_NODE_SINGLE_WRITER},
		{[]corev1.PersistentVolumeAccessMode{corev1.ReadOnlyMany}, false, csi.VolumeCapability_AccessMode_MULTI_NODE_READER_ONLY},
		{[]corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany, corev1.ReadWriteOnce}, false, csi.VolumeCapability_AccessMode_MULTI_NODE_MULTI_WRITER},
	} {
		if got, err := CSIAccessMode(c.modes, c.multiWriter); err != nil || got != c.want {
			t.Errorf("%v (multi writer %v): %v, %v; want %v", c.modes, c.multiWriter, got, err, c.want)
		}
	}
	if _, err := CSIAccessMode([]corev1.PersistentVolumeAccessMode{corev1.ReadOnlyMany, corev1.ReadWriteOnce}, false); err == nil {
		t.Error("ReadOnlyMany with ReadWriteOnce accepted")
	}
	if _, err := CSIAccessMode([]corev1.PersistentVolumeAccessMode{corev1.ReadWriteOncePod, corev1.ReadWriteOnce}, true); err == nil {
		t.Error("ReadWriteOncePod with another mode accepted")
	}
}

func TestVolumeCapabilityIsABlockDeviceOrAMount(t *testing.T) {
	block, filesystem := corev1.PersistentVolumeBlock, corev1.PersistentVolumeFilesystem
	mode := csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER
	if c := VolumeCapability(mode, &block, "ext4", []string{"noatime"}); c.GetBlock() == nil || c.GetMount() != nil || c.GetAccessMode().GetMode() != mode {
		t.Errorf("block: %v", c)
	}
	for _, volumeMode := range []*corev1.PersistentVolumeMode{nil, &filesystem} {
		c := VolumeCapability(mode, volumeMode, "xfs", []string{"noatime"})
		if c.GetMount().GetFsType() != "xfs" || len(c.GetMount().GetMountFlags()) != 1 || c.GetBlock() != nil {
			t.Errorf("filesystem (%v): %v", volumeMode, c)
		}
	}
}
