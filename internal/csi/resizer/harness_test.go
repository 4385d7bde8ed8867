package resizer

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/csi/sidecar"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
)

const (
	testNamespace = "default"
	testPVC       = "data"
	testPV        = "pvc-1234"
	testVolumeID  = "vol-0123456789abcdef0"
	testKey       = testNamespace + "/" + testPVC
)

// bound makes a PVC asking for request with capacity, bound to a PV of
// pvSize of the given driver.
func bound(request, capacity, pvSize, driver string) (*v1.PersistentVolumeClaim, *v1.PersistentVolume) {
	pvc := &v1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: testPVC, UID: "pvc-uid", ResourceVersion: "1"},
		Spec: v1.PersistentVolumeClaimSpec{
			AccessModes: []v1.PersistentVolumeAccessMode{v1.ReadWriteOnce},
			Resources:   v1.VolumeResourceRequirements{Requests: v1.ResourceList{v1.ResourceStorage: resource.MustParse(request)}},
			VolumeName:  testPV,
		},
		Status: v1.PersistentVolumeClaimStatus{
			Phase:       v1.ClaimBound,
			AccessModes: []v1.PersistentVolumeAccessMode{v1.ReadWriteOnce},
			Capacity:    v1.ResourceList{v1.ResourceStorage: resource.MustParse(capacity)},
		},
	}
	pv := &v1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: testPV, ResourceVersion: "1"},
		Spec: v1.PersistentVolumeSpec{
			AccessModes: []v1.PersistentVolumeAccessMode{v1.ReadWriteOnce},
			Capacity:    v1.ResourceList{v1.ResourceStorage: resource.MustParse(pvSize)},
			PersistentVolumeSource: v1.PersistentVolumeSource{CSI: &v1.CSIPersistentVolumeSource{
				Driver: driver, VolumeHandle: testVolumeID, FSType: "ext4",
			}},
			ClaimRef:     &v1.ObjectReference{Namespace: testNamespace, Name: testPVC, UID: "pvc-uid"},
			MountOptions: []string{"noatime"},
		},
		Status: v1.PersistentVolumeStatus{Phase: v1.VolumeBound},
	}
	return pvc, pv
}

type harness struct {
	t        *testing.T
	ctx      context.Context
	client   *fake.Clientset
	ctrl     *controller
	recorder *record.FakeRecorder
	driver   *fakeDriver
	factory  informers.SharedInformerFactory
	stop     context.CancelFunc
}

// newHarness connects a controller to driver over its socket and to a fake
// API server holding objects, and syncs its caches. The controller's
// workers are not started: tests call syncPVC, or run.
func newHarness(t *testing.T, driver *fakeDriver, handleInUse bool, objects ...runtime.Object) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	client := fake.NewClientset(objects...)

	conn, err := sidecar.DialDriver(driver.serve(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := sidecar.WaitForDriver(ctx, conn, 5*time.Second, log); err != nil {
		t.Fatal(err)
	}
	expander, err := newCSIExpander(ctx, conn, 5*time.Second, client)
	if err != nil {
		t.Fatal(err)
	}
	recorder := record.NewFakeRecorder(100)
	factory := informers.NewSharedInformerFactory(client, 0)
	ctrl, err := newController(controllerConfig{
		driverName:             expander.driverName,
		expander:               expander,
		client:                 client,
		recorder:               recorder,
		log:                    log,
		retryIntervalStart:     10 * time.Millisecond,
		retryIntervalMax:       time.Minute,
		handleVolumeInUseError: handleInUse,
	}, factory)
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	t.Cleanup(func() {
		cancel()
		factory.Shutdown()
	})
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			t.Fatalf("cache of %v did not sync", typ)
		}
	}
	return &harness{t: t, ctx: ctx, client: client, ctrl: ctrl, recorder: recorder, driver: driver, factory: factory, stop: cancel}
}

func (h *harness) pvc() *v1.PersistentVolumeClaim {
	h.t.Helper()
	pvc, err := h.client.CoreV1().PersistentVolumeClaims(testNamespace).Get(h.ctx, testPVC, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return pvc
}

func (h *harness) pv() *v1.PersistentVolume {
	h.t.Helper()
	pv, err := h.client.CoreV1().PersistentVolumes().Get(h.ctx, testPV, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return pv
}

// events drains the events recorded so far, as "Type Reason" strings.
func (h *harness) events() []string {
	var got []string
	for {
		select {
		case e := <-h.recorder.Events:
			fields := strings.SplitN(e, " ", 3)
			got = append(got, fields[0]+" "+fields[1])
		default:
			return got
		}
	}
}

// eventMessages drains the events recorded so far, whole.
func (h *harness) eventMessages() []string {
	var got []string
	for {
		select {
		case e := <-h.recorder.Events:
			got = append(got, e)
		default:
			return got
		}
	}
}

// patches counts the patches the controller sent.
func (h *harness) patches() int {
	n := 0
	for _, a := range h.client.Actions() {
		if a.GetVerb() == "patch" {
			n++
		}
	}
	return n
}

func storage(list v1.ResourceList) string {
	q, ok := list[v1.ResourceStorage]
	if !ok {
		return "<none>"
	}
	return q.String()
}

// conditions lists the PVC's conditions as Type=Status.
func conditions(pvc *v1.PersistentVolumeClaim) []string {
	var got []string
	for _, c := range pvc.Status.Conditions {
		got = append(got, string(c.Type)+"="+string(c.Status))
	}
	return got
}

func condition(pvc *v1.PersistentVolumeClaim, typ v1.PersistentVolumeClaimConditionType) *v1.PersistentVolumeClaimCondition {
	for i := range pvc.Status.Conditions {
		if pvc.Status.Conditions[i].Type == typ {
			return &pvc.Status.Conditions[i]
		}
	}
	return nil
}

func gi(n int64) int64 { return n << 30 }

// stopAndWait ends the controller started with run and waits for it.
func stopAndWait(t *testing.T, h *harness, done <-chan error) {
	t.Helper()
	h.stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the controller did not stop")
	}
}
