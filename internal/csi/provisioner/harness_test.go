package provisioner

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/keksdev/keks/internal/csi/sidecar"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
)

// harness is a Controller with its informers running against a fake API
// server and a fake driver behind a real gRPC socket; the tests call its
// sync functions directly, one pass at a time.
type harness struct {
	t       *testing.T
	ctx     context.Context
	cancel  context.CancelFunc
	driver  *fakeDriver
	kube    *fake.Clientset
	dynamic *dynamicfake.FakeDynamicClient
	events  *record.FakeRecorder
	c       *Controller
}

type harnessConfig struct {
	objects  []runtime.Object // Kubernetes API objects
	snapshot []runtime.Object // unstructured VolumeSnapshot(Content)s
	settings func(*settings)
	driver   *fakeDriver
}

func testSettings() settings {
	return settings{
		timeout:                     10 * time.Second,
		volumeNamePrefix:            "pvc",
		volumeNameUUIDLength:        -1,
		retryIntervalStart:          time.Millisecond,
		retryIntervalMax:            10 * time.Millisecond,
		workers:                     2,
		immediateTopology:           true,
		defaultFSType:               "ext4",
		preventVolumeModeConversion: true,
		topology:                    true,
		volumeAttributesClass:       true,
	}
}

func newHarness(t *testing.T, cfg harnessConfig) *harness {
	t.Helper()
	driver := cfg.driver
	if driver == nil {
		driver = newFakeDriver()
	}
	socket := driver.serve(t)

	ctx, cancel := context.WithCancel(context.Background())
	conn, info := connectDriver(ctx, t, socket)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := testSettings()
	if cfg.settings != nil {
		cfg.settings(&s)
	}
	h := &harness{
		t:      t,
		ctx:    ctx,
		cancel: cancel,
		driver: driver,
		kube:   fake.NewClientset(cfg.objects...),
		dynamic: dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
			volumeSnapshots:        "VolumeSnapshotList",
			volumeSnapshotContents: "VolumeSnapshotContentList",
		}, cfg.snapshot...),
		events: record.NewFakeRecorder(100),
	}
	var err error
	h.c, err = newController(controllerDeps{
		driver: info, settings: s, kube: h.kube, dynamic: h.dynamic, csi: csi.NewControllerClient(conn),
		events: h.events, log: log, identity: "test-identity",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		h.c.shutDown()
	})
	if err := h.c.startInformers(ctx); err != nil {
		t.Fatal(err)
	}
	return h
}

// connectDriver connects to the driver serving socket as Run does; the
// connection closes with the test.
func connectDriver(ctx context.Context, t *testing.T, socket string) (*sidecar.DriverConn, driverInfo) {
	t.Helper()
	conn, err := sidecar.DialDriver(socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := sidecar.WaitForDriver(ctx, conn, 5*time.Second, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	info, err := discoverDriver(ctx, conn, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return conn, info
}

// syncClaim runs one provisioning pass over a claim.
func (h *harness) syncClaim(claim *corev1.PersistentVolumeClaim) error {
	h.t.Helper()
	return h.c.syncClaim(h.ctx, string(claim.UID))
}

// pv is the PersistentVolume provisioned for a claim, from the API.
func (h *harness) pv(claim *corev1.PersistentVolumeClaim) *corev1.PersistentVolume {
	h.t.Helper()
	pv, err := h.kube.CoreV1().PersistentVolumes().Get(h.ctx, "pvc-"+string(claim.UID), metav1.GetOptions{})
	if err != nil {
		h.t.Fatalf("the claim's PV: %v", err)
	}
	return pv
}

func (h *harness) pvCount() int {
	h.t.Helper()
	list, err := h.kube.CoreV1().PersistentVolumes().List(h.ctx, metav1.ListOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return len(list.Items)
}

// takeEvents returns the events recorded so far, as "Type Reason Message".
func (h *harness) takeEvents() []string {
	var out []string
	for {
		select {
		case e := <-h.events.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// eventually waits for cond, which the informers make true asynchronously.
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func hasEvent(events []string, prefix string) bool {
	for _, e := range events {
		if strings.HasPrefix(e, prefix) {
			return true
		}
	}
	return false
}

// Fixtures.

func storageClass(name string, mode storagev1.VolumeBindingMode, params map[string]string) *storagev1.StorageClass {
	policy := corev1.PersistentVolumeReclaimDelete
	return &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: name},
		Provisioner:       testDriver,
		Parameters:        params,
		ReclaimPolicy:     &policy,
		VolumeBindingMode: &mode,
		MountOptions:      []string{"noatime"},
	}
}

func claim(name, uid, class, size string, annotations map[string]string) *corev1.PersistentVolumeClaim {
	ann := map[string]string{annStorageProvisioner: testDriver}
	for k, v := range annotations {
		ann[k] = v
	}
	return &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(uid), Annotations: ann},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			StorageClassName: &class,
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}},
		},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending},
	}
}

func node(name, zone string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{zoneKey: zone, "kubernetes.io/hostname": name}}}
}

func csiNode(name string) *storagev1.CSINode {
	return &storagev1.CSINode{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: storagev1.CSINodeSpec{Drivers: []storagev1.CSINodeDriver{
			{Name: testDriver, NodeID: "i-" + name, TopologyKeys: []string{zoneKey}},
		}},
	}
}

// twoZones is a cluster of two nodes where the driver runs, in zones a and b.
func twoZones() []runtime.Object {
	return []runtime.Object{node("node-a", "zone-a"), csiNode("node-a"), node("node-b", "zone-b"), csiNode("node-b")}
}

func zoneOf(t *csi.Topology) string { return t.GetSegments()[zoneKey] }
