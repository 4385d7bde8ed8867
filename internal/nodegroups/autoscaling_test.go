package nodegroups

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/keksdev/keks/internal/autoscaling"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
)

func (f *fixture) autoscaling() *autoscaling.Service {
	as := &autoscaling.Service{Store: f.st, EKS: f.eks, EC2: f.ec2}
	f.c.Activities = as
	return as
}

func (f *fixture) live() map[string]bool {
	all, err := f.ec2.Instances(f.ctx, "us-east-1")
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]bool{}
	for _, in := range all {
		if in.State == ec2.StatePending || in.State == ec2.StateRunning {
			out[in.ID] = true
		}
	}
	return out
}

// TestTerminateInstanceInAutoScalingGroupTakesTheNamedInstance: the
// controller drains and terminates the instance Auto Scaling was asked to,
// not the one its own scale-in would pick (the newest), and records the
// activity's end; with the decrement nothing replaces it.
func TestTerminateInstanceInAutoScalingGroupTakesTheNamedInstance(t *testing.T) {
	f := newFixture(t)
	as := f.autoscaling()
	f.group(eks.NodegroupActive, "1.0", 3)
	oldest, middle, newest := f.instance("1.0", 0), f.instance("1.0", 0), f.instance("1.0", 0)
	// Its pod has gone already: the drain has nothing to wait for.
	_ = f.kube.CoreV1().Pods("default").Delete(f.ctx, "web-"+oldest.ID, metav1.DeleteOptions{})
	act, err := as.TerminateInstance(f.ctx, "us-east-1", oldest.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	f.reconcile()
	live := f.live()
	if live[oldest.ID] || !live[middle.ID] || !live[newest.ID] || len(live) != 2 {
		t.Fatalf("live after terminating %s: %v", oldest.ID, live)
	}
	if ng := f.get(); ng.Scaling.Desired != 2 {
		t.Errorf("desired %d; want 2", ng.Scaling.Desired)
	}
	acts, err := as.Activities(f.ctx, "us-east-1", "eks-workers-1", []string{act.ID})
	if err != nil || len(acts) != 1 || acts[0].Status != autoscaling.ActivitySuccessful {
		t.Errorf("activity %+v %v; want Successful", acts, err)
	}
	f.reconcile()
	if live := f.live(); len(live) != 2 {
		t.Errorf("%d live after another pass; want 2 (nothing replaces a decremented instance)", len(live))
	}
}

// TestTerminateWithoutDecrementIsReplaced: the named instance goes and a
// new one takes its place; the launch is a recorded activity.
func TestTerminateWithoutDecrementIsReplaced(t *testing.T) {
	f := newFixture(t)
	as := f.autoscaling()
	f.group(eks.NodegroupActive, "1.0", 2)
	a, b := f.instance("1.0", 0), f.instance("1.0", 0)
	_ = f.kube.CoreV1().Pods("default").Delete(f.ctx, "web-"+a.ID, metav1.DeleteOptions{})
	if _, err := as.TerminateInstance(f.ctx, "us-east-1", a.ID, false); err != nil {
		t.Fatal(err)
	}
	f.reconcile() // terminates a
	f.reconcile() // launches its replacement
	live := f.live()
	if live[a.ID] || !live[b.ID] || len(live) != 2 {
		t.Fatalf("live %v; want %s and a replacement", live, b.ID)
	}
	if ng := f.get(); ng.Scaling.Desired != 2 {
		t.Errorf("desired %d; want 2", ng.Scaling.Desired)
	}
	acts, err := as.Activities(f.ctx, "us-east-1", "eks-workers-1", nil)
	if err != nil || len(acts) != 2 || acts[0].Status != autoscaling.ActivitySuccessful || acts[1].Status != autoscaling.ActivitySuccessful {
		t.Fatalf("activities %+v %v; want a launch and a termination, both Successful", acts, err)
	}
}

// TestFailedLaunchIsAFailedActivityOnce: a launch that keeps failing is one
// Failed activity (with the launch's error), not one per pass.
func TestFailedLaunchIsAFailedActivityOnce(t *testing.T) {
	f := newFixture(t)
	as := f.autoscaling()
	f.group(eks.NodegroupActive, "1.0", 1)
	f.c.HostLacks = func() string { return "the host lacks containerd" }
	f.reconcile()
	f.reconcile()
	acts, err := as.Activities(f.ctx, "us-east-1", "eks-workers-1", nil)
	if err != nil || len(acts) != 1 || acts[0].Status != autoscaling.ActivityFailed || acts[0].Message != "the host lacks containerd. Launching EC2 instance failed." {
		t.Fatalf("activities %+v %v", acts, err)
	}
}
