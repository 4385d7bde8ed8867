package provisioner

import (
	"context"
	"fmt"
	"strconv"

	"github.com/container-storage-interface/spec/lib/go/csi"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The snapshot API is a CRD (external-snapshotter's); it is read as
// unstructured objects rather than through a generated client.
var (
	volumeSnapshots        = schema.GroupVersionResource{Group: snapshotGroup, Version: "v1", Resource: "volumesnapshots"}
	volumeSnapshotContents = schema.GroupVersionResource{Group: snapshotGroup, Version: "v1", Resource: "volumesnapshotcontents"}
)

// annAllowVolumeModeChange on a VolumeSnapshotContent lets claims restore it
// with another volume mode than its source had.
const annAllowVolumeModeChange = "snapshot.storage.kubernetes.io/allow-volume-mode-change"

// snapshotSource checks a VolumeSnapshot can be restored into the claim and
// returns the driver's snapshot handle, with upstream's checks and
// messages: bound to a content of this snapshot and this driver, ready, big
// enough, and of the claim's volume mode unless allowed otherwise.
func (c *Controller) snapshotSource(ctx context.Context, claim *corev1.PersistentVolumeClaim, class *storagev1.StorageClass, source *dataSource) (*csi.VolumeContentSource, error) {
	snapshot, err := c.dynamic.Resource(volumeSnapshots).Namespace(source.namespace).Get(ctx, source.name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("error getting snapshot %s from api server: %w", source.name, err)
	}
	if snapshot.GetDeletionTimestamp() != nil {
		return nil, fmt.Errorf("snapshot %s is currently being deleted", source.name)
	}
	notBound := fmt.Errorf("snapshot %s not bound", source.name)
	contentName, _, _ := unstructured.NestedString(snapshot.Object, "status", "boundVolumeSnapshotContentName")
	if contentName == "" {
		return nil, notBound
	}
	content, err := c.dynamic.Resource(volumeSnapshotContents).Get(ctx, contentName, metav1.GetOptions{})
	if err != nil {
		c.log.Warn("Error getting snapshot content", "content", contentName, "snapshot", source.namespace+"/"+source.name, "err", err)
		return nil, notBound
	}
	refUID, _, _ := unstructured.NestedString(content.Object, "spec", "volumeSnapshotRef", "uid")
	refNamespace, _, _ := unstructured.NestedString(content.Object, "spec", "volumeSnapshotRef", "namespace")
	refName, _, _ := unstructured.NestedString(content.Object, "spec", "volumeSnapshotRef", "name")
	if refUID != string(snapshot.GetUID()) || refNamespace != snapshot.GetNamespace() || refName != snapshot.GetName() {
		c.log.Warn("Snapshot content is bound to a different snapshot", "content", contentName, "snapshot", source.namespace+"/"+source.name)
		return nil, notBound
	}
	if driver, _, _ := unstructured.NestedString(content.Object, "spec", "driver"); driver != class.Provisioner {
		c.log.Warn("Snapshot content belongs to another driver than the StorageClass's", "content", contentName, "driver", driver, "storageClass", class.Name)
		return nil, notBound
	}
	if ready, _, _ := unstructured.NestedBool(snapshot.Object, "status", "readyToUse"); !ready {
		return nil, fmt.Errorf("snapshot %s is not Ready", source.name)
	}
	handle, _, _ := unstructured.NestedString(content.Object, "status", "snapshotHandle")
	if handle == "" {
		return nil, fmt.Errorf("snapshot handle %s is not available", source.name)
	}

	if restoreSize, found, _ := unstructured.NestedFieldNoCopy(snapshot.Object, "status", "restoreSize"); found && restoreSize != nil {
		size, err := quantityOf(restoreSize)
		if err != nil {
			return nil, fmt.Errorf("restore size of snapshot %s: %w", source.name, err)
		}
		requested, ok := claim.Spec.Resources.Requests[corev1.ResourceStorage]
		if !ok {
			return nil, fmt.Errorf("error getting capacity for PVC %s when creating snapshot %s", claim.Name, source.name)
		}
		if requested.Value() < size.Value() {
			return nil, fmt.Errorf("requested volume size %d is less than the size %d for the source snapshot %s", requested.Value(), size.Value(), source.name)
		}
	}

	if c.settings.preventVolumeModeConversion {
		if err := checkVolumeModeChange(claim, content); err != nil {
			return nil, err
		}
	}
	return &csi.VolumeContentSource{Type: &csi.VolumeContentSource_Snapshot{
		Snapshot: &csi.VolumeContentSource_SnapshotSource{SnapshotId: handle}}}, nil
}

// checkVolumeModeChange refuses to restore a Block snapshot as a
// filesystem or the other way round, unless the content allows it: a
// user who may read a raw device must not get to mount it.
func checkVolumeModeChange(claim *corev1.PersistentVolumeClaim, content *unstructured.Unstructured) error {
	sourceMode, _, _ := unstructured.NestedString(content.Object, "spec", "sourceVolumeMode")
	if sourceMode == "" || claim.Spec.VolumeMode == nil || corev1.PersistentVolumeMode(sourceMode) == *claim.Spec.VolumeMode {
		return nil
	}
	refused := fmt.Sprintf("requested volume %s/%s modifies the mode of the source volume but does not have permission to do so. ", claim.Namespace, claim.Name)
	allow, ok := content.GetAnnotations()[annAllowVolumeModeChange]
	if !ok {
		return fmt.Errorf("%s%s annotation is not present on snapshotcontent %s", refused, annAllowVolumeModeChange, content.GetName())
	}
	allowed, err := strconv.ParseBool(allow)
	if err != nil {
		return fmt.Errorf("%sfailed to convert %s annotation value to boolean with error: %w", refused, annAllowVolumeModeChange, err)
	}
	if !allowed {
		return fmt.Errorf("%s%s is set to false on snapshotcontent %s", refused, annAllowVolumeModeChange, content.GetName())
	}
	return nil
}

// quantityOf reads a quantity field of an unstructured object, which JSON
// decoding leaves a string or a number.
func quantityOf(v any) (resource.Quantity, error) {
	switch v := v.(type) {
	case string:
		return resource.ParseQuantity(v)
	case int64:
		return *resource.NewQuantity(v, resource.BinarySI), nil
	case float64:
		return *resource.NewQuantity(int64(v), resource.BinarySI), nil
	}
	return resource.Quantity{}, fmt.Errorf("unexpected quantity %v", v)
}
