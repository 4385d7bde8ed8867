package provisioner

import (
	"context"
	"errors"
	"fmt"

	"github.com/container-storage-interface/spec/lib/go/csi"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// cloneSource checks a claim can be cloned into the new one and returns the
// source volume's handle, with upstream's checks and messages: the source
// is bound, not being deleted, no bigger, of the same driver and volume
// mode.
func (c *Controller) cloneSource(ctx context.Context, claim *corev1.PersistentVolumeClaim, class *storagev1.StorageClass, source *dataSource) (*csi.VolumeContentSource, error) {
	obj, exists, err := c.claims.GetByKey(source.namespace + "/" + source.name)
	if err != nil || !exists {
		return nil, fmt.Errorf("error getting PVC %s (namespace %q) from api server: not found", source.name, source.namespace)
	}
	sourceClaim := obj.(*corev1.PersistentVolumeClaim)
	switch {
	case sourceClaim.Status.Phase != corev1.ClaimBound:
		return nil, fmt.Errorf("the PVC DataSource %s must have a status of Bound.  Got %v", source.name, sourceClaim.Status)
	case sourceClaim.DeletionTimestamp != nil:
		return nil, fmt.Errorf("the PVC DataSource %s is currently being deleted", source.name)
	case sourceClaim.Spec.StorageClassName == nil:
		return nil, fmt.Errorf("the source PVC (%s) storageclass cannot be empty", sourceClaim.Name)
	case claim.Spec.StorageClassName == nil:
		return nil, fmt.Errorf("the requested PVC (%s) storageclass cannot be empty", claim.Name)
	}
	requested := claim.Spec.Resources.Requests[corev1.ResourceStorage]
	sourceSize := sourceClaim.Spec.Resources.Requests[corev1.ResourceStorage]
	if requested.Value() < sourceSize.Value() {
		return nil, fmt.Errorf("error, new PVC request must be greater than or equal in size to the specified PVC data source, requested %v but source is %v", requested.Value(), sourceSize.Value())
	}
	if sourceClaim.Spec.VolumeName == "" {
		return nil, fmt.Errorf("volume name is empty in source PVC %s", sourceClaim.Name)
	}

	invalid := errors.New("claim in dataSource not bound or invalid")
	sourcePV, err := c.kube.CoreV1().PersistentVolumes().Get(ctx, sourceClaim.Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		c.log.Warn("Error getting the source claim's volume", "pv", sourceClaim.Spec.VolumeName, "err", err)
		return nil, invalid
	}
	ref := sourcePV.Spec.ClaimRef
	switch {
	case sourcePV.Spec.CSI == nil, sourcePV.Spec.CSI.Driver != class.Provisioner,
		ref == nil, ref.UID != sourceClaim.UID, ref.Namespace != sourceClaim.Namespace, ref.Name != sourceClaim.Name,
		sourcePV.Status.Phase != corev1.VolumeBound:
		c.log.Warn("The source claim's volume cannot be cloned by this driver", "pv", sourcePV.Name, "claim", source.namespace+"/"+source.name)
		return nil, invalid
	}
	sourceBlock := sourcePV.Spec.VolumeMode != nil && *sourcePV.Spec.VolumeMode == corev1.PersistentVolumeBlock
	if isBlock(claim) != sourceBlock {
		have, want := "Filesystem", "Block"
		if sourceBlock {
			have, want = want, have
		}
		return nil, fmt.Errorf("the source PVC and destination PVCs must have the same volume mode for cloning.  Source is %s, but new PVC requested %s", have, want)
	}
	return &csi.VolumeContentSource{Type: &csi.VolumeContentSource_Volume{
		Volume: &csi.VolumeContentSource_VolumeSource{VolumeId: sourcePV.Spec.CSI.VolumeHandle}}}, nil
}
