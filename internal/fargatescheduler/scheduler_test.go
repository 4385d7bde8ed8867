package fargatescheduler

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stesting "k8s.io/client-go/testing"

	"github.com/keksdev/keks/internal/authn"
	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/fargate"
)

// A new profile is mapped in aws-auth at once (CONFIG_MAP mode), next to
// what aws-auth maps already, and becomes ACTIVE only once the cluster's
// webhooks serve it. A cluster without an endpoint is left alone.
func TestProfileBecomesActiveOnceServed(t *testing.T) {
	f := newFixture(t, eks.AuthModeConfigMap)
	nodeRole := "arn:aws:iam::" + f.account + ":role/node-role"
	if _, err := f.cs.CoreV1().ConfigMaps("kube-system").Create(f.ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system"},
		Data:       map[string]string{"mapRoles": "- rolearn: " + nodeRole + "\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n  - system:bootstrappers\n  - system:nodes\n"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Until the control plane has an endpoint, nothing is done.
	if _, err := f.eks.SetStatus(f.ctx, testRegion, testCluster, func(c *eks.Cluster) error { c.Status.Endpoint = ""; return nil }); err != nil {
		t.Fatal(err)
	}
	fp := f.createProfile(testProfile)
	if fp.Status != eks.FargateProfileCreating {
		t.Fatalf("new profile %s", fp.Status)
	}
	before := len(f.cs.Actions())
	f.passes(3)
	if n := len(f.cs.Actions()); n != before {
		t.Errorf("a cluster without endpoint: %d API calls: %v", n-before, f.cs.Actions()[before:])
	}
	if _, err := f.eks.SetStatus(f.ctx, testRegion, testCluster, func(c *eks.Cluster) error { c.Status.Endpoint = "https://127.0.0.1:6443"; return nil }); err != nil {
		t.Fatal(err)
	}

	mapped := func() []authn.RoleMapping {
		cm, err := f.cs.CoreV1().ConfigMaps("kube-system").Get(f.ctx, "aws-auth", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return authn.ParseAWSAuth(cm.Data).MapRoles
	}
	f.served.Store(false)
	f.passUntil("the pod execution role mapped in aws-auth", func() bool {
		return slices.ContainsFunc(mapped(), func(m authn.RoleMapping) bool { return m.RoleARN == f.role })
	})
	f.passes(3)
	if s := f.profileStatus(testProfile); s != eks.FargateProfileCreating {
		t.Errorf("profile %s while its webhooks do not serve it, want CREATING", s)
	}
	if _, ok := f.asked.Load(f.cluster.UID + "/" + testProfile); !ok {
		t.Error("Served was not asked about the profile")
	}
	roles := mapped()
	if len(roles) != 2 || roles[0].RoleARN != nodeRole {
		t.Fatalf("mapRoles %+v, want the node role and the pod execution role, once", roles)
	}
	if m := roles[1]; m.RoleARN != f.role || m.Username != "system:node:{{SessionName}}" ||
		!slices.Equal(m.Groups, []string{"system:bootstrappers", "system:nodes", "system:node-proxier"}) {
		t.Errorf("pod execution role mapped as %+v", m)
	}

	f.served.Store(true)
	f.passUntil("profile ACTIVE", func() bool { return f.profileStatus(testProfile) == eks.FargateProfileActive })
	if n := len(mapped()); n != 2 {
		t.Errorf("%d mapRoles after activation, want 2", n)
	}
}

// A pod handed to the fargate-scheduler gets its annotations, a logging
// event and a node of its own; it is bound once that node is Ready, and
// the node ends when the pod is deleted. No event is told twice.
func TestPodLaunchBindAndEnd(t *testing.T) {
	f := newFixture(t, eks.AuthModeConfigMap)
	fp := f.activeProfile(testProfile)
	p := f.pod("p")

	f.passUntil("a node launched for the pod", func() bool { return len(f.instances(p.UID)) > 0 })
	got := f.getPod("p")
	if a := got.Annotations[fargate.CapacityAnnotation]; a != "0.25vCPU 0.5GB" {
		t.Errorf("CapacityProvisioned %q", a)
	}
	if a := got.Annotations[fargate.LoggingAnnotation]; a != "LoggingDisabled: LOGGING_CONFIGMAP_NOT_FOUND" {
		t.Errorf("Logging %q", a)
	}
	evs := f.events("p", "LoggingDisabled")
	if len(evs) != 1 || evs[0].Type != corev1.EventTypeNormal || evs[0].Message != fargate.LoggingNotFoundMessage ||
		evs[0].Source.Component != fargate.SchedulerName || evs[0].InvolvedObject.UID != p.UID {
		t.Errorf("LoggingDisabled events %+v", evs)
	}
	in := f.instances(p.UID)[0]
	task := in.Fargate
	if task.PodName != "p" || task.PodNamespace != "default" || task.Profile != testProfile || task.MilliCPU != 250 || task.MemoryMiB != 512 || len(task.Logging) != 0 {
		t.Errorf("Fargate task %+v", task)
	}
	if !slices.Contains(fp.Subnets, in.SubnetID) || in.RoleARN != f.role || in.Tags["kubernetes.io/cluster/"+testCluster] != "owned" ||
		in.Tags["eks:fargate-profile"] != testProfile || in.ClusterName() != testCluster || in.State != ec2.StatePending ||
		in.KubernetesVersion != f.cluster.Status.RunningVersion {
		t.Errorf("instance %+v", in)
	}
	if !strings.HasPrefix(in.NodeName(), "fargate-ip-") {
		t.Errorf("node name %s", in.NodeName())
	}
	if f.changed.Load() == 0 {
		t.Error("the node controller was not told of the launch")
	}

	// Until its node has registered the pod waits: no second node, no
	// binding, no event told again.
	f.passes(5)
	if n := len(f.instances(p.UID)); n != 1 {
		t.Errorf("%d nodes for one pod", n)
	}
	if b := f.actions("create", "pods", "binding"); len(b) != 0 {
		t.Errorf("bound before the node registered: %v", b)
	}
	if n := len(f.events("p", "LoggingDisabled")); n != 1 {
		t.Errorf("LoggingDisabled told %d times", n)
	}

	// Bound as soon as the node has registered, Ready or not yet: its
	// kubelet starts the pod once it can, seconds earlier.
	f.node(in.NodeName(), false)
	f.passUntil("the pod bound", func() bool { return len(f.actions("create", "pods", "binding")) > 0 })
	b := f.actions("create", "pods", "binding")[0].(k8stesting.CreateAction).GetObject().(*corev1.Binding)
	if b.Name != "p" || b.Namespace != "default" || b.UID != p.UID || b.Target.Kind != "Node" || b.Target.Name != in.NodeName() {
		t.Errorf("binding %+v", b)
	}
	want := fmt.Sprintf("Successfully assigned default/p to %s", in.NodeName())
	evs = f.events("p", "Scheduled")
	if len(evs) != 1 || evs[0].Message != want || evs[0].Type != corev1.EventTypeNormal || evs[0].Source.Component != fargate.SchedulerName ||
		evs[0].ReportingController != fargate.SchedulerName {
		t.Errorf("Scheduled events %+v, want one %q", evs, want)
	}
	f.passUntil("the pod's node seen", func() bool {
		o, ok, _ := f.kubePods().GetByKey("default/p")
		return ok && o.(*corev1.Pod).Spec.NodeName != ""
	})
	f.passes(3)
	if n := len(f.actions("create", "pods", "binding")); n != 1 || len(f.bindings) != 1 {
		t.Errorf("%d bindings (%d done)", n, len(f.bindings))
	}
	if n := len(f.events("p", "Scheduled")); n != 1 {
		t.Errorf("Scheduled told %d times", n)
	}
	if n := len(f.instances(p.UID)); n != 1 {
		t.Errorf("%d nodes for one bound pod", n)
	}

	// The pod deleted, its node ends.
	changed := f.changed.Load()
	if err := f.cs.CoreV1().Pods("default").Delete(f.ctx, "p", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	f.passUntil("the node of the deleted pod shutting down", func() bool {
		ins := f.instances(p.UID)
		return len(ins) == 1 && ins[0].State == ec2.StateShutting
	})
	if f.changed.Load() == changed {
		t.Error("the node controller was not told of the termination")
	}
	for k := range f.c.said {
		if k.pod == p.UID {
			t.Errorf("still remembers %+v of a deleted pod", k)
		}
	}
}

// Pods Fargate cannot run get FailedScheduling and PodScheduled=False,
// each once, and no node.
func TestUnsupportedPodsNotLaunched(t *testing.T) {
	f := newFixture(t, eks.AuthModeConfigMap)
	f.activeProfile(testProfile)
	hostNet := f.pod("hostnet", func(p *corev1.Pod) { p.Spec.HostNetwork = true })
	big := f.pod("big", func(p *corev1.Pod) {
		p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("17")}
	})

	f.passUntil("both pods told", func() bool {
		return len(f.events("hostnet", "FailedScheduling")) > 0 && len(f.events("big", "FailedScheduling")) > 0 &&
			condition(f.getPod("hostnet"), corev1.PodScheduled) != nil && condition(f.getPod("big"), corev1.PodScheduled) != nil
	})
	cases := []struct {
		pod            *corev1.Pod
		reason, prefix string
	}{
		{hostNet, corev1.PodReasonUnschedulable, "Pod not supported on Fargate: fields not supported: HostNetwork"},
		{big, fargate.TooBigReason, fargate.TooBigMessage},
	}
	for _, c := range cases {
		evs := f.events(c.pod.Name, "FailedScheduling")
		if len(evs) != 1 || !strings.HasPrefix(evs[0].Message, c.prefix) || evs[0].Type != corev1.EventTypeWarning || evs[0].Source.Component != fargate.SchedulerName {
			t.Errorf("%s: events %+v, want one starting %q", c.pod.Name, evs, c.prefix)
			continue
		}
		cond := condition(f.getPod(c.pod.Name), corev1.PodScheduled)
		if cond.Status != corev1.ConditionFalse || cond.Reason != c.reason || cond.Message != evs[0].Message {
			t.Errorf("%s: PodScheduled %+v, want False %s %q", c.pod.Name, cond, c.reason, evs[0].Message)
		}
		if a := f.getPod(c.pod.Name).Annotations; a[fargate.CapacityAnnotation] != "" || a[fargate.LoggingAnnotation] != "" {
			t.Errorf("%s: annotated %v", c.pod.Name, a)
		}
	}
	if n := f.allInstances(); n != 0 {
		t.Errorf("%d instances for pods Fargate does not run", n)
	}

	// Passes on: nothing told or patched again once the informer has the condition.
	f.passUntil("the conditions seen", func() bool {
		for _, name := range []string{"default/hostnet", "default/big"} {
			o, ok, _ := f.kubePods().GetByKey(name)
			if !ok || condition(o.(*corev1.Pod), corev1.PodScheduled) == nil {
				return false
			}
		}
		return true
	})
	patches := len(f.actions("patch", "pods", "status"))
	f.passes(5)
	for _, name := range []string{"hostnet", "big"} {
		if n := len(f.events(name, "FailedScheduling")); n != 1 {
			t.Errorf("%s: FailedScheduling told %d times", name, n)
		}
	}
	if n := len(f.actions("patch", "pods", "status")); n != patches {
		t.Errorf("PodScheduled patched %d more times", n-patches)
	}
	if n := f.allInstances(); n != 0 {
		t.Errorf("%d instances for pods Fargate does not run", n)
	}
}

// In API mode a pod execution role without an access entry cannot join:
// the profile's pods are not launched until it has one again.
func TestAPIModeRoleWithoutAccessEntry(t *testing.T) {
	f := newFixture(t, eks.AuthModeAPI)
	f.createProfile(testProfile)
	entries, err := f.eks.AccessEntries(f.ctx, f.cluster.UID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(entries, func(e eks.AccessEntry) bool { return e.PrincipalARN == f.role && e.Type == eks.AccessEntryFargateLinux }) {
		t.Fatalf("the profile made no FARGATE_LINUX entry: %+v", entries)
	}
	if err := f.eks.DeleteAccessEntry(f.ctx, testRegion, testCluster, f.role); err != nil {
		t.Fatal(err)
	}
	f.served.Store(true)
	f.passUntil("profile ACTIVE", func() bool { return f.profileStatus(testProfile) == eks.FargateProfileActive })
	if _, err := f.cs.CoreV1().ConfigMaps("kube-system").Get(f.ctx, "aws-auth", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("aws-auth in API mode: %v", err)
	}

	p := f.pod("p")
	f.passUntil("the pod told", func() bool { return len(f.events("p", "FailedScheduling")) > 0 })
	f.passes(3)
	evs := f.events("p", "FailedScheduling")
	prefix := "Misconfigured Fargate Profile: fargate profile " + testProfile + " blocked for new launches "
	if len(evs) != 1 || !strings.HasPrefix(evs[0].Message, prefix) || evs[0].Type != corev1.EventTypeWarning {
		t.Errorf("events %+v, want one starting %q", evs, prefix)
	}
	if n := len(f.instances(p.UID)); n != 0 {
		t.Errorf("%d nodes for a pod whose role cannot join", n)
	}
	if a := f.getPod("p").Annotations; len(a) != 0 {
		t.Errorf("annotated %v", a)
	}

	// The entry back, the pod is launched.
	if _, err := f.eks.CreateAccessEntry(f.ctx, eks.CreateAccessEntryInput{Region: testRegion, ClusterName: testCluster,
		PrincipalARN: f.role, Type: eks.AccessEntryFargateLinux}); err != nil {
		t.Fatal(err)
	}
	f.passUntil("a node launched once the role has its entry", func() bool { return len(f.instances(p.UID)) == 1 })
}

// A DELETING profile's pods are deleted, their nodes end, and the profile
// is gone once none of them is left.
func TestProfileDeletion(t *testing.T) {
	f := newFixture(t, eks.AuthModeConfigMap)
	f.activeProfile(testProfile)
	p := f.pod("p")
	f.passUntil("a node launched for the pod", func() bool { return len(f.instances(p.UID)) > 0 })

	if _, err := f.eks.DeleteFargateProfile(f.ctx, testRegion, testCluster, testProfile); err != nil {
		t.Fatal(err)
	}
	f.passUntil("the profile's pod deleted", func() bool {
		_, err := f.cs.CoreV1().Pods("default").Get(f.ctx, "p", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	f.passUntil("the pod's node shutting down", func() bool {
		ins := f.instances(p.UID)
		return len(ins) == 1 && ins[0].State == ec2.StateShutting
	})
	f.passes(2)
	if s := f.profileStatus(testProfile); s != eks.FargateProfileDeleting {
		t.Errorf("profile %s while its node is still shutting down, want DELETING", s)
	}

	// The node controller finishes the termination.
	in := f.instances(p.UID)[0]
	if _, err := f.ec2.UpdateInstance(f.ctx, in.ID, func(i *ec2.Instance) error { i.State = ec2.StateTerminated; return nil }); err != nil {
		t.Fatal(err)
	}
	f.passUntil("the profile gone", func() bool {
		_, err := f.profile(testProfile)
		return err != nil
	})
	_, err := f.profile(testProfile)
	if e, ok := awserr.AsError(err); !ok || e.Code != eks.CodeResourceNotFound {
		t.Errorf("describe a deleted profile: %v", err)
	}
}
