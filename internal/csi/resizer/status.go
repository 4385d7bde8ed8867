package resizer

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The PVC fields below are the protocol between this resizer, the
// kubelet's node expansion (pkg/volume/util/operationexecutor/
// node_expander.go) and the API server's recovery from failed expansion
// (GA since Kubernetes 1.34): each function writes what
// pkg/volume/util/resize_util.go and upstream's resize_status.go write.

const (
	// annNodeExpansionNotRequired tells the kubelet that a finished
	// resize needs nothing on the node, even for ReadWriteMany volumes
	// that it would otherwise expand on every node.
	annNodeExpansionNotRequired = "volume.kubernetes.io/node-expansion-not-required"
	// annPreResizeCapacity keeps, on the PV, the PVC's capacity from before
	// an expansion still waiting for the node, so that the PV controller
	// reports that capacity if the PVC is bound again meanwhile.
	annPreResizeCapacity = "volume.alpha.kubernetes.io/pre-resize-capacity"
	// annStorageResizer is set by kube-controller-manager on PVCs of
	// migrated in-tree volumes; a change of it is worth a look.
	annStorageResizer = "volume.kubernetes.io/storage-resizer"
)

// The events upstream's resizer records on the PVC.
const (
	eventResizing                 = "Resizing"
	eventResizeFailed             = "VolumeResizeFailed"
	eventResizeSuccessful         = "VolumeResizeSuccessful"
	eventFileSystemResizeRequired = "FileSystemResizeRequired"
)

const fileSystemResizePendingMessage = "Waiting for user to (re-)start a pod to finish file system resize of volume on node."

// markControllerResizeInProgress records that the driver is asked for
// size: Resizing, allocatedResources = size and, when setStatus,
// ControllerResizeInProgress. setStatus is false when the same size is
// retried, so the status the last attempt left is kept.
func (c *controller) markControllerResizeInProgress(ctx context.Context, pvc *v1.PersistentVolumeClaim, size resource.Quantity, setStatus bool) (*v1.PersistentVolumeClaim, error) {
	updated := pvc.DeepCopy()
	resizing := v1.PersistentVolumeClaimCondition{
		Type:               v1.PersistentVolumeClaimResizing,
		Status:             v1.ConditionTrue,
		LastTransitionTime: metav1.Now(),
	}
	updated.Status.Conditions = mergeResizeConditions(updated.Status.Conditions, []v1.PersistentVolumeClaimCondition{resizing}, !setStatus)
	delete(updated.Annotations, annNodeExpansionNotRequired)
	if setStatus {
		setResizeStatus(updated, v1.PersistentVolumeClaimControllerResizeInProgress)
	}
	if updated.Status.AllocatedResources == nil {
		updated.Status.AllocatedResources = v1.ResourceList{}
	}
	updated.Status.AllocatedResources[v1.ResourceStorage] = size
	patched, err := c.patchPVCStatus(ctx, pvc, updated, true)
	if err != nil {
		return pvc, fmt.Errorf("mark the controller resize in progress: %w", err)
	}
	return patched, nil
}

// markNodeExpansionPending hands the resize to the kubelet, which expands
// the file system of a PVC whose status capacity is below its PV's and
// whose resize status is NodeResizePending, to allocatedResources.
func (c *controller) markNodeExpansionPending(ctx context.Context, pvc *v1.PersistentVolumeClaim) (*v1.PersistentVolumeClaim, error) {
	updated := pvc.DeepCopy()
	pending := v1.PersistentVolumeClaimCondition{
		Type:               v1.PersistentVolumeClaimFileSystemResizePending,
		Status:             v1.ConditionTrue,
		LastTransitionTime: metav1.Now(),
		Message:            fileSystemResizePendingMessage,
	}
	updated.Status.Conditions = mergeResizeConditions(updated.Status.Conditions, []v1.PersistentVolumeClaimCondition{pending}, true)
	delete(updated.Annotations, annNodeExpansionNotRequired)
	setResizeStatus(updated, v1.PersistentVolumeClaimNodeResizePending)
	patched, err := c.patchPVCStatus(ctx, pvc, updated, true)
	if err != nil {
		return pvc, fmt.Errorf("mark PVC %s/%s as waiting for node expansion: %w", pvc.Namespace, pvc.Name, err)
	}
	c.recorder.Event(pvc, v1.EventTypeNormal, eventFileSystemResizeRequired, "Require file system resize of volume on node")
	return patched, nil
}

// markResizeFinished ends a resize the driver finished alone: the new
// capacity, no resize conditions, no resize status.
func (c *controller) markResizeFinished(ctx context.Context, pvc *v1.PersistentVolumeClaim, size resource.Quantity) (*v1.PersistentVolumeClaim, error) {
	updated := pvc.DeepCopy()
	if updated.Status.Capacity == nil {
		updated.Status.Capacity = v1.ResourceList{}
	}
	updated.Status.Capacity[v1.ResourceStorage] = size
	updated.Status.Conditions = mergeResizeConditions(updated.Status.Conditions, nil, false)
	clearResizeStatus(updated)
	// Otherwise the kubelet would still expand a ReadWriteMany volume on
	// each node that mounts it.
	metav1.SetMetaDataAnnotation(&updated.ObjectMeta, annNodeExpansionNotRequired, "true")
	patched, err := c.patchPVCStatus(ctx, pvc, updated, true)
	if err != nil {
		return pvc, fmt.Errorf("mark the resize of PVC %s/%s finished: %w", pvc.Namespace, pvc.Name, err)
	}
	c.recorder.Event(pvc, v1.EventTypeNormal, eventResizeSuccessful, "Resize volume succeeded")
	return patched, nil
}

// markControllerResizeFailed records a final error of the driver:
// ControllerResizeInfeasible when the size cannot be had (so the user may
// lower the request), and a ControllerResizeError condition either way.
// The status of an error that is not infeasible stays
// ControllerResizeInProgress, as upstream leaves it. No resourceVersion
// check: the failure must be recorded even if the PVC moved on meanwhile.
func (c *controller) markControllerResizeFailed(ctx context.Context, pvc *v1.PersistentVolumeClaim, infeasible bool, cause error) (*v1.PersistentVolumeClaim, error) {
	updated := pvc.DeepCopy()
	if infeasible {
		setResizeStatus(updated, v1.PersistentVolumeClaimControllerResizeInfeasible)
	}
	failed := v1.PersistentVolumeClaimCondition{
		Type:               v1.PersistentVolumeClaimControllerResizeError,
		Status:             v1.ConditionTrue,
		LastTransitionTime: metav1.Now(),
		Message:            fmt.Sprintf("failed to expand pvc with %v", cause),
	}
	updated.Status.Conditions = mergeResizeConditions(updated.Status.Conditions, []v1.PersistentVolumeClaimCondition{failed}, true)
	patched, err := c.patchPVCStatus(ctx, pvc, updated, false)
	if err != nil {
		return pvc, fmt.Errorf("mark the controller expansion of PVC %s/%s failed: %w", pvc.Namespace, pvc.Name, err)
	}
	return patched, nil
}

func setResizeStatus(pvc *v1.PersistentVolumeClaim, status v1.ClaimResourceStatus) {
	if pvc.Status.AllocatedResourceStatuses == nil {
		pvc.Status.AllocatedResourceStatuses = map[v1.ResourceName]v1.ClaimResourceStatus{}
	}
	pvc.Status.AllocatedResourceStatuses[v1.ResourceStorage] = status
}

func clearResizeStatus(pvc *v1.PersistentVolumeClaim) {
	delete(pvc.Status.AllocatedResourceStatuses, v1.ResourceStorage)
	if len(pvc.Status.AllocatedResourceStatuses) == 0 {
		pvc.Status.AllocatedResourceStatuses = nil
	}
}

func resizeStatus(pvc *v1.PersistentVolumeClaim) v1.ClaimResourceStatus {
	return pvc.Status.AllocatedResourceStatuses[v1.ResourceStorage]
}

var resizeConditionTypes = map[v1.PersistentVolumeClaimConditionType]bool{
	v1.PersistentVolumeClaimResizing:                true,
	v1.PersistentVolumeClaimFileSystemResizePending: true,
	v1.PersistentVolumeClaimControllerResizeError:   true,
	v1.PersistentVolumeClaimNodeResizeError:         true,
}

// mergeResizeConditions puts the given resize conditions in place of
// those of the same type, keeps conditions that are not about resizing
// and, only with keepOthers, the other resize conditions. A condition
// whose status does not change keeps its transition time.
func mergeResizeConditions(current, set []v1.PersistentVolumeClaimCondition, keepOthers bool) []v1.PersistentVolumeClaimCondition {
	pending := make(map[v1.PersistentVolumeClaimConditionType]v1.PersistentVolumeClaimCondition, len(set))
	for _, c := range set {
		pending[c.Type] = c
	}
	var merged []v1.PersistentVolumeClaimCondition
	for _, c := range current {
		if !resizeConditionTypes[c.Type] {
			merged = append(merged, c)
			continue
		}
		if replacement, ok := pending[c.Type]; ok {
			if replacement.Status == c.Status && replacement.Message == c.Message {
				merged = append(merged, c)
			} else {
				merged = append(merged, replacement)
			}
			delete(pending, c.Type)
			continue
		}
		if keepOthers {
			merged = append(merged, c)
		}
	}
	for _, c := range set {
		if _, ok := pending[c.Type]; ok {
			merged = append(merged, c)
		}
	}
	return merged
}
