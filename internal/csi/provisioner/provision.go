package provisioner

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/keksdev/keks/internal/csi/sidecar"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	// annProvisionerIdentity is the volume attribute upstream marks its
	// volumes with (the process that created them).
	annProvisionerIdentity = "storage.kubernetes.io/csiProvisionerIdentity"

	annDeletionSecretName      = "volume.kubernetes.io/provisioner-deletion-secret-name"
	annDeletionSecretNamespace = "volume.kubernetes.io/provisioner-deletion-secret-namespace"

	// cleanupAttempts is how often a volume that cannot be used is deleted
	// again before the claim is retried instead.
	cleanupAttempts = 5
)

// provision creates the claim's volume in the driver and describes its
// PersistentVolume (without the claimRef and provisioner marks, which the
// caller adds). The request is returned whenever CreateVolume was called,
// so that a volume in flight can still be found.
func (c *Controller) provision(ctx context.Context, claim *corev1.PersistentVolumeClaim, class *storagev1.StorageClass, selectedNode, pvName string) (*corev1.PersistentVolume, *csi.CreateVolumeRequest, provisioningState, error) {
	prepared, state, err := c.prepareVolume(ctx, claim, class, selectedNode, pvName)
	if err != nil {
		return nil, nil, state, err
	}
	req := prepared.request
	rsp, err := c.createVolume(ctx, req)
	if err != nil {
		mayReschedule := c.supportsTopology() && selectedNode != ""
		return nil, req, createVolumeState(err, mayReschedule), err
	}
	volume := rsp.GetVolume()
	c.log.Log(ctx, sidecar.LevelV2, "Created volume", "claim", claim.Namespace+"/"+claim.Name, "volumeID", volume.GetVolumeId())

	requested := req.CapacityRange.RequiredBytes
	capacity := volume.GetCapacityBytes()
	if capacity == 0 {
		// The spec allows "unknown"; the PV needs a size.
		capacity = requested
	}
	var unusable error
	switch {
	case capacity < requested:
		unusable = fmt.Errorf("created volume capacity %v less than requested capacity %v", capacity, requested)
	case claim.Spec.DataSource != nil && volume.GetContentSource() == nil:
		unusable = errors.New("volume content source missing")
	}
	if unusable != nil {
		if err := c.deleteUnusable(ctx, volume.GetVolumeId(), req.Secrets); err != nil {
			unusable = fmt.Errorf("%w. Cleanup of volume %s failed, volume is orphaned: %w", unusable, pvName, err)
		}
		// Retried as if in flight: the next attempt deletes it again if
		// this cleanup failed.
		return nil, req, stateInBackground, unusable
	}
	return c.persistentVolume(claim, class, prepared, volume, capacity), req, stateFinished, nil
}

func (c *Controller) createVolume(ctx context.Context, req *csi.CreateVolumeRequest) (*csi.CreateVolumeResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, c.settings.timeout)
	defer cancel()
	c.log.Log(ctx, sidecar.LevelV5, "CreateVolume", "name", req.GetName(), "parameters", req.GetParameters(),
		"requiredBytes", req.GetCapacityRange().GetRequiredBytes(), "topology", req.GetAccessibilityRequirements().String())
	return c.csi.CreateVolume(ctx, req)
}

func (c *Controller) deleteUnusable(ctx context.Context, volumeID string, secrets map[string]string) error {
	var err error
	for range cleanupAttempts {
		if err = c.deleteVolume(ctx, volumeID, secrets); err == nil {
			return nil
		}
	}
	return err
}

func (c *Controller) deleteVolume(ctx context.Context, volumeID string, secrets map[string]string) error {
	ctx, cancel := context.WithTimeout(ctx, c.settings.timeout)
	defer cancel()
	_, err := c.csi.DeleteVolume(ctx, &csi.DeleteVolumeRequest{VolumeId: volumeID, Secrets: secrets})
	return err
}

// persistentVolume describes the volume the driver created for a claim.
func (c *Controller) persistentVolume(claim *corev1.PersistentVolumeClaim, class *storagev1.StorageClass, prepared *preparedVolume, volume *csi.Volume, capacity int64) *corev1.PersistentVolume {
	attributes := map[string]string{annProvisionerIdentity: c.identity}
	maps.Copy(attributes, volume.GetVolumeContext())
	source := prepared.source.DeepCopy()
	source.VolumeHandle = volume.GetVolumeId()
	source.VolumeAttributes = attributes
	if !isBlock(claim) {
		source.FSType = prepared.fsType
	}
	caps := prepared.request.GetVolumeCapabilities()
	source.ReadOnly = c.settings.controllerPublishReadOnly && len(caps) == 1 &&
		caps[0].GetAccessMode().GetMode() == csi.VolumeCapability_AccessMode_MULTI_NODE_READER_ONLY

	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: prepared.request.GetName()},
		Spec: corev1.PersistentVolumeSpec{
			AccessModes:            claim.Spec.AccessModes,
			MountOptions:           class.MountOptions,
			Capacity:               corev1.ResourceList{corev1.ResourceStorage: *resource.NewQuantity(capacity, resource.BinarySI)},
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: source},
			VolumeMode:             claim.Spec.VolumeMode,
		},
	}
	if ref := prepared.provisionerRef; ref != nil {
		// DeleteVolume needs the same secret, and the class may be gone by
		// then.
		metav1.SetMetaDataAnnotation(&pv.ObjectMeta, annDeletionSecretName, ref.Name)
		metav1.SetMetaDataAnnotation(&pv.ObjectMeta, annDeletionSecretNamespace, ref.Namespace)
	}
	if class.ReclaimPolicy != nil {
		pv.Spec.PersistentVolumeReclaimPolicy = *class.ReclaimPolicy
	} else {
		// What the API server defaults a StorageClass to.
		pv.Spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimDelete
	}
	if c.supportsTopology() {
		pv.Spec.NodeAffinity = nodeAffinity(volume.GetAccessibleTopology())
	}
	if prepared.volumeAttributes != "" {
		pv.Spec.VolumeAttributesClassName = &prepared.volumeAttributes
	}
	return pv
}
