package nodegroups

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/hostcheck"
	"github.com/keksdev/keks/internal/kubeclient"
	"github.com/keksdev/keks/internal/kubeversions"
	"github.com/keksdev/keks/internal/store"
	"github.com/keksdev/keks/internal/store/storetest"
)

// fixture is a node group controller over a real (embedded) store and EC2 and
// EKS models, with a fake Kubernetes client for the cluster.
type fixture struct {
	t       *testing.T
	ctx     context.Context
	st      *store.Store
	ec2     *ec2.Service
	eks     *eks.Service
	kube    *fake.Clientset
	c       *Controller
	subnets []string
	version kubeversions.Version
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := storetest.Open(t)
	e2 := &ec2.Service{Store: st}
	if _, err := e2.EnsureDefaultVPC(ctx, "us-east-1", "123456789012"); err != nil {
		t.Fatal(err)
	}
	sns, err := e2.Subnets(ctx, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: ctx, st: st, ec2: e2, eks: &eks.Service{Store: st, EC2: e2, Now: time.Now}, kube: fake.NewSimpleClientset()}
	for _, sn := range sns {
		f.subnets = append(f.subnets, sn.ID)
	}
	f.version, _ = kubeversions.Lookup(kubeversions.Default)
	cache := &kubeclient.Cache{}
	cache.Set("uid", f.kube)
	f.c = New(f.eks, e2, cache, func() {}, log)
	cl := &eks.Cluster{Name: "dev", UID: "uid", Region: "us-east-1"}
	cl.Status.Endpoint = "https://198.18.0.10"
	cl.Status.Phase = eks.StatusActive
	if err := st.Create(ctx, eks.ClusterPrefix+"us-east-1/dev", cl); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) group(status, release string, desired int) *eks.Nodegroup {
	ng := &eks.Nodegroup{Name: "workers", ClusterName: "dev", ClusterUID: "uid", Region: "us-east-1", ARN: "arn:ng", ASGName: "eks-workers-1",
		Status: status, Scaling: eks.Scaling{Min: 0, Max: 3, Desired: desired}, Generation: 1, CreatedAt: time.Now(),
		Version: f.version.Minor, ReleaseVersion: release, InstanceTypes: []string{"t3.medium"}, Subnets: f.subnets[:1], MaxUnavailable: 1}
	if err := f.st.Create(f.ctx, eks.NodegroupPrefix+"uid/workers", ng); err != nil {
		f.t.Fatal(err)
	}
	return ng
}

func (f *fixture) get() *eks.Nodegroup {
	ng, err := f.eks.GetNodegroupByUID(f.ctx, "uid", "workers")
	if err != nil {
		f.t.Fatal(err)
	}
	return ng
}

func (f *fixture) reconcile() {
	f.t.Helper()
	if err := f.c.reconcile(f.ctx, f.get()); err != nil {
		f.t.Fatal(err)
	}
}

// instance launches a member of the group at a release, with a Ready node
// and one pod of a ReplicaSet on it; drainingFor backdates its drain.
func (f *fixture) instance(release string, drainingFor time.Duration) *ec2.Instance {
	tags := map[string]string{tagASG: "eks-workers-1", tagRelease: release, "kubernetes.io/cluster/dev": "owned"}
	if drainingFor > 0 {
		tags[tagDraining] = time.Now().Add(-drainingFor).UTC().Format(time.RFC3339)
	}
	in, err := f.ec2.RunInstance(f.ctx, ec2.Instance{SubnetID: f.subnets[0], InstanceType: "t3.medium", Tags: tags, KubernetesVersion: f.version.Patch})
	if err != nil {
		f.t.Fatal(err)
	}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: in.PrivateDNSName(), Labels: map[string]string{"eks.amazonaws.com/nodegroup": "workers"}},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}
	if _, err := f.kube.CoreV1().Nodes().Create(f.ctx, node, metav1.CreateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-" + in.ID, Namespace: "default", OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web", APIVersion: "apps/v1"}}},
		Spec: corev1.PodSpec{NodeName: in.PrivateDNSName()}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	if _, err := f.kube.CoreV1().Pods("default").Create(f.ctx, pod, metav1.CreateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	return in
}

// refuseEvictions makes every eviction fail as a PodDisruptionBudget that never allows does.
func (f *fixture) refuseEvictions() {
	f.kube.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "eviction" {
			return false, nil, nil
		}
		return true, nil, apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 10)
	})
}

func TestHostLackingPrerequisitesFailsTheGroup(t *testing.T) {
	f := newFixture(t)
	f.group(eks.NodegroupCreating, "1.0", 2)
	lacks := hostcheck.Describe(hostcheck.Host{Path: t.TempDir(), Root: t.TempDir()}.Missing(hostcheck.Nodes))
	f.c.HostLacks = func() string { return lacks }
	f.reconcile()
	ng := f.get()
	if ng.Status != eks.NodegroupCreateFailed || len(ng.Issues) != 1 || ng.Issues[0].Code != "AsgInstanceLaunchFailures" {
		t.Fatalf("status %s, issues %+v; want CREATE_FAILED with AsgInstanceLaunchFailures", ng.Status, ng.Issues)
	}
	if !strings.Contains(ng.Issues[0].Message, "containernetworking-plugins") || !strings.Contains(ng.Issues[0].Message, "apt-get install") {
		t.Fatalf("the issue does not name what is missing: %s", ng.Issues[0].Message)
	}
	if all, _ := f.ec2.Instances(f.ctx, "us-east-1"); len(all) != 0 {
		t.Fatalf("instances launched on a host that cannot run them: %d", len(all))
	}
}

// TestBlockedDrainFailsTheUpdate: a version update whose drain a budget
// refuses past the deadline fails with PodEvictionFailure; the group goes
// back to its release, keeps the stuck node, drops the node the update
// launched, and is ACTIVE again.
func TestBlockedDrainFailsTheUpdate(t *testing.T) {
	f := newFixture(t)
	f.c.EvictionDeadline = time.Minute
	f.refuseEvictions()
	ng := f.group(eks.NodegroupUpdating, "2.0", 1)
	old := f.instance("1.0", 2*time.Minute)
	surged := f.instance("2.0", 0)
	f.kube.CoreV1().Pods("default").Delete(f.ctx, "web-"+surged.ID, metav1.DeleteOptions{})
	upd := eks.Update{ID: "u-1", ClusterUID: "uid", ClusterName: "dev", Nodegroup: "workers", Type: "VersionUpdate", Status: eks.UpdateInProgress, Generation: ng.Generation, CreatedAt: time.Now()}
	if err := f.st.Create(f.ctx, "eks/updates/uid/u-1", &upd); err != nil {
		t.Fatal(err)
	}
	f.reconcile() // the drain is past its deadline: the update fails
	var got eks.Update
	if _, err := f.st.Get(f.ctx, "eks/updates/uid/u-1", &got); err != nil {
		t.Fatal(err)
	}
	if got.Status != eks.UpdateFailed || len(got.Errors) != 1 || got.Errors[0].ErrorCode != "PodEvictionFailure" {
		t.Fatalf("update %s %+v; want Failed with PodEvictionFailure", got.Status, got.Errors)
	}
	if ng := f.get(); ng.ReleaseVersion != "1.0" {
		t.Fatalf("group release %s after the failed update; want 1.0", ng.ReleaseVersion)
	}
	n, _ := f.kube.CoreV1().Nodes().Get(f.ctx, old.PrivateDNSName(), metav1.GetOptions{})
	if n.Spec.Unschedulable {
		t.Fatal("the kept node is still cordoned")
	}
	for range 3 {
		f.reconcile()
	}
	if ng := f.get(); ng.Status != eks.NodegroupActive || len(ng.Issues) != 0 {
		t.Fatalf("group %s %+v after the failed update; want ACTIVE", ng.Status, ng.Issues)
	}
	for _, id := range []string{old.ID, surged.ID} {
		in, _ := f.ec2.GetInstance(f.ctx, id)
		if want := (id == old.ID); (in.State == ec2.StateRunning || in.State == ec2.StatePending) != want {
			t.Errorf("instance %s (kept=%v) is %s", id, want, in.State)
		}
	}
}

// TestDeleteFinishesDespiteBlockingBudgetAndStuckPod: deleting a group does
// not wait on budgets, and a pod that never goes does not hold it for ever.
func TestDeleteFinishesDespiteBlockingBudgetAndStuckPod(t *testing.T) {
	f := newFixture(t)
	f.refuseEvictions()
	// Deleted pods never go: they only get a deletion timestamp.
	f.kube.PrependReactor("delete", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		name := a.(k8stesting.DeleteAction).GetName()
		obj, err := f.kube.Tracker().Get(schema.GroupVersionResource{Version: "v1", Resource: "pods"}, "default", name)
		if err != nil {
			return true, nil, err
		}
		p := obj.(*corev1.Pod)
		now := metav1.Now()
		p.DeletionTimestamp = &now
		return true, nil, f.kube.Tracker().Update(schema.GroupVersionResource{Version: "v1", Resource: "pods"}, p, "default")
	})
	f.group(eks.NodegroupActive, "1.0", 1)
	in := f.instance("1.0", 0)
	if _, err := f.eks.SetNodegroup(f.ctx, f.get(), func(ng *eks.Nodegroup) error { ng.DeletionRequested = true; return nil }); err != nil {
		t.Fatal(err)
	}
	f.reconcile()
	if got, _ := f.ec2.GetInstance(f.ctx, in.ID); got.State != ec2.StateRunning && got.State != ec2.StatePending {
		t.Fatalf("instance %s before its pods were asked to go", got.State)
	}
	// The pod is still there long after it was deleted.
	if _, err := f.ec2.UpdateInstance(f.ctx, in.ID, func(i *ec2.Instance) error {
		i.Tags[tagDraining] = time.Now().Add(-forcedDrainGrace - time.Second).UTC().Format(time.RFC3339)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	f.reconcile()
	if got, _ := f.ec2.GetInstance(f.ctx, in.ID); got.State == ec2.StateRunning || got.State == ec2.StatePending {
		t.Fatalf("instance still %s: a stuck pod holds the group's deletion", got.State)
	}
	// Once the instance is gone, the group is.
	if _, err := f.ec2.UpdateInstance(f.ctx, in.ID, func(i *ec2.Instance) error { i.State = ec2.StateTerminated; return nil }); err != nil {
		t.Fatal(err)
	}
	f.reconcile()
	if _, err := f.eks.GetNodegroupByUID(f.ctx, "uid", "workers"); err == nil {
		t.Fatal("the group is still there")
	}
}
