package provisioner

import (
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
)

// failPVCreates makes the API refuse new PVs while the returned flag is set.
func failPVCreates(h *harness) *atomic.Bool {
	failing := &atomic.Bool{}
	failing.Store(true)
	h.kube.PrependReactor("create", "persistentvolumes", func(k8stesting.Action) (bool, runtime.Object, error) {
		if failing.Load() {
			return true, nil, errors.New("etcd is having a bad day")
		}
		return false, nil, nil
	})
	return failing
}

// TestPVSavedInBackground: a PV the API refuses is retried without holding
// the claim, and the success event comes when it is saved.
func TestPVSavedInBackground(t *testing.T) {
	pvc := claim("data", "uid-1", "gp3", "1Gi", nil)
	h := newHarness(t, harnessConfig{objects: append(twoZones(), storageClass("gp3", storagev1.VolumeBindingImmediate, nil), pvc)})
	failing := failPVCreates(h)
	if err := h.syncClaim(pvc); err != nil {
		t.Fatalf("the claim waits for its PV's save: %v", err)
	}
	if events := h.takeEvents(); hasEvent(events, "Normal ProvisioningSucceeded") {
		t.Errorf("success before the PV exists: %q", events)
	}

	failing.Store(false)
	h.c.saver.retry(h.ctx, "pvc-uid-1")
	if h.pv(pvc).Spec.ClaimRef.UID != "uid-1" {
		t.Error("PV not saved")
	}
	if events := h.takeEvents(); !slices.Equal(events, []string{"Normal ProvisioningSucceeded Successfully provisioned volume pvc-uid-1"}) {
		t.Errorf("events %q", events)
	}
	if len(h.driver.deletedIDs()) != 0 {
		t.Error("volume deleted")
	}
}

// TestClaimDeletedBeforePVSaved: when the claim goes away before its PV
// could be saved, the volume is deleted rather than leaked.
func TestClaimDeletedBeforePVSaved(t *testing.T) {
	pvc := claim("data", "uid-1", "gp3", "1Gi", nil)
	h := newHarness(t, harnessConfig{objects: append(twoZones(), storageClass("gp3", storagev1.VolumeBindingImmediate, nil), pvc)})
	failPVCreates(h)
	if err := h.syncClaim(pvc); err != nil {
		t.Fatal(err)
	}
	if err := h.kube.CoreV1().PersistentVolumeClaims("default").Delete(h.ctx, "data", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.eventually("the claim's deletion", func() bool { return h.c.claimByUID("uid-1") == nil })

	h.c.saver.retry(h.ctx, "pvc-uid-1")
	if ids := h.driver.deletedIDs(); !slices.Equal(ids, []string{"vol-pvc-uid-1"}) {
		t.Errorf("DeleteVolume of %v", ids)
	}
	if h.pvCount() != 0 {
		t.Error("PV saved for a deleted claim")
	}
	h.c.saver.mu.Lock()
	pending := len(h.c.saver.pending)
	h.c.saver.mu.Unlock()
	if pending != 0 {
		t.Errorf("%d volumes still pending", pending)
	}
}
