package provisioner

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

func volumeSnapshot(name string, ready bool, restoreSize string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "snapshot.storage.k8s.io/v1",
		"kind":       "VolumeSnapshot",
		"metadata":   map[string]any{"name": name, "namespace": "default", "uid": "snapuid-" + name},
		"spec":       map[string]any{"source": map[string]any{"persistentVolumeClaimName": "source"}},
		"status": map[string]any{
			"boundVolumeSnapshotContentName": "content-" + name,
			"readyToUse":                     ready,
			"restoreSize":                    restoreSize,
		},
	}}
}

func snapshotContent(snapshot, handle, sourceMode string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "snapshot.storage.k8s.io/v1",
		"kind":       "VolumeSnapshotContent",
		"metadata":   map[string]any{"name": "content-" + snapshot},
		"spec": map[string]any{
			"driver":            testDriver,
			"deletionPolicy":    "Delete",
			"sourceVolumeMode":  sourceMode,
			"source":            map[string]any{"volumeHandle": "vol-source"},
			"volumeSnapshotRef": map[string]any{"name": snapshot, "namespace": "default", "uid": "snapuid-" + snapshot},
		},
		"status": map[string]any{"snapshotHandle": handle, "readyToUse": true},
	}}
}

func restoring(name, uid, snapshot string) *corev1.PersistentVolumeClaim {
	pvc := claim(name, uid, "gp3", "2Gi", nil)
	group := snapshotGroup
	pvc.Spec.DataSource = &corev1.TypedLocalObjectReference{APIGroup: &group, Kind: snapshotKind, Name: snapshot}
	pvc.Spec.DataSourceRef = &corev1.TypedObjectReference{APIGroup: &group, Kind: snapshotKind, Name: snapshot}
	return pvc
}

// TestSnapshotDataSource: a claim restored from a ready VolumeSnapshot asks
// the driver for a volume from the bound content's snapshot handle; a
// snapshot not ready, too big or of another volume mode is refused with an
// event and retried later.
func TestSnapshotDataSource(t *testing.T) {
	ready := restoring("restored", "uid-r", "ready")
	notReady := restoring("waiting", "uid-w", "pending")
	tooSmall := restoring("small", "uid-s", "big")
	block := corev1.PersistentVolumeBlock
	converted := restoring("converted", "uid-c", "ready")
	converted.Spec.VolumeMode = &block
	h := newHarness(t, harnessConfig{
		objects: append(twoZones(), storageClass("gp3", storagev1.VolumeBindingImmediate, nil), ready, notReady, tooSmall, converted),
		snapshot: []runtime.Object{
			volumeSnapshot("ready", true, "2Gi"), snapshotContent("ready", "snap-0123", "Filesystem"),
			volumeSnapshot("pending", false, "1Gi"), snapshotContent("pending", "snap-0456", "Filesystem"),
			volumeSnapshot("big", true, "3Gi"), snapshotContent("big", "snap-0789", "Filesystem"),
		},
	})

	if err := h.syncClaim(ready); err != nil {
		t.Fatal(err)
	}
	reqs := h.driver.createRequests()
	if len(reqs) != 1 || reqs[0].GetVolumeContentSource().GetSnapshot().GetSnapshotId() != "snap-0123" {
		t.Fatalf("CreateVolume requests %v", reqs)
	}
	h.pv(ready)
	h.takeEvents()

	for _, c := range []struct {
		claim *corev1.PersistentVolumeClaim
		want  string
	}{
		{notReady, "snapshot pending is not Ready"},
		{tooSmall, "requested volume size 2147483648 is less than the size 3221225472 for the source snapshot big"},
		{converted, "modifies the mode of the source volume but does not have permission to do so"},
	} {
		if err := h.syncClaim(c.claim); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.claim.Name, err, c.want)
		}
		events := h.takeEvents()
		if len(events) != 2 || !strings.HasPrefix(events[1], "Warning ProvisioningFailed error getting handle for DataSource Type VolumeSnapshot") ||
			!strings.Contains(events[1], c.want) {
			t.Errorf("%s: events %q", c.claim.Name, events)
		}
	}
	if n := len(h.driver.createRequests()); n != 1 {
		t.Errorf("%d CreateVolume calls, want only the ready one", n)
	}
}

// TestPopulatorDataSource: a data source that is neither a snapshot nor a
// claim belongs to a volume populator; the claim is left alone.
func TestPopulatorDataSource(t *testing.T) {
	pvc := claim("populated", "uid-p", "gp3", "1Gi", nil)
	group := "populator.example.com"
	pvc.Spec.DataSourceRef = &corev1.TypedObjectReference{APIGroup: &group, Kind: "Sample", Name: "s"}
	h := newHarness(t, harnessConfig{objects: append(twoZones(), storageClass("gp3", storagev1.VolumeBindingImmediate, nil), pvc)})
	if err := h.syncClaim(pvc); err != nil {
		t.Fatal(err)
	}
	if events := h.takeEvents(); !slices.Contains(events, "Normal Provisioning Assuming an external populator will provision the volume") {
		t.Errorf("events %q", events)
	}
	if len(h.driver.createRequests()) != 0 || h.pvCount() != 0 {
		t.Error("provisioned a populator's claim")
	}
}

// TestCloneNeedsCapability: the EBS driver cannot clone; a claim asking to
// is refused with upstream's message.
func TestCloneNeedsCapability(t *testing.T) {
	pvc := claim("clone", "uid-c", "gp3", "1Gi", nil)
	pvc.Spec.DataSource = &corev1.TypedLocalObjectReference{Kind: claimKind, Name: "source"}
	h := newHarness(t, harnessConfig{objects: append(twoZones(), storageClass("gp3", storagev1.VolumeBindingImmediate, nil), pvc)})
	err := h.syncClaim(pvc)
	if err == nil || !strings.Contains(err.Error(), "CLONE_VOLUME capability is not reported") {
		t.Errorf("clone: %v", err)
	}
}
