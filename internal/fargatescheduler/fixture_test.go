package fargatescheduler

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/fargate"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/kubeclient"
	"github.com/keksdev/keks/internal/store"
)

const (
	testRegion  = "us-east-1"
	testCluster = "fg"
	testProfile = "fp"
)

// fixture is the scheduler over a store of its own, with one ACTIVE
// cluster whose Kubernetes API is client-go's fake clientset.
type fixture struct {
	t       *testing.T
	ctx     context.Context
	eks     *eks.Service
	ec2     *ec2.Service
	kube    *kubeclient.Cache
	cs      *fake.Clientset
	c       *Controller
	cluster *eks.Cluster
	account string
	role    string // the pod execution role's ARN

	served  atomic.Bool  // what Config.Served answers
	asked   sync.Map     // "clusterUID/profile" Config.Served was asked about
	changed atomic.Int32 // InstancesChanged calls
	// bindings are what the fake API server bound (its reactors run on
	// the goroutine of the pass that calls it).
	bindings []binding
}

type binding struct{ namespace, pod, node string }

// logWriter sends the controller's log to the test's.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func newFixture(t *testing.T, mode string) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	openCtx, openCancel := context.WithTimeout(ctx, time.Minute)
	defer openCancel()
	st, err := store.OpenEmbedded(openCtx, t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	f := &fixture{t: t, ctx: ctx}
	ids := &iam.Service{Store: st, Now: time.Now}
	f.ec2 = &ec2.Service{Store: st}
	f.eks = &eks.Service{Store: st, IAM: ids, EC2: f.ec2, Now: time.Now}
	acct, err := ids.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.account = acct.ID

	clusterRole, err := ids.CreateRole(ctx, iam.Role{Name: "cluster-role",
		AssumeRolePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`})
	if err != nil {
		t.Fatal(err)
	}
	podRole, err := ids.CreateRole(ctx, iam.Role{Name: "fargate-pods",
		AssumeRolePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks-fargate-pods.amazonaws.com"},"Action":"sts:AssumeRole"}]}`})
	if err != nil {
		t.Fatal(err)
	}
	f.role = podRole.ARN
	creator, err := ids.CreateUser(ctx, "alice", "", nil)
	if err != nil {
		t.Fatal(err)
	}

	// The default VPC: a public and a private subnet per zone. The cluster
	// has them all; a profile without subnets gets the private ones.
	vpc, err := f.ec2.EnsureDefaultVPC(ctx, testRegion, f.account)
	if err != nil {
		t.Fatal(err)
	}
	subnets, err := f.ec2.Subnets(ctx, testRegion)
	if err != nil {
		t.Fatal(err)
	}
	var subnetIDs []string
	for _, sn := range subnets {
		if sn.VPCID == vpc.ID {
			subnetIDs = append(subnetIDs, sn.ID)
		}
	}
	bootstrap := true
	if _, err := f.eks.CreateCluster(ctx, eks.CreateClusterInput{Name: testCluster, RoleARN: clusterRole.ARN, SubnetIDs: subnetIDs,
		AuthenticationMode: mode, BootstrapCreatorAdmin: &bootstrap, Region: testRegion, Account: f.account, CallerARN: creator.ARN}); err != nil {
		t.Fatal(err)
	}
	f.cluster, err = f.eks.SetStatus(ctx, testRegion, testCluster, func(c *eks.Cluster) error {
		c.Status.Phase = eks.StatusActive
		c.Status.Endpoint = "https://127.0.0.1:6443"
		c.Status.CertificateAuthority = "Y2E="
		c.Status.RunningVersion = c.Spec.Version + ".1"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	f.cs = fake.NewClientset()
	f.fakeAPIServer()
	f.kube = &kubeclient.Cache{}
	f.kube.Set(f.cluster.UID, f.cs)
	t.Cleanup(f.kube.Close)
	f.c = New(Config{
		EKS: f.eks, EC2: f.ec2, Kube: f.kube,
		Log: slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Served: func(clusterUID, profile string) bool {
			f.asked.Store(clusterUID+"/"+profile, true)
			return f.served.Load()
		},
		InstancesChanged: func() { f.changed.Add(1) },
	})
	return f
}

// fakeAPIServer makes the fake clientset do what the API server does and
// its object tracker does not: name objects created with generateName,
// give every object it creates a resourceVersion (objects read from an
// API server always have one), and set a pod's node on a binding
// (refusing a second one).
func (f *fixture) fakeAPIServer() {
	var n atomic.Int64
	f.cs.PrependReactor("create", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if c, ok := a.(k8stesting.CreateAction); ok && c.GetSubresource() == "" {
			if m, ok := c.GetObject().(metav1.Object); ok {
				if m.GetName() == "" && m.GetGenerateName() != "" {
					m.SetName(fmt.Sprintf("%s%05d", m.GetGenerateName(), n.Add(1)))
				}
				if m.GetResourceVersion() == "" {
					m.SetResourceVersion("1")
				}
			}
		}
		return false, nil, nil
	})
	f.cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		c := a.(k8stesting.CreateAction)
		if c.GetSubresource() != "binding" {
			return false, nil, nil
		}
		b := c.GetObject().(*corev1.Binding)
		o, err := f.cs.Tracker().Get(corev1.SchemeGroupVersion.WithResource("pods"), b.Namespace, b.Name)
		if err != nil {
			return true, nil, err
		}
		p := o.(*corev1.Pod).DeepCopy()
		if b.UID != "" && b.UID != p.UID {
			return true, nil, apierrors.NewConflict(corev1.Resource("pods/binding"), b.Name, fmt.Errorf("uid %s is not %s", b.UID, p.UID))
		}
		if p.Spec.NodeName != "" {
			return true, nil, apierrors.NewConflict(corev1.Resource("pods/binding"), b.Name, fmt.Errorf("pod %s is already assigned to node %q", b.Name, p.Spec.NodeName))
		}
		p.Spec.NodeName = b.Target.Name
		if err := f.cs.Tracker().Update(corev1.SchemeGroupVersion.WithResource("pods"), p, p.Namespace); err != nil {
			return true, nil, err
		}
		f.bindings = append(f.bindings, binding{b.Namespace, b.Name, b.Target.Name})
		return true, b, nil
	})
}

// passUntil makes passes until cond holds, failing after 3 s.
func (f *fixture) passUntil(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		f.c.pass(f.ctx)
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("after 3 s of passes: not %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// passes makes n passes, a little apart, for what should not happen.
func (f *fixture) passes(n int) {
	for range n {
		f.c.pass(f.ctx)
		time.Sleep(10 * time.Millisecond)
	}
}

// createProfile makes a profile of the cluster's default namespace.
func (f *fixture) createProfile(name string) *eks.FargateProfile {
	f.t.Helper()
	fp, err := f.eks.CreateFargateProfile(f.ctx, eks.CreateFargateProfileInput{Region: testRegion, Account: f.account,
		ClusterName: testCluster, Name: name, PodExecutionRoleARN: f.role, Selectors: []eks.FargateSelector{{Namespace: "default"}}})
	if err != nil {
		f.t.Fatal(err)
	}
	return fp
}

func (f *fixture) profile(name string) (*eks.FargateProfile, error) {
	return f.eks.GetFargateProfile(f.ctx, testRegion, testCluster, name)
}

func (f *fixture) profileStatus(name string) string {
	f.t.Helper()
	fp, err := f.profile(name)
	if err != nil {
		f.t.Fatal(err)
	}
	return fp.Status
}

// activeProfile makes a profile and lets the scheduler make it ACTIVE.
func (f *fixture) activeProfile(name string) *eks.FargateProfile {
	f.t.Helper()
	f.createProfile(name)
	f.served.Store(true)
	f.passUntil("profile "+name+" ACTIVE", func() bool { return f.profileStatus(name) == eks.FargateProfileActive })
	fp, err := f.profile(name)
	if err != nil {
		f.t.Fatal(err)
	}
	return fp
}

// pod makes a pending pod as the Fargate webhook leaves it.
func (f *fixture) pod(name string, edit ...func(*corev1.Pod)) *corev1.Pod {
	f.t.Helper()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name),
			Labels: map[string]string{fargate.ProfileLabel: testProfile}},
		Spec: corev1.PodSpec{SchedulerName: fargate.SchedulerName,
			Containers: []corev1.Container{{Name: "app", Image: "public.ecr.aws/nginx/nginx"}}},
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
	for _, e := range edit {
		e(p)
	}
	out, err := f.cs.CoreV1().Pods(p.Namespace).Create(f.ctx, p, metav1.CreateOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *fixture) getPod(name string) *corev1.Pod {
	f.t.Helper()
	p, err := f.cs.CoreV1().Pods("default").Get(f.ctx, name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// events are the events recorded of a pod with a reason.
func (f *fixture) events(pod, reason string) []corev1.Event {
	f.t.Helper()
	all, err := f.cs.CoreV1().Events("default").List(f.ctx, metav1.ListOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []corev1.Event
	for _, e := range all.Items {
		if e.InvolvedObject.Name == pod && e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}

// instances are the Fargate instances of a pod.
func (f *fixture) instances(podUID types.UID) []ec2.Instance {
	f.t.Helper()
	all, err := f.ec2.Instances(f.ctx, "")
	if err != nil {
		f.t.Fatal(err)
	}
	var out []ec2.Instance
	for _, in := range all {
		if in.Fargate != nil && in.Fargate.PodUID == string(podUID) {
			out = append(out, in)
		}
	}
	return out
}

// allInstances counts every instance of the store.
func (f *fixture) allInstances() int {
	f.t.Helper()
	all, err := f.ec2.Instances(f.ctx, "")
	if err != nil {
		f.t.Fatal(err)
	}
	return len(all)
}

// actions are the fake clientset's actions of one verb on a resource and subresource.
func (f *fixture) actions(verb, resource, subresource string) []k8stesting.Action {
	var out []k8stesting.Action
	for _, a := range f.cs.Actions() {
		if a.GetVerb() == verb && a.GetResource().Resource == resource && a.GetSubresource() == subresource {
			out = append(out, a)
		}
	}
	return out
}

// node registers a Fargate node as its kubelet would, Ready or not.
func (f *fixture) node(name string, ready bool) {
	f.t.Helper()
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: status}}}}
	nodes := f.cs.CoreV1().Nodes()
	if cur, err := nodes.Get(f.ctx, name, metav1.GetOptions{}); err == nil {
		cur.Status = n.Status
		if _, err := nodes.UpdateStatus(f.ctx, cur, metav1.UpdateOptions{}); err != nil {
			f.t.Fatal(err)
		}
		return
	}
	if _, err := nodes.Create(f.ctx, n, metav1.CreateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

func condition(p *corev1.Pod, typ corev1.PodConditionType) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == typ {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// kubePods is the scheduler's pod informer's store.
func (f *fixture) kubePods() interface {
	GetByKey(string) (any, bool, error)
} {
	f.t.Helper()
	s := &clusterPass{c: f.c, cl: f.cluster, cs: f.cs}
	if err := s.watch(); err != nil {
		f.t.Fatal(err)
	}
	return s.pods.GetStore()
}
