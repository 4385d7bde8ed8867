package resizer

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// syncPVC brings one PVC's volume to the size it asks for. Everything it
// decides is read back from the PVC and PV, so a restarted resizer (or a
// new leader) resumes where the last one stopped.
func (c *controller) syncPVC(ctx context.Context, key string) error {
	obj, exists, err := c.claims.GetByKey(key)
	if err != nil {
		return fmt.Errorf("get PVC %s from the cache: %w", key, err)
	}
	if !exists {
		return nil
	}
	pvc, ok := obj.(*v1.PersistentVolumeClaim)
	if !ok {
		return fmt.Errorf("cache entry %s is a %T, not a PVC", key, obj)
	}
	if pvc.Spec.VolumeName == "" {
		return nil
	}
	obj, exists, err = c.volumes.GetByKey(pvc.Spec.VolumeName)
	if err != nil {
		return fmt.Errorf("get PV %s of PVC %s from the cache: %w", pvc.Spec.VolumeName, key, err)
	}
	if !exists {
		// Most likely the PV informer has not seen it yet: retry.
		return fmt.Errorf("PV %s bound to PVC %s not found", pvc.Spec.VolumeName, key)
	}
	pv, ok := obj.(*v1.PersistentVolume)
	if !ok {
		return fmt.Errorf("cache entry %s is a %T, not a PV", pvc.Spec.VolumeName, obj)
	}

	if c.expander.canExpand(pv) && nodeExpansionDone(pvc, pv) && metav1.HasAnnotation(pv.ObjectMeta, annPreResizeCapacity) {
		if err := c.dropPreResizeCapacity(ctx, pv); err != nil {
			return err
		}
	}
	if !wantsMoreStorage(pvc) {
		return nil
	}
	return c.expandAndRecover(ctx, key, pvc, pv)
}

// wantsMoreStorage says a bound PVC requests more than it has.
func wantsMoreStorage(pvc *v1.PersistentVolumeClaim) bool {
	if pvc.Status.Phase != v1.ClaimBound || pvc.Spec.VolumeName == "" {
		return false
	}
	requested := pvc.Spec.Resources.Requests[v1.ResourceStorage]
	capacity := pvc.Status.Capacity[v1.ResourceStorage]
	return requested.Cmp(capacity) > 0
}

// nodeExpansionDone says the kubelet has brought the PVC's capacity up to
// the PV's.
func nodeExpansionDone(pvc *v1.PersistentVolumeClaim, pv *v1.PersistentVolume) bool {
	capacity := pvc.Status.Capacity[v1.ResourceStorage]
	return capacity.Cmp(pv.Spec.Capacity[v1.ResourceStorage]) >= 0
}

func (c *controller) dropPreResizeCapacity(ctx context.Context, pv *v1.PersistentVolume) error {
	updated := pv.DeepCopy()
	delete(updated.Annotations, annPreResizeCapacity)
	if _, err := c.patchPV(ctx, pv, updated); err != nil {
		return fmt.Errorf("remove %s from PV %s: %w", annPreResizeCapacity, pv.Name, err)
	}
	return nil
}
