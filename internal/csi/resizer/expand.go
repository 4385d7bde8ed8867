package resizer

import (
	"context"
	"errors"
	"fmt"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// expandAndRecover is upstream's expandAndRecover: it picks the size to
// ask the driver for, records it on the PVC, and expands.
func (c *controller) expandAndRecover(ctx context.Context, key string, pvc *v1.PersistentVolumeClaim, pv *v1.PersistentVolume) error {
	if !c.boundTogether(pvc, pv) {
		return nil
	}
	slowRetryLeft := c.memory.slowRetryLeft(key)
	if resizeStatus(pvc) == v1.PersistentVolumeClaimControllerResizeInfeasible {
		c.memory.noteInfeasible(key)
	}
	newSize, ok := c.sizeToAsk(key, pvc, pv)
	if !ok {
		return nil
	}

	setStatus := true
	if allocated, ok := pvc.Status.AllocatedResources[v1.ResourceStorage]; ok && allocated.Cmp(newSize) == 0 {
		if slowRetryLeft > 0 {
			return &delayedRetry{
				reason: fmt.Sprintf("expansion of PVC %s to %s was infeasible: retrying the same size in %s", key, newSize.String(), slowRetryLeft),
				after:  slowRetryLeft,
			}
		}
		// The same size again: the status the last attempt left stays.
		setStatus = false
	}

	statusSize := pvc.Status.Capacity[v1.ResourceStorage]
	pvc, err := c.markControllerResizeInProgress(ctx, pvc, newSize, setStatus)
	if err != nil {
		return err
	}
	if c.inUse != nil {
		wait, err := c.inUse.mustWait(pvc)
		if err != nil {
			return err
		}
		if wait {
			msg := fmt.Sprintf("Unable to expand %s because CSI driver %s only supports offline expansion and volume is currently in-use", key, c.driverName)
			c.recorder.Event(pvc, v1.EventTypeWarning, eventResizeFailed, msg)
			return errors.New(msg)
		}
		// Tried again below; a new refusal puts it back.
		c.inUse.clear(pvc)
	}
	c.recorder.Event(pvc, v1.EventTypeNormal, eventResizing, fmt.Sprintf("External resizer is resizing volume %s", pv.Name))
	if err := c.expandVolume(ctx, key, pvc, pv, newSize, statusSize); err != nil {
		c.recorder.Event(pvc, v1.EventTypeWarning, eventResizeFailed, err.Error())
		return err
	}
	return nil
}

// sizeToAsk picks the size from the PVC's request, its allocatedResources
// and its resize status, so an earlier expansion finishes before a new one
// starts and a failed one can be recovered to a smaller request; false
// when there is nothing to ask. The branches are kept apart as upstream
// keeps them, to be read against it.
func (c *controller) sizeToAsk(key string, pvc *v1.PersistentVolumeClaim, pv *v1.PersistentVolume) (resource.Quantity, bool) {
	requested := pvc.Spec.Resources.Requests[v1.ResourceStorage]
	pvSize := pv.Spec.Capacity[v1.ResourceStorage]
	status := resizeStatus(pvc)
	allocated, hasAllocated := pvc.Status.AllocatedResources[v1.ResourceStorage]

	if pvSize.Cmp(requested) < 0 {
		// The volume is smaller than asked: it must grow, but an expansion
		// that was under way finishes first.
		switch status {
		case v1.PersistentVolumeClaimNodeResizeInfeasible:
			if hasAllocated {
				return allocated, true
			}
		case v1.PersistentVolumeClaimNodeResizePending, v1.PersistentVolumeClaimNodeResizeInProgress:
			if !hasAllocated {
				return requested, true
			}
			// Until the kubelet has finished the last one, nothing to do.
			return allocated, pvSize.Cmp(allocated) < 0
		case v1.PersistentVolumeClaimControllerResizeInProgress:
			// Unless the driver's last answer was final, it may still be
			// expanding to the allocated size: go on with that one.
			if !c.memory.hadFinalError(key) && hasAllocated {
				return allocated, true
			}
		}
		return requested, true
	}

	// The volume already has the size: the kubelet's part may be pending,
	// or the last attempt expanded the volume without recording it, or the
	// user lowered the request after a failure.
	switch status {
	case v1.PersistentVolumeClaimNodeResizePending, v1.PersistentVolumeClaimNodeResizeInProgress:
		return requested, false
	case v1.PersistentVolumeClaimNodeResizeInfeasible,
		v1.PersistentVolumeClaimControllerResizeInProgress,
		v1.PersistentVolumeClaimControllerResizeInfeasible:
		if hasAllocated {
			return allocated, true
		}
	default:
		if status == "" && hasAllocated {
			return allocated, true
		}
		if hasFileSystemResizePending(pvc) {
			// Left by a resizer that predates resize statuses.
			return requested, false
		}
	}
	return requested, true
}

// expandVolume calls the driver and records its answer on the PV and PVC.
func (c *controller) expandVolume(ctx context.Context, key string, pvc *v1.PersistentVolumeClaim, pv *v1.PersistentVolume, size, statusSize resource.Quantity) error {
	newSize, nodeExpansionRequired, err := c.expander.expand(ctx, pv, size)
	if err != nil {
		return c.recordExpandFailure(ctx, key, pvc, pv, err)
	}
	c.memory.setFinalError(key, false)
	c.memory.clearInfeasible(key)
	c.log.Debug("volume expanded by the driver", "pvc", key, "pv", pv.Name, "size", newSize.String(), "nodeExpansionRequired", nodeExpansionRequired)

	if _, err := c.updatePVCapacity(ctx, pv, statusSize, newSize, nodeExpansionRequired); err != nil {
		return err
	}
	if nodeExpansionRequired {
		_, err = c.markNodeExpansionPending(ctx, pvc)
		return err
	}
	_, err = c.markResizeFinished(ctx, pvc, newSize)
	return err
}

func (c *controller) recordExpandFailure(ctx context.Context, key string, pvc *v1.PersistentVolumeClaim, pv *v1.PersistentVolume, expandErr error) error {
	if c.inUse != nil && isInUseError(expandErr) {
		c.inUse.noteRefused(pvc)
	}
	failed := fmt.Errorf("resize volume %q by resizer %q failed: %w", pv.Name, c.driverName, expandErr)
	if !isFinalError(expandErr) {
		// The driver may still be at work: the status stays
		// ControllerResizeInProgress and the same size is asked again.
		c.memory.setFinalError(key, false)
		c.memory.clearInfeasible(key)
		return failed
	}
	c.memory.setFinalError(key, true)
	infeasible := isInfeasibleError(expandErr)
	if !infeasible {
		c.memory.clearInfeasible(key)
	}
	if _, err := c.markControllerResizeFailed(ctx, pvc, infeasible, expandErr); err != nil {
		return fmt.Errorf("%w; and recording it: %w", failed, err)
	}
	return failed
}

// updatePVCapacity records the driver's new size on the PV, with the
// PVC's capacity before it when the kubelet has still to expand.
func (c *controller) updatePVCapacity(ctx context.Context, pv *v1.PersistentVolume, previous, newSize resource.Quantity, nodeExpansionRequired bool) (*v1.PersistentVolume, error) {
	updated := pv.DeepCopy()
	if updated.Spec.Capacity == nil {
		updated.Spec.Capacity = v1.ResourceList{}
	}
	updated.Spec.Capacity[v1.ResourceStorage] = newSize
	if nodeExpansionRequired && !metav1.HasAnnotation(pv.ObjectMeta, annPreResizeCapacity) {
		metav1.SetMetaDataAnnotation(&updated.ObjectMeta, annPreResizeCapacity, previous.String())
	}
	patched, err := c.patchPV(ctx, pv, updated)
	if err != nil {
		return pv, fmt.Errorf("update the capacity of PV %s to %s: %w", pv.Name, newSize.String(), err)
	}
	return patched, nil
}

// boundTogether says the PV is this driver's and bound to this very PVC
// (not to an earlier one of the same name).
func (c *controller) boundTogether(pvc *v1.PersistentVolumeClaim, pv *v1.PersistentVolume) bool {
	if !c.expander.canExpand(pv) {
		return false
	}
	ref := pv.Spec.ClaimRef
	return ref != nil && ref.Namespace == pvc.Namespace && ref.UID == pvc.UID
}

func hasFileSystemResizePending(pvc *v1.PersistentVolumeClaim) bool {
	for _, c := range pvc.Status.Conditions {
		if c.Type == v1.PersistentVolumeClaimFileSystemResizePending && c.Status == v1.ConditionTrue {
			return true
		}
	}
	return false
}
