package provisioner

import (
	"errors"
	"maps"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
)

func provisionedPV(name string, phase corev1.PersistentVolumePhase, policy corev1.PersistentVolumeReclaimPolicy, finalizers ...string) *corev1.PersistentVolume {
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name, Finalizers: finalizers,
			Annotations: map[string]string{annProvisionedBy: testDriver}},
		Spec: corev1.PersistentVolumeSpec{
			PersistentVolumeReclaimPolicy: policy,
			StorageClassName:              "gp3",
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
				Driver: testDriver, VolumeHandle: "vol-" + name}},
			ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: "default", Name: "gone", UID: "uid-gone"},
		},
		Status: corev1.PersistentVolumeStatus{Phase: phase},
	}
}

func (h *harness) getPV(name string) (*corev1.PersistentVolume, bool) {
	h.t.Helper()
	pv, err := h.kube.CoreV1().PersistentVolumes().Get(h.ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, false
	}
	if err != nil {
		h.t.Fatal(err)
	}
	return pv, true
}

// TestDeleteReleasedVolume: a released Delete volume loses its storage,
// then its PV; volumes still bound, retained, or another driver's are left.
func TestDeleteReleasedVolume(t *testing.T) {
	released := provisionedPV("pvc-released", corev1.VolumeReleased, corev1.PersistentVolumeReclaimDelete, finalizerPV)
	bound := provisionedPV("pvc-bound", corev1.VolumeBound, corev1.PersistentVolumeReclaimDelete, finalizerPV)
	retained := provisionedPV("pvc-retained", corev1.VolumeReleased, corev1.PersistentVolumeReclaimRetain)
	other := provisionedPV("pvc-other", corev1.VolumeReleased, corev1.PersistentVolumeReclaimDelete, finalizerPV)
	other.Annotations[annProvisionedBy] = "efs.csi.aws.com"
	other.Spec.CSI.Driver = "efs.csi.aws.com"
	static := provisionedPV("static", corev1.VolumeReleased, corev1.PersistentVolumeReclaimDelete)
	delete(static.Annotations, annProvisionedBy)
	h := newHarness(t, harnessConfig{objects: []runtime.Object{released, bound, retained, other, static,
		storageClass("gp3", storagev1.VolumeBindingImmediate, nil)}})

	for _, name := range []string{"pvc-released", "pvc-bound", "pvc-retained", "pvc-other", "static"} {
		if err := h.c.syncVolume(h.ctx, name); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// A static PV of the driver is deleted too: the PV controller leaves
	// every CSI volume's deletion to the driver's provisioner.
	if ids := h.driver.deletedIDs(); !slices.Equal(ids, []string{"vol-pvc-released", "vol-static"}) {
		t.Errorf("DeleteVolume of %v", ids)
	}
	for name, want := range map[string]bool{"pvc-released": false, "static": false, "pvc-bound": true, "pvc-retained": true, "pvc-other": true} {
		if _, exists := h.getPV(name); exists != want {
			t.Errorf("PV %s exists %v, want %v", name, exists, want)
		}
	}
}

// TestDeleteFinalizerSecondStep: a PV already being deleted with the
// finalizer still on (a crash between the steps) is finished; one without
// it is left alone, its storage is gone already.
func TestDeleteFinalizerSecondStep(t *testing.T) {
	now := metav1.Now()
	pending := provisionedPV("pvc-pending", corev1.VolumeReleased, corev1.PersistentVolumeReclaimDelete, finalizerPV, "kubernetes.io/pv-protection")
	pending.DeletionTimestamp = &now
	finished := provisionedPV("pvc-finished", corev1.VolumeReleased, corev1.PersistentVolumeReclaimDelete, "kubernetes.io/pv-protection")
	finished.DeletionTimestamp = &now
	h := newHarness(t, harnessConfig{objects: []runtime.Object{pending, finished}})
	for _, name := range []string{"pvc-pending", "pvc-finished"} {
		if err := h.c.syncVolume(h.ctx, name); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if ids := h.driver.deletedIDs(); !slices.Equal(ids, []string{"vol-pvc-pending"}) {
		t.Errorf("DeleteVolume of %v", ids)
	}
}

// TestDeletionSecrets: DeleteVolume gets the provisioner secret named on the
// PV at provisioning.
func TestDeletionSecrets(t *testing.T) {
	pv := provisionedPV("pvc-secret", corev1.VolumeReleased, corev1.PersistentVolumeReclaimDelete, finalizerPV)
	pv.Annotations[annDeletionSecretName] = "ebs"
	pv.Annotations[annDeletionSecretNamespace] = "kube-system"
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "ebs", Namespace: "kube-system"}, Data: map[string][]byte{"k": []byte("v")}}
	h := newHarness(t, harnessConfig{objects: []runtime.Object{pv, secret}})
	if err := h.c.syncVolume(h.ctx, "pvc-secret"); err != nil {
		t.Fatal(err)
	}
	reqs := h.driver.deleteRequests()
	if len(reqs) != 1 || !maps.Equal(reqs[0].GetSecrets(), map[string]string{"k": "v"}) {
		t.Errorf("DeleteVolume requests %v", reqs)
	}
}

// TestNoDeleteWhileAttached: a volume still attached to a node is not
// deleted; the PV gets a VolumeFailedDelete event and is retried.
func TestNoDeleteWhileAttached(t *testing.T) {
	pv := provisionedPV("pvc-attached", corev1.VolumeReleased, corev1.PersistentVolumeReclaimDelete, finalizerPV)
	name := pv.Name
	attachment := &storagev1.VolumeAttachment{
		ObjectMeta: metav1.ObjectMeta{Name: "csi-123"},
		Spec: storagev1.VolumeAttachmentSpec{Attacher: testDriver, NodeName: "node-a",
			Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &name}},
	}
	h := newHarness(t, harnessConfig{objects: []runtime.Object{pv, attachment}})
	if err := h.c.syncVolume(h.ctx, name); err == nil {
		t.Fatal("attached volume deleted")
	}
	if events := h.takeEvents(); !slices.Equal(events, []string{"Warning VolumeFailedDelete persistentvolume pvc-attached is still attached to node node-a"}) {
		t.Errorf("events %q", events)
	}
	if len(h.driver.deletedIDs()) != 0 {
		t.Error("DeleteVolume called")
	}
}

// TestFinalizerFollowsReclaimPolicy: bound Delete volumes get the
// finalizer, Retain volumes lose it.
func TestFinalizerFollowsReclaimPolicy(t *testing.T) {
	bound := provisionedPV("pvc-bound", corev1.VolumeBound, corev1.PersistentVolumeReclaimDelete)
	retained := provisionedPV("pvc-retained", corev1.VolumeBound, corev1.PersistentVolumeReclaimRetain, finalizerPV, "kubernetes.io/pv-protection")
	h := newHarness(t, harnessConfig{objects: []runtime.Object{bound, retained}})
	for _, name := range []string{"pvc-bound", "pvc-retained"} {
		if err := h.c.syncVolume(h.ctx, name); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if pv, _ := h.getPV("pvc-bound"); !slices.Equal(pv.Finalizers, []string{finalizerPV}) {
		t.Errorf("bound Delete volume finalizers %v", pv.Finalizers)
	}
	if pv, _ := h.getPV("pvc-retained"); !slices.Equal(pv.Finalizers, []string{"kubernetes.io/pv-protection"}) {
		t.Errorf("Retain volume finalizers %v", pv.Finalizers)
	}
	if len(h.driver.deletedIDs()) != 0 {
		t.Error("DeleteVolume called")
	}
}

// TestDeleteSurvivesAConflictOnTheFinalizer: when the PV changes between
// reading it and taking the finalizer off (the pv-protection controller
// does so as it is deleted), the finalizer still goes in the same sync and
// the storage is deleted once: a second DeleteVolume of a volume that is
// gone fails on EC2, which left the PV for good.
func TestDeleteSurvivesAConflictOnTheFinalizer(t *testing.T) {
	pv := provisionedPV("pvc-contended", corev1.VolumeReleased, corev1.PersistentVolumeReclaimDelete, finalizerPV, "kubernetes.io/pv-protection")
	h := newHarness(t, harnessConfig{objects: []runtime.Object{pv}})
	pvs := corev1.SchemeGroupVersion.WithResource("persistentvolumes")
	// As the API server: deleting a PV with finalizers only marks it.
	h.kube.PrependReactor("delete", "persistentvolumes", func(a k8stesting.Action) (bool, runtime.Object, error) {
		obj, err := h.kube.Tracker().Get(pvs, "", a.(k8stesting.DeleteAction).GetName())
		if err != nil {
			return true, nil, err
		}
		marked := obj.(*corev1.PersistentVolume).DeepCopy()
		now := metav1.Now()
		marked.DeletionTimestamp = &now
		return true, nil, h.kube.Tracker().Update(pvs, marked, "")
	})
	conflicts := 1
	h.kube.PrependReactor("patch", "persistentvolumes", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if conflicts > 0 {
			conflicts--
			return true, nil, apierrors.NewConflict(pvs.GroupResource(), a.(k8stesting.PatchAction).GetName(), errors.New("the object has been modified"))
		}
		return false, nil, nil
	})
	if err := h.c.syncVolume(h.ctx, pv.Name); err != nil {
		t.Fatal(err)
	}
	if ids := h.driver.deletedIDs(); !slices.Equal(ids, []string{"vol-pvc-contended"}) {
		t.Errorf("DeleteVolume of %v, want once", ids)
	}
	got, _ := h.getPV(pv.Name)
	if got == nil || slices.Contains(got.Finalizers, finalizerPV) {
		t.Errorf("PV %v: want it marked deleted without the provisioner's finalizer", got)
	}
}
