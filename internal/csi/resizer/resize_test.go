package resizer

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestControllerOnlyExpansionFinishesTheResize(t *testing.T) {
	driver := newFakeDriver(expandAnswer{capacityBytes: gi(2)})
	pvc, pv := bound("2Gi", "1Gi", "1Gi", "ebs.csi.aws.com")
	h := newHarness(t, driver, false, pvc, pv)

	// While the driver works, the PVC must say so.
	var during *v1.PersistentVolumeClaim
	driver.during = func() { during = h.pvc() }

	if err := h.ctrl.syncPVC(h.ctx, testKey); err != nil {
		t.Fatalf("syncPVC: %v", err)
	}

	calls := driver.expandCalls()
	if len(calls) != 1 {
		t.Fatalf("ControllerExpandVolume called %d times, want 1", len(calls))
	}
	req := calls[0]
	if req.GetVolumeId() != testVolumeID || req.GetCapacityRange().GetRequiredBytes() != gi(2) {
		t.Errorf("request = volume %q, %d bytes; want %q, %d", req.GetVolumeId(), req.GetCapacityRange().GetRequiredBytes(), testVolumeID, gi(2))
	}
	mount := req.GetVolumeCapability().GetMount()
	if mount.GetFsType() != "ext4" || !slices.Equal(mount.GetMountFlags(), []string{"noatime"}) ||
		req.GetVolumeCapability().GetAccessMode().GetMode() != csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER {
		t.Errorf("volume capability = %v, want ext4 mount with noatime, SINGLE_NODE_WRITER", req.GetVolumeCapability())
	}

	if got := resizeStatus(during); got != v1.PersistentVolumeClaimControllerResizeInProgress {
		t.Errorf("resize status during the call = %q, want ControllerResizeInProgress", got)
	}
	if got := storage(during.Status.AllocatedResources); got != "2Gi" {
		t.Errorf("allocatedResources during the call = %s, want 2Gi", got)
	}
	if c := condition(during, v1.PersistentVolumeClaimResizing); c == nil || c.Status != v1.ConditionTrue {
		t.Errorf("conditions during the call = %v, want Resizing=True", conditions(during))
	}

	if got := storage(h.pv().Spec.Capacity); got != "2Gi" {
		t.Errorf("PV capacity = %s, want 2Gi", got)
	}
	if _, ok := h.pv().Annotations[annPreResizeCapacity]; ok {
		t.Errorf("PV has %s, though no node expansion is pending", annPreResizeCapacity)
	}
	after := h.pvc()
	if got := storage(after.Status.Capacity); got != "2Gi" {
		t.Errorf("PVC capacity = %s, want 2Gi", got)
	}
	if got := storage(after.Status.AllocatedResources); got != "2Gi" {
		t.Errorf("allocatedResources = %s, want 2Gi", got)
	}
	if after.Status.AllocatedResourceStatuses != nil {
		t.Errorf("allocatedResourceStatuses = %v, want none", after.Status.AllocatedResourceStatuses)
	}
	if len(after.Status.Conditions) != 0 {
		t.Errorf("conditions = %v, want none", conditions(after))
	}
	if after.Annotations[annNodeExpansionNotRequired] != "true" {
		t.Errorf("annotations = %v, want %s=true", after.Annotations, annNodeExpansionNotRequired)
	}
	if got, want := h.events(), []string{"Normal Resizing", "Normal VolumeResizeSuccessful"}; !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func TestNodeExpansionRequiredHandsTheResizeToTheKubelet(t *testing.T) {
	driver := newFakeDriver(expandAnswer{capacityBytes: gi(2), nodeExpansionRequired: true})
	pvc, pv := bound("2Gi", "1Gi", "1Gi", "ebs.csi.aws.com")
	h := newHarness(t, driver, false, pvc, pv)

	if err := h.ctrl.syncPVC(h.ctx, testKey); err != nil {
		t.Fatalf("syncPVC: %v", err)
	}

	gotPV := h.pv()
	if got := storage(gotPV.Spec.Capacity); got != "2Gi" {
		t.Errorf("PV capacity = %s, want 2Gi", got)
	}
	if got := gotPV.Annotations[annPreResizeCapacity]; got != "1Gi" {
		t.Errorf("PV %s = %q, want 1Gi", annPreResizeCapacity, got)
	}
	after := h.pvc()
	// What the kubelet's node expander reads: capacity below the PV's,
	// NodeResizePending, and the size to reach in allocatedResources.
	if got := storage(after.Status.Capacity); got != "1Gi" {
		t.Errorf("PVC capacity = %s, want 1Gi until the kubelet expands", got)
	}
	if got := storage(after.Status.AllocatedResources); got != "2Gi" {
		t.Errorf("allocatedResources = %s, want 2Gi", got)
	}
	if got := resizeStatus(after); got != v1.PersistentVolumeClaimNodeResizePending {
		t.Errorf("resize status = %q, want NodeResizePending", got)
	}
	pending := condition(after, v1.PersistentVolumeClaimFileSystemResizePending)
	if pending == nil || pending.Status != v1.ConditionTrue || pending.Message != fileSystemResizePendingMessage {
		t.Errorf("conditions = %v, want FileSystemResizePending=True with upstream's message", conditions(after))
	}
	if c := condition(after, v1.PersistentVolumeClaimResizing); c == nil || c.Status != v1.ConditionTrue {
		t.Errorf("conditions = %v, want Resizing=True kept until the kubelet finishes", conditions(after))
	}
	if _, ok := after.Annotations[annNodeExpansionNotRequired]; ok {
		t.Errorf("PVC has %s while node expansion is pending", annNodeExpansionNotRequired)
	}
	if got, want := h.events(), []string{"Normal Resizing", "Normal FileSystemResizeRequired"}; !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}

	// A spurious sync while the kubelet has not expanded yet does nothing.
	if err := h.ctrl.syncPVC(h.ctx, testKey); err != nil {
		t.Fatalf("second syncPVC: %v", err)
	}
	if n := len(driver.expandCalls()); n != 1 {
		t.Errorf("ControllerExpandVolume called %d times while node expansion is pending, want 1", n)
	}

	// The kubelet finishes as MarkNodeExpansionFinishedWithRecovery does;
	// the resizer then drops the PV's pre-resize annotation.
	finished := after.DeepCopy()
	finished.Status.Capacity[v1.ResourceStorage] = finished.Status.AllocatedResources[v1.ResourceStorage]
	finished.Status.AllocatedResourceStatuses = nil
	finished.Status.Conditions = nil
	if _, err := h.client.CoreV1().PersistentVolumeClaims(testNamespace).UpdateStatus(h.ctx, finished, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := h.ctrl.claims.Update(finished); err != nil {
		t.Fatal(err)
	}
	if err := h.ctrl.syncPVC(h.ctx, testKey); err != nil {
		t.Fatalf("syncPVC after the kubelet: %v", err)
	}
	if _, ok := h.pv().Annotations[annPreResizeCapacity]; ok {
		t.Errorf("PV keeps %s after the kubelet expanded", annPreResizeCapacity)
	}
	if n := len(driver.expandCalls()); n != 1 {
		t.Errorf("ControllerExpandVolume called %d times in all, want 1", n)
	}
}

func TestFailedExpansionIsRecordedAndRetried(t *testing.T) {
	driver := newFakeDriver(expandAnswer{err: status.Error(codes.Internal, "EC2 said no")})
	pvc, pv := bound("2Gi", "1Gi", "1Gi", "ebs.csi.aws.com")
	h := newHarness(t, driver, false, pvc, pv)

	err := h.ctrl.syncPVC(h.ctx, testKey)
	if err == nil || !strings.Contains(err.Error(), "EC2 said no") {
		t.Fatalf("syncPVC = %v, want the driver's error", err)
	}
	after := h.pvc()
	if got := resizeStatus(after); got != v1.PersistentVolumeClaimControllerResizeInProgress {
		t.Errorf("resize status = %q, want ControllerResizeInProgress (upstream keeps it on a final error that is not infeasible)", got)
	}
	if got := storage(after.Status.AllocatedResources); got != "2Gi" {
		t.Errorf("allocatedResources = %s, want 2Gi", got)
	}
	failed := condition(after, v1.PersistentVolumeClaimControllerResizeError)
	if failed == nil || failed.Status != v1.ConditionTrue || !strings.Contains(failed.Message, "EC2 said no") {
		t.Errorf("conditions = %v, want ControllerResizeError=True with the driver's message", conditions(after))
	}
	if got := storage(h.pv().Spec.Capacity); got != "1Gi" {
		t.Errorf("PV capacity = %s, want it untouched", got)
	}
	if got := storage(after.Status.Capacity); got != "1Gi" {
		t.Errorf("PVC capacity = %s, want it untouched", got)
	}
	msgs := h.eventMessages()
	if len(msgs) != 2 || !strings.HasPrefix(msgs[0], "Normal Resizing") ||
		!strings.HasPrefix(msgs[1], "Warning VolumeResizeFailed") || !strings.Contains(msgs[1], "EC2 said no") {
		t.Errorf("events = %q, want Resizing then VolumeResizeFailed with the error", msgs)
	}

	// The retry (the queue's, after backoff) asks again and, with the
	// driver willing now, clears the failure.
	driver.mu.Lock()
	driver.answers = []expandAnswer{{capacityBytes: gi(2)}}
	driver.mu.Unlock()
	if err := h.ctrl.syncPVC(h.ctx, testKey); err != nil {
		t.Fatalf("retried syncPVC: %v", err)
	}
	if n := len(driver.expandCalls()); n != 2 {
		t.Errorf("ControllerExpandVolume called %d times, want 2", n)
	}
	retried := h.pvc()
	if storage(retried.Status.Capacity) != "2Gi" || retried.Status.AllocatedResourceStatuses != nil || len(retried.Status.Conditions) != 0 {
		t.Errorf("after the retry: capacity %s, statuses %v, conditions %v; want 2Gi and nothing else",
			storage(retried.Status.Capacity), retried.Status.AllocatedResourceStatuses, conditions(retried))
	}
}

func TestInfeasibleExpansionIsMarkedSo(t *testing.T) {
	driver := newFakeDriver(expandAnswer{err: status.Error(codes.OutOfRange, "too big for gp3")})
	pvc, pv := bound("100Ti", "1Gi", "1Gi", "ebs.csi.aws.com")
	h := newHarness(t, driver, false, pvc, pv)

	if err := h.ctrl.syncPVC(h.ctx, testKey); err == nil {
		t.Fatal("syncPVC succeeded, want the driver's error")
	}
	after := h.pvc()
	if got := resizeStatus(after); got != v1.PersistentVolumeClaimControllerResizeInfeasible {
		t.Errorf("resize status = %q, want ControllerResizeInfeasible", got)
	}
	if c := condition(after, v1.PersistentVolumeClaimControllerResizeError); c == nil || c.Status != v1.ConditionTrue {
		t.Errorf("conditions = %v, want ControllerResizeError=True", conditions(after))
	}

	// The user recovers by lowering the request (above the capacity):
	// the driver is asked for the new size at once.
	lowered := after.DeepCopy()
	lowered.Spec.Resources.Requests[v1.ResourceStorage] = resource.MustParse("3Gi")
	if err := h.ctrl.claims.Update(lowered); err != nil {
		t.Fatal(err)
	}
	driver.mu.Lock()
	driver.answers = []expandAnswer{{capacityBytes: gi(3)}}
	driver.mu.Unlock()
	if err := h.ctrl.syncPVC(h.ctx, testKey); err != nil {
		t.Fatalf("syncPVC after lowering the request: %v", err)
	}
	calls := driver.expandCalls()
	if got := calls[len(calls)-1].GetCapacityRange().GetRequiredBytes(); got != gi(3) {
		t.Errorf("recovery asked for %d bytes, want %d", got, gi(3))
	}
	recovered := h.pvc()
	if got := storage(recovered.Status.Capacity); got != "3Gi" {
		t.Errorf("PVC capacity = %s, want 3Gi", got)
	}
	if recovered.Status.AllocatedResourceStatuses != nil || len(recovered.Status.Conditions) != 0 {
		t.Errorf("status = %v %v, want no resize status or conditions", recovered.Status.AllocatedResourceStatuses, conditions(recovered))
	}
}

func TestInfeasibleSameSizeIsRetriedSlowly(t *testing.T) {
	driver := newFakeDriver(expandAnswer{err: status.Error(codes.OutOfRange, "too big")})
	pvc, pv := bound("100Ti", "1Gi", "1Gi", "ebs.csi.aws.com")
	h := newHarness(t, driver, false, pvc, pv)

	for range 3 {
		_ = h.ctrl.syncPVC(h.ctx, testKey)
	}
	err := h.ctrl.syncPVC(h.ctx, testKey)
	delay, ok := asDelayedRetry(err)
	if !ok || delay.after <= 0 || delay.after > time.Minute {
		t.Fatalf("syncPVC = %v, want a retry delayed by up to --retry-interval-max", err)
	}
	// Upstream calls once more before the slow-retry clock, started by the
	// first sync that sees ControllerResizeInfeasible, holds it back.
	if n := len(driver.expandCalls()); n != 2 {
		t.Errorf("ControllerExpandVolume called %d times, want 2", n)
	}
}

func TestRetriesUntilTheDriverSucceeds(t *testing.T) {
	unavailable := expandAnswer{err: status.Error(codes.Unavailable, "try later")}
	driver := newFakeDriver(unavailable, unavailable, expandAnswer{capacityBytes: gi(2)})
	pvc, pv := bound("2Gi", "1Gi", "1Gi", "ebs.csi.aws.com")
	h := newHarness(t, driver, false, pvc, pv)

	done := make(chan error, 1)
	go func() { done <- h.ctrl.run(h.ctx, 2) }()
	h.ctrl.enqueue(pvc)

	deadline := time.Now().Add(10 * time.Second)
	for storage(h.pvc().Status.Capacity) != "2Gi" {
		if time.Now().After(deadline) {
			t.Fatalf("PVC not resized after retries; driver called %d times", len(driver.expandCalls()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(driver.expandCalls()); n != 3 {
		t.Errorf("ControllerExpandVolume called %d times, want 3", n)
	}
	if h.pvc().Status.AllocatedResourceStatuses != nil {
		t.Errorf("allocatedResourceStatuses = %v after success, want none", h.pvc().Status.AllocatedResourceStatuses)
	}
	// The success event is recorded after the capacity is patched: read
	// the events once the controller has finished.
	stopAndWait(t, h, done)
	events := h.events()
	if n := countOf(events, "Warning VolumeResizeFailed"); n != 2 {
		t.Errorf("events = %v, want 2 VolumeResizeFailed", events)
	}
	if n := countOf(events, "Normal VolumeResizeSuccessful"); n != 1 {
		t.Errorf("events = %v, want 1 VolumeResizeSuccessful", events)
	}
}

func TestNothingIsDoneWhenSizesMatch(t *testing.T) {
	driver := newFakeDriver()
	pvc, pv := bound("1Gi", "1Gi", "1Gi", "ebs.csi.aws.com")
	h := newHarness(t, driver, false, pvc, pv)

	if err := h.ctrl.syncPVC(h.ctx, testKey); err != nil {
		t.Fatalf("syncPVC: %v", err)
	}
	if n := len(driver.expandCalls()); n != 0 {
		t.Errorf("ControllerExpandVolume called %d times, want 0", n)
	}
	if n := h.patches(); n != 0 {
		t.Errorf("%d patches sent, want none", n)
	}
	if events := h.events(); len(events) != 0 {
		t.Errorf("events = %v, want none", events)
	}
}

func TestOtherDriversVolumesAreLeftAlone(t *testing.T) {
	driver := newFakeDriver()
	pvc, pv := bound("2Gi", "1Gi", "1Gi", "efs.csi.aws.com")
	h := newHarness(t, driver, false, pvc, pv)

	if err := h.ctrl.syncPVC(h.ctx, testKey); err != nil {
		t.Fatalf("syncPVC: %v", err)
	}
	if n := len(driver.expandCalls()) + h.patches(); n != 0 {
		t.Errorf("%d driver calls and patches for another driver's volume, want none", n)
	}
}

// A resizer that expanded the volume and stopped before recording it
// finds ControllerResizeInProgress and a PV already grown: it asks the
// driver again (expansion is idempotent) and records the result.
func TestRestartAfterExpansionFinishesTheRecord(t *testing.T) {
	driver := newFakeDriver(expandAnswer{capacityBytes: gi(2)})
	pvc, pv := bound("2Gi", "1Gi", "2Gi", "ebs.csi.aws.com")
	pvc.Status.AllocatedResources = v1.ResourceList{v1.ResourceStorage: resource.MustParse("2Gi")}
	pvc.Status.AllocatedResourceStatuses = map[v1.ResourceName]v1.ClaimResourceStatus{v1.ResourceStorage: v1.PersistentVolumeClaimControllerResizeInProgress}
	h := newHarness(t, driver, false, pvc, pv)

	if err := h.ctrl.syncPVC(h.ctx, testKey); err != nil {
		t.Fatalf("syncPVC: %v", err)
	}
	if calls := driver.expandCalls(); len(calls) != 1 || calls[0].GetCapacityRange().GetRequiredBytes() != gi(2) {
		t.Fatalf("driver calls = %v, want one for 2Gi", calls)
	}
	after := h.pvc()
	if storage(after.Status.Capacity) != "2Gi" || after.Status.AllocatedResourceStatuses != nil {
		t.Errorf("PVC capacity %s, statuses %v; want 2Gi and none", storage(after.Status.Capacity), after.Status.AllocatedResourceStatuses)
	}
}

func TestInUseRefusalWaitsForThePodToGo(t *testing.T) {
	driver := newFakeDriver(expandAnswer{err: status.Error(codes.FailedPrecondition, "volume is attached")})
	pvc, pv := bound("2Gi", "1Gi", "1Gi", "ebs.csi.aws.com")
	pod := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: "app", UID: "pod-uid"},
		Spec: v1.PodSpec{Volumes: []v1.Volume{{Name: "data", VolumeSource: v1.VolumeSource{
			PersistentVolumeClaim: &v1.PersistentVolumeClaimVolumeSource{ClaimName: testPVC},
		}}}},
		Status: v1.PodStatus{Phase: v1.PodRunning},
	}
	h := newHarness(t, driver, true, pvc, pv, pod)

	if err := h.ctrl.syncPVC(h.ctx, testKey); err == nil {
		t.Fatal("first syncPVC succeeded, want the driver's refusal")
	}
	h.events()
	if err := h.ctrl.syncPVC(h.ctx, testKey); err == nil {
		t.Fatal("second syncPVC succeeded, want it held back")
	}
	if n := len(driver.expandCalls()); n != 1 {
		t.Errorf("ControllerExpandVolume called %d times while the pod runs, want 1", n)
	}
	msgs := h.eventMessages()
	if len(msgs) != 1 || !strings.Contains(msgs[0], "only supports offline expansion") {
		t.Errorf("events = %q, want one VolumeResizeFailed about offline expansion", msgs)
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
