package resizer

import (
	"context"
	"encoding/json"
	"fmt"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// patchPVCStatus writes the difference between old and updated through the
// status subresource, as the kubelet and upstream's resizer do: a patch
// touches only the fields this resizer owns, where an update from an older
// client could drop fields it does not know. checkVersion makes the patch
// fail on a PVC that changed since old was read.
func (c *controller) patchPVCStatus(ctx context.Context, old, updated *v1.PersistentVolumeClaim, checkVersion bool) (*v1.PersistentVolumeClaim, error) {
	patch, err := twoWayPatch(old, updated, v1.PersistentVolumeClaim{})
	if err != nil {
		return old, fmt.Errorf("make the status patch of PVC %s/%s: %w", old.Namespace, old.Name, err)
	}
	if checkVersion {
		if patch, err = withResourceVersion(patch, old.ResourceVersion); err != nil {
			return old, fmt.Errorf("make the status patch of PVC %s/%s: %w", old.Namespace, old.Name, err)
		}
	}
	patched, err := c.client.CoreV1().PersistentVolumeClaims(old.Namespace).Patch(ctx, old.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	if err != nil {
		return old, fmt.Errorf("patch the status of PVC %s/%s: %w", old.Namespace, old.Name, err)
	}
	// The informer will bring the same object; storing it now means a
	// retry that comes first does not start from the old one.
	if err := c.claims.Update(patched); err != nil {
		return patched, fmt.Errorf("cache PVC %s/%s: %w", patched.Namespace, patched.Name, err)
	}
	return patched, nil
}

func (c *controller) patchPV(ctx context.Context, old, updated *v1.PersistentVolume) (*v1.PersistentVolume, error) {
	patch, err := twoWayPatch(old, updated, v1.PersistentVolume{})
	if err != nil {
		return old, fmt.Errorf("make the patch of PV %s: %w", old.Name, err)
	}
	patched, err := c.client.CoreV1().PersistentVolumes().Patch(ctx, old.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	if err != nil {
		return old, fmt.Errorf("patch PV %s: %w", old.Name, err)
	}
	if err := c.volumes.Update(patched); err != nil {
		return patched, fmt.Errorf("cache PV %s: %w", patched.Name, err)
	}
	return patched, nil
}

func twoWayPatch(old, updated, schema any) ([]byte, error) {
	oldJSON, err := json.Marshal(old)
	if err != nil {
		return nil, err
	}
	updatedJSON, err := json.Marshal(updated)
	if err != nil {
		return nil, err
	}
	return strategicpatch.CreateTwoWayMergePatch(oldJSON, updatedJSON, schema)
}

// withResourceVersion adds metadata.resourceVersion to a patch, which the
// API server then treats as a precondition.
func withResourceVersion(patch []byte, resourceVersion string) ([]byte, error) {
	var fields map[string]any
	if err := json.Unmarshal(patch, &fields); err != nil {
		return nil, err
	}
	meta, _ := fields["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	meta["resourceVersion"] = resourceVersion
	fields["metadata"] = meta
	return json.Marshal(fields)
}
