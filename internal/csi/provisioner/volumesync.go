package provisioner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/keksdev/keks/internal/csi/sidecar"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
)

// syncVolume keeps the deletion finalizer on this driver's volumes that
// will be deleted, and deletes the storage of the released ones.
func (c *Controller) syncVolume(ctx context.Context, name string) error {
	pv, err := c.volumes.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !c.isDriverVolume(pv) {
		return nil
	}
	if pv, err = c.reconcileFinalizer(ctx, pv); err != nil {
		return err
	}
	if !shouldDelete(pv) {
		return nil
	}
	err = c.deleteReleased(ctx, pv)
	c.metrics.countDelete(err)
	return err
}

// isDriverVolume: a CSI volume of this driver, provisioned by it or static
// (the PV controller leaves the deletion of every CSI volume to the
// driver's provisioner). In-tree volumes migrated to the driver are not:
// keks does not translate them.
func (c *Controller) isDriverVolume(pv *corev1.PersistentVolume) bool {
	if pv.Spec.CSI == nil || pv.Spec.CSI.Driver != c.driver.name {
		return false
	}
	by, provisioned := pv.Annotations[annProvisionedBy]
	return !provisioned || by == c.driver.name
}

// reconcileFinalizer adds the finalizer to bound volumes that will be
// deleted, so that their PV outlives deleting their storage, and takes it
// off volumes whose policy became Retain or Recycle.
func (c *Controller) reconcileFinalizer(ctx context.Context, pv *corev1.PersistentVolume) (*corev1.PersistentVolume, error) {
	finalizers := pv.Finalizers
	policy := pv.Spec.PersistentVolumeReclaimPolicy
	switch {
	case policy == corev1.PersistentVolumeReclaimDelete && pv.DeletionTimestamp == nil && pv.Status.Phase == corev1.VolumeBound &&
		!slices.Contains(finalizers, finalizerPV):
		finalizers = append(slices.Clone(finalizers), finalizerPV)
	case (policy == corev1.PersistentVolumeReclaimRetain || policy == corev1.PersistentVolumeReclaimRecycle) &&
		slices.Contains(finalizers, finalizerPV):
		finalizers = withoutFinalizer(finalizers)
	default:
		return pv, nil
	}
	updated, err := c.patchFinalizers(ctx, pv, finalizers)
	if err != nil {
		return pv, fmt.Errorf("failed to modify finalizers to %+v on volume %s err: %w", finalizers, pv.Name, err)
	}
	return updated, nil
}

// shouldDelete: released with policy Delete and not deleted already (a PV
// being deleted that lost the finalizer has no storage left).
func shouldDelete(pv *corev1.PersistentVolume) bool {
	if pv.DeletionTimestamp != nil && !slices.Contains(pv.Finalizers, finalizerPV) {
		return false
	}
	return pv.Status.Phase == corev1.VolumeReleased && pv.Spec.PersistentVolumeReclaimPolicy == corev1.PersistentVolumeReclaimDelete
}

// deleteReleased deletes the storage, then the PV, then lets the PV go by
// removing the finalizer. Each step is safe to repeat after a failure.
func (c *Controller) deleteReleased(ctx context.Context, pv *corev1.PersistentVolume) error {
	if err := c.deleteStorage(ctx, pv); err != nil {
		c.log.Error("Volume deletion failed", "pv", pv.Name, "err", err)
		c.events.Event(pv, corev1.EventTypeWarning, "VolumeFailedDelete", err.Error())
		return err
	}
	c.log.Log(ctx, sidecar.LevelV2, "Deleted volume", "pv", pv.Name, "volumeID", pv.Spec.CSI.VolumeHandle)

	if err := c.kube.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete PersistentVolume %s: %w", pv.Name, err)
	}
	if err := c.releaseFinalizer(ctx, pv.Name); err != nil {
		return err
	}
	c.log.Log(ctx, sidecar.LevelV4, "PersistentVolume deleted", "pv", pv.Name)
	return nil
}

// releaseFinalizer takes this provisioner's finalizer off a PV whose
// storage is gone, reading it afresh on each conflict: the PV controller
// and the pv-protection controller change a PV being deleted at the same
// moment, and a conflict sent back to the work queue would delete the
// storage a second time, which fails once the volume is gone (EC2 refuses
// a DeleteVolume whose tag condition can no longer be checked), leaving
// the PV for good.
func (c *Controller) releaseFinalizer(ctx context.Context, name string) error {
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		// Deleting set the deletion timestamp; the cache may not have it yet.
		current, err := c.kube.CoreV1().PersistentVolumes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !slices.Contains(current.Finalizers, finalizerPV) {
			return nil
		}
		_, err = c.patchFinalizers(ctx, current, withoutFinalizer(current.Finalizers))
		return err
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("remove finalizer of PersistentVolume %s: %w", name, err)
	}
	return nil
}

// deleteStorage calls DeleteVolume, refusing while a node still has the
// volume attached.
func (c *Controller) deleteStorage(ctx context.Context, pv *corev1.PersistentVolume) error {
	if pv.Spec.CSI == nil {
		return errors.New("invalid CSI PV")
	}
	if err := c.driver.checkProvisioning(); err != nil {
		return err
	}
	if c.attachments != nil {
		attachments, err := c.attachments.List(labels.Everything())
		if err != nil {
			return fmt.Errorf("failed to list volumeattachments: %w", err)
		}
		for _, va := range attachments {
			if deref(va.Spec.Source.PersistentVolumeName) == pv.Name {
				return fmt.Errorf("persistentvolume %s is still attached to node %s", pv.Name, va.Spec.NodeName)
			}
		}
	}
	secrets, err := c.deletionSecrets(ctx, pv)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.settings.timeout)
	defer cancel()
	_, err = c.csi.DeleteVolume(ctx, &csi.DeleteVolumeRequest{VolumeId: pv.Spec.CSI.VolumeHandle, Secrets: secrets})
	return err
}

// deletionSecrets are the provisioner secret the volume was created with:
// named on the PV, else still named by its StorageClass. A secret that is
// gone is logged and the volume deleted without it, as upstream does.
func (c *Controller) deletionSecrets(ctx context.Context, pv *corev1.PersistentVolume) (map[string]string, error) {
	var ref *corev1.SecretReference
	name, hasName := pv.Annotations[annDeletionSecretName]
	namespace, hasNamespace := pv.Annotations[annDeletionSecretNamespace]
	switch {
	case hasName && hasNamespace:
		if name != "" && namespace != "" {
			ref = &corev1.SecretReference{Name: name, Namespace: namespace}
		}
	case pv.Spec.ClaimRef != nil:
		class, err := c.classes.Get(pv.Spec.StorageClassName)
		if err != nil {
			c.log.Warn("StorageClass not found, deleting the volume without secrets", "pv", pv.Name, "storageClass", pv.Spec.StorageClassName)
			return nil, nil
		}
		claim := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: pv.Spec.ClaimRef.Name, Namespace: pv.Spec.ClaimRef.Namespace}}
		if ref, err = secretReference(provisionerSecretKeys, class.Parameters, pv.Name, claim); err != nil {
			return nil, fmt.Errorf("failed to get secretreference for volume %s: %w", pv.Name, err)
		}
	}
	secrets, err := sidecar.SecretData(ctx, c.kube, ref)
	if err != nil {
		c.log.Error("Failed to get credentials for volume, deleting it without them", "pv", pv.Name, "err", err)
	}
	return secrets, nil
}

// patchFinalizers replaces the finalizer list, failing on a conflict so
// that a finalizer added meanwhile by someone else is not dropped.
func (c *Controller) patchFinalizers(ctx context.Context, pv *corev1.PersistentVolume, finalizers []string) (*corev1.PersistentVolume, error) {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"finalizers":      finalizers,
		"resourceVersion": pv.ResourceVersion,
	}})
	if err != nil {
		return nil, err
	}
	return c.kube.CoreV1().PersistentVolumes().Patch(ctx, pv.Name, types.MergePatchType, patch, metav1.PatchOptions{})
}

func withoutFinalizer(finalizers []string) []string {
	out := slices.DeleteFunc(slices.Clone(finalizers), func(f string) bool { return f == finalizerPV })
	if len(out) == 0 {
		return nil
	}
	return out
}
