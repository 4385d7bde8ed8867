package provisioner

import (
	"maps"
	"slices"
	"testing"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestProvisionImmediate: an Immediate claim is provisioned at once, in
// one of the cluster's zones, and its PV carries everything the PV
// controller and the kubelet need.
func TestProvisionImmediate(t *testing.T) {
	pvc := claim("data", "uid-1", "gp3", "1500Mi", nil)
	h := newHarness(t, harnessConfig{objects: append(twoZones(),
		storageClass("gp3", storagev1.VolumeBindingImmediate, map[string]string{"type": "gp3"}), pvc)})

	if err := h.syncClaim(pvc); err != nil {
		t.Fatal(err)
	}
	reqs := h.driver.createRequests()
	if len(reqs) != 1 {
		t.Fatalf("%d CreateVolume calls, want 1", len(reqs))
	}
	req := reqs[0]
	if req.GetName() != "pvc-uid-1" || req.GetCapacityRange().GetRequiredBytes() != 1500<<20 {
		t.Errorf("name %q, required bytes %d", req.GetName(), req.GetCapacityRange().GetRequiredBytes())
	}
	if len(req.GetVolumeCapabilities()) != 1 {
		t.Fatalf("capabilities %v", req.GetVolumeCapabilities())
	}
	vc := req.GetVolumeCapabilities()[0]
	if vc.GetAccessMode().GetMode() != csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER ||
		vc.GetMount().GetFsType() != "ext4" || !slices.Equal(vc.GetMount().GetMountFlags(), []string{"noatime"}) {
		t.Errorf("capability %v", vc)
	}
	var requisite []string
	for _, top := range req.GetAccessibilityRequirements().GetRequisite() {
		requisite = append(requisite, zoneOf(top))
	}
	if !slices.Equal(requisite, []string{"zone-a", "zone-b"}) || len(req.GetAccessibilityRequirements().GetPreferred()) != 2 {
		t.Errorf("accessibility requirements %v", req.GetAccessibilityRequirements())
	}
	chosen := zoneOf(req.GetAccessibilityRequirements().GetPreferred()[0])

	pv := h.pv(pvc)
	if got := pv.Spec.Capacity[corev1.ResourceStorage]; got.Cmp(resource.MustParse("2Gi")) != 0 {
		t.Errorf("capacity %s, want the driver's 2Gi", got.String())
	}
	if ref := pv.Spec.ClaimRef; ref == nil || ref.UID != "uid-1" || ref.Name != "data" || ref.Namespace != "default" || ref.Kind != "PersistentVolumeClaim" {
		t.Errorf("claimRef %+v", ref)
	}
	if pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete || pv.Spec.StorageClassName != "gp3" ||
		!slices.Equal(pv.Spec.MountOptions, []string{"noatime"}) || !slices.Equal(pv.Spec.AccessModes, pvc.Spec.AccessModes) {
		t.Errorf("spec %+v", pv.Spec)
	}
	if !slices.Equal(pv.Finalizers, []string{finalizerPV}) || pv.Annotations[annProvisionedBy] != testDriver {
		t.Errorf("finalizers %v, annotations %v", pv.Finalizers, pv.Annotations)
	}
	if _, ok := pv.Annotations[annDeletionSecretName]; ok {
		t.Errorf("deletion secret annotation without a secret: %v", pv.Annotations)
	}
	src := pv.Spec.CSI
	if src == nil || src.Driver != testDriver || src.VolumeHandle != "vol-pvc-uid-1" || src.FSType != "ext4" ||
		src.VolumeAttributes["from"] != fakeContext || src.VolumeAttributes[annProvisionerIdentity] != "test-identity" {
		t.Errorf("CSI source %+v", src)
	}
	terms := pv.Spec.NodeAffinity.Required.NodeSelectorTerms
	if len(terms) != 1 || len(terms[0].MatchExpressions) != 1 {
		t.Fatalf("node affinity %+v", terms)
	}
	if e := terms[0].MatchExpressions[0]; e.Key != zoneKey || e.Operator != corev1.NodeSelectorOpIn || !slices.Equal(e.Values, []string{chosen}) {
		t.Errorf("node affinity %+v, want the driver's zone %s", e, chosen)
	}

	events := h.takeEvents()
	if !slices.Equal(events, []string{
		`Normal Provisioning External provisioner is provisioning volume for claim "default/data"`,
		"Normal ProvisioningSucceeded Successfully provisioned volume pvc-uid-1",
	}) {
		t.Errorf("events %q", events)
	}
}

// TestSecondPassCreatesNothing: once the PV exists, syncing the claim again
// (its update events, a resync, a restart) neither calls the driver nor
// writes a PV or an event.
func TestSecondPassCreatesNothing(t *testing.T) {
	pvc := claim("data", "uid-1", "gp3", "1Gi", nil)
	h := newHarness(t, harnessConfig{objects: append(twoZones(), storageClass("gp3", storagev1.VolumeBindingImmediate, nil), pvc)})
	if err := h.syncClaim(pvc); err != nil {
		t.Fatal(err)
	}
	h.takeEvents()
	if err := h.syncClaim(pvc); err != nil {
		t.Fatal(err)
	}
	if n := len(h.driver.createRequests()); n != 1 {
		t.Errorf("%d CreateVolume calls, want 1", n)
	}
	if n := h.pvCount(); n != 1 {
		t.Errorf("%d PVs, want 1", n)
	}
	if events := h.takeEvents(); len(events) != 0 {
		t.Errorf("second pass wrote events %q", events)
	}

	// Once bound, the claim is not the provisioner's business.
	bound := pvc.DeepCopy()
	bound.Spec.VolumeName = "pvc-uid-1"
	if should, err := h.c.shouldProvision(bound); err != nil || should {
		t.Errorf("bound claim: shouldProvision %v, %v", should, err)
	}
}

// TestWaitForFirstConsumer: a late-binding claim waits for the scheduler's
// node, then asks for the cluster's zones with that node's zone first, as
// the node's CSINode keys and labels say.
func TestWaitForFirstConsumer(t *testing.T) {
	waiting := claim("waiting", "uid-w", "wffc", "1Gi", nil)
	scheduled := claim("scheduled", "uid-s", "wffc", "1Gi", map[string]string{annSelectedNode: "node-b"})
	h := newHarness(t, harnessConfig{objects: append(twoZones(),
		storageClass("wffc", storagev1.VolumeBindingWaitForFirstConsumer, nil), waiting, scheduled)})

	if err := h.syncClaim(waiting); err != nil {
		t.Fatal(err)
	}
	if n := len(h.driver.createRequests()); n != 0 {
		t.Fatalf("claim without a selected node provisioned (%d calls)", n)
	}

	if err := h.syncClaim(scheduled); err != nil {
		t.Fatal(err)
	}
	req := h.driver.createRequests()[0]
	top := req.GetAccessibilityRequirements()
	var requisite, preferred []string
	for _, t := range top.GetRequisite() {
		requisite = append(requisite, zoneOf(t))
	}
	for _, t := range top.GetPreferred() {
		preferred = append(preferred, zoneOf(t))
	}
	if !slices.Equal(requisite, []string{"zone-a", "zone-b"}) || !slices.Equal(preferred, []string{"zone-b", "zone-a"}) {
		t.Errorf("requisite %v preferred %v, want the selected node's zone-b first", requisite, preferred)
	}
	if e := h.pv(scheduled).Spec.NodeAffinity.Required.NodeSelectorTerms[0].MatchExpressions[0]; !slices.Equal(e.Values, []string{"zone-b"}) {
		t.Errorf("node affinity %+v", e)
	}
}

// TestStrictTopology: with --strict-topology only the selected node's
// topology is requisite.
func TestStrictTopology(t *testing.T) {
	pvc := claim("scheduled", "uid-s", "wffc", "1Gi", map[string]string{annSelectedNode: "node-a"})
	h := newHarness(t, harnessConfig{
		objects:  append(twoZones(), storageClass("wffc", storagev1.VolumeBindingWaitForFirstConsumer, nil), pvc),
		settings: func(s *settings) { s.strictTopology = true },
	})
	if err := h.syncClaim(pvc); err != nil {
		t.Fatal(err)
	}
	top := h.driver.createRequests()[0].GetAccessibilityRequirements()
	if len(top.GetRequisite()) != 1 || zoneOf(top.GetRequisite()[0]) != "zone-a" || zoneOf(top.GetPreferred()[0]) != "zone-a" {
		t.Errorf("requirements %v", top)
	}
}

// TestRescheduleWhenSelectedNodeGone: a selected node without CSINode
// cannot get the volume; the scheduler is asked to pick again.
func TestRescheduleWhenSelectedNodeGone(t *testing.T) {
	pvc := claim("scheduled", "uid-s", "wffc", "1Gi", map[string]string{annSelectedNode: "node-gone"})
	h := newHarness(t, harnessConfig{objects: append(twoZones(), storageClass("wffc", storagev1.VolumeBindingWaitForFirstConsumer, nil), pvc)})
	if err := h.syncClaim(pvc); err != nil {
		t.Fatalf("a rescheduled claim is done: %v", err)
	}
	updated, err := h.kube.CoreV1().PersistentVolumeClaims("default").Get(h.ctx, "scheduled", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := updated.Annotations[annSelectedNode]; ok {
		t.Errorf("selected-node annotation kept: %v", updated.Annotations)
	}
	if events := h.takeEvents(); !hasEvent(events, "Warning ProvisioningFailed") {
		t.Errorf("events %q", events)
	}
	if n := len(h.driver.createRequests()); n != 0 {
		t.Errorf("%d CreateVolume calls", n)
	}
}

// TestParameters: the class's parameters reach the driver without the
// reserved keys, which the provisioner acts on itself: the filesystem, and
// the provisioner secret (sent with CreateVolume and named on the PV for
// DeleteVolume).
func TestParameters(t *testing.T) {
	params := map[string]string{
		"type":      "io2",
		"iops":      "3000",
		paramFSType: "xfs",
		reservedPrefix + "provisioner-secret-name":      "ebs-${pvc.name}",
		reservedPrefix + "provisioner-secret-namespace": "kube-system",
		reservedPrefix + "node-stage-secret-name":       "stage",
		reservedPrefix + "node-stage-secret-namespace":  "${pvc.namespace}",
	}
	params["tagSpecification_1"] = "team=storage"
	pvc := claim("data", "uid-1", "io2", "8Gi", nil)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "ebs-data", Namespace: "kube-system"}, Data: map[string][]byte{"key": []byte("value")}}
	h := newHarness(t, harnessConfig{objects: append(twoZones(), storageClass("io2", storagev1.VolumeBindingImmediate, params), pvc, secret)})
	if err := h.syncClaim(pvc); err != nil {
		t.Fatal(err)
	}
	req := h.driver.createRequests()[0]
	if want := map[string]string{"type": "io2", "iops": "3000", "tagSpecification_1": "team=storage"}; !maps.Equal(req.GetParameters(), want) {
		t.Errorf("parameters %v, want %v", req.GetParameters(), want)
	}
	if !maps.Equal(req.GetSecrets(), map[string]string{"key": "value"}) {
		t.Errorf("secrets %v", req.GetSecrets())
	}
	if fs := req.GetVolumeCapabilities()[0].GetMount().GetFsType(); fs != "xfs" {
		t.Errorf("fsType %q", fs)
	}
	pv := h.pv(pvc)
	if pv.Spec.CSI.FSType != "xfs" {
		t.Errorf("PV fsType %q", pv.Spec.CSI.FSType)
	}
	if pv.Annotations[annDeletionSecretName] != "ebs-data" || pv.Annotations[annDeletionSecretNamespace] != "kube-system" {
		t.Errorf("annotations %v", pv.Annotations)
	}
	if ref := pv.Spec.CSI.NodeStageSecretRef; ref == nil || ref.Name != "stage" || ref.Namespace != "default" {
		t.Errorf("node stage secret %+v", ref)
	}
}

// TestUnknownReservedParameter: a reserved key nobody knows fails the claim
// rather than being dropped.
func TestUnknownReservedParameter(t *testing.T) {
	pvc := claim("data", "uid-1", "bad", "1Gi", nil)
	h := newHarness(t, harnessConfig{objects: append(twoZones(),
		storageClass("bad", storagev1.VolumeBindingImmediate, map[string]string{reservedPrefix + "typo": "x"}), pvc)})
	if err := h.syncClaim(pvc); err == nil {
		t.Fatal("provisioned with an unknown reserved parameter")
	}
	if events := h.takeEvents(); !hasEvent(events, `Warning ProvisioningFailed failed to strip CSI Parameters of prefixed keys: found unknown parameter key "csi.storage.k8s.io/typo"`) {
		t.Errorf("events %q", events)
	}
	if n := len(h.driver.createRequests()); n != 0 {
		t.Errorf("%d CreateVolume calls", n)
	}
}

// TestExtraCreateMetadata: --extra-create-metadata tells the driver the
// claim and PV names (EBS tags the volume with them).
func TestExtraCreateMetadata(t *testing.T) {
	pvc := claim("data", "uid-1", "gp3", "1Gi", nil)
	h := newHarness(t, harnessConfig{
		objects:  append(twoZones(), storageClass("gp3", storagev1.VolumeBindingImmediate, map[string]string{"type": "gp3"}), pvc),
		settings: func(s *settings) { s.extraCreateMetadata = true },
	})
	if err := h.syncClaim(pvc); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"type": "gp3", paramPVCName: "data", paramPVCNamespace: "default", paramPVName: "pvc-uid-1"}
	if got := h.driver.createRequests()[0].GetParameters(); !maps.Equal(got, want) {
		t.Errorf("parameters %v, want %v", got, want)
	}
}

// TestBlockAndAccessModes: a Block claim gets a block capability and a PV
// without filesystem; ReadWriteOncePod maps by the driver's capabilities
// (sidecar's tests hold the whole table of access modes).
func TestBlockAndAccessModes(t *testing.T) {
	block := corev1.PersistentVolumeBlock
	pvc := claim("raw", "uid-b", "gp3", "1Gi", nil)
	pvc.Spec.VolumeMode = &block
	pvc.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOncePod}
	h := newHarness(t, harnessConfig{objects: append(twoZones(), storageClass("gp3", storagev1.VolumeBindingImmediate, nil), pvc)})
	if err := h.syncClaim(pvc); err != nil {
		t.Fatal(err)
	}
	vc := h.driver.createRequests()[0].GetVolumeCapabilities()[0]
	if vc.GetBlock() == nil || vc.GetAccessMode().GetMode() != csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER {
		t.Errorf("capability %v", vc)
	}
	pv := h.pv(pvc)
	if pv.Spec.VolumeMode == nil || *pv.Spec.VolumeMode != block || pv.Spec.CSI.FSType != "" {
		t.Errorf("volume mode %v, fsType %q", pv.Spec.VolumeMode, pv.Spec.CSI.FSType)
	}
}

// TestCreateVolumeFailureRetries: a failed CreateVolume is a
// ProvisioningFailed event with the driver's error and a requeue; the
// retry provisions.
func TestCreateVolumeFailureRetries(t *testing.T) {
	pvc := claim("data", "uid-1", "gp3", "1Gi", nil)
	h := newHarness(t, harnessConfig{objects: append(twoZones(), storageClass("gp3", storagev1.VolumeBindingImmediate, nil), pvc)})
	h.driver.failNextCreate(status.Error(codes.Internal, "EC2 said no"))

	if err := h.syncClaim(pvc); err == nil {
		t.Fatal("a failed CreateVolume was not retried")
	}
	events := h.takeEvents()
	if !slices.Equal(events, []string{
		`Normal Provisioning External provisioner is provisioning volume for claim "default/data"`,
		"Warning ProvisioningFailed rpc error: code = Internal desc = EC2 said no",
	}) {
		t.Errorf("events %q", events)
	}
	if h.pvCount() != 0 {
		t.Fatal("PV written for a failed volume")
	}

	if err := h.syncClaim(pvc); err != nil {
		t.Fatal(err)
	}
	if n := len(h.driver.createRequests()); n != 2 {
		t.Errorf("%d CreateVolume calls, want 2", n)
	}
	if h.pv(pvc).Spec.CSI.VolumeHandle != "vol-pvc-uid-1" {
		t.Error("retry did not provision")
	}
}

// TestRetriesThroughQueue: run with workers, a failing claim is retried
// through the rate-limited queue until it is provisioned.
func TestRetriesThroughQueue(t *testing.T) {
	pvc := claim("data", "uid-1", "gp3", "1Gi", nil)
	driver := newFakeDriver()
	driver.failNextCreate(status.Error(codes.Internal, "one"), status.Error(codes.Unavailable, "two"))
	h := newHarness(t, harnessConfig{driver: driver, objects: []runtime.Object{storageClass("gp3", storagev1.VolumeBindingImmediate, nil), pvc},
		settings: func(s *settings) { s.topology = false }})
	done := make(chan error, 1)
	go func() { done <- h.c.Run(h.ctx) }()
	t.Cleanup(func() {
		h.cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	h.eventually("the PV", func() bool { return h.pvCount() == 1 })
	if n := len(driver.createRequests()); n != 3 {
		t.Errorf("%d CreateVolume calls, want 3", n)
	}
	if req := driver.createRequests()[2]; req.GetAccessibilityRequirements() != nil {
		t.Errorf("topology sent with the Topology gate off: %v", req.GetAccessibilityRequirements())
	}
	if h.pv(pvc).Spec.NodeAffinity != nil {
		t.Error("node affinity with the Topology gate off")
	}
}

// TestClaimDeletedWhileCreating: a claim deleted while its CreateVolume
// timed out still gets its volume found and deleted.
func TestClaimDeletedWhileCreating(t *testing.T) {
	pvc := claim("data", "uid-1", "gp3", "1Gi", nil)
	h := newHarness(t, harnessConfig{objects: append(twoZones(), storageClass("gp3", storagev1.VolumeBindingImmediate, nil), pvc)})
	// The answer did not arrive: the driver may be creating the volume.
	h.driver.failNextCreate(status.Error(codes.DeadlineExceeded, "timeout"))
	if err := h.syncClaim(pvc); err == nil {
		t.Fatal("timeout not retried")
	}
	if _, ok := h.c.inflight.get("uid-1"); !ok {
		t.Fatal("a timed-out CreateVolume is not followed")
	}

	if err := h.kube.CoreV1().PersistentVolumeClaims("default").Delete(h.ctx, "data", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.eventually("the claim's deletion", func() bool { return h.c.claimByUID("uid-1") == nil })
	if err := h.syncClaim(pvc); err != nil {
		t.Fatal(err)
	}
	if ids := h.driver.deletedIDs(); !slices.Equal(ids, []string{"vol-pvc-uid-1"}) || h.driver.volumeCount() != 0 {
		t.Errorf("deleted %v, %d volumes left", ids, h.driver.volumeCount())
	}
	if h.pvCount() != 0 {
		t.Error("PV written for a deleted claim")
	}
	if _, ok := h.c.inflight.get("uid-1"); ok {
		t.Error("still following the deleted claim")
	}
}
