package autoscaling

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/store/storetest"
)

const asgName = "eks-workers-0b6c7a3e-1111-2222-3333-444455556666"

// fixture is the model over a real (embedded) store with EC2 and EKS
// models: an ACTIVE cluster "dev" and its ACTIVE node group "workers".
type fixture struct {
	t       *testing.T
	ctx     context.Context
	as      *Service
	subnets []ec2.Subnet
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t)
	e2 := &ec2.Service{Store: st}
	if _, err := e2.EnsureDefaultVPC(ctx, "us-east-1", "123456789012"); err != nil {
		t.Fatal(err)
	}
	all, err := e2.Subnets(ctx, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	// One subnet per zone: the tests count the zones their members are in.
	var sns []ec2.Subnet
	zones := map[string]bool{}
	for _, s := range all {
		if !zones[s.AvailabilityZone] {
			zones[s.AvailabilityZone] = true
			sns = append(sns, s)
		}
	}
	f := &fixture{t: t, ctx: ctx, subnets: sns, as: &Service{Store: st, EC2: e2, EKS: &eks.Service{Store: st, EC2: e2, Now: time.Now}}}
	cl := &eks.Cluster{Name: "dev", UID: "uid", Region: "us-east-1", Account: "123456789012"}
	cl.Status.Phase = eks.StatusActive
	if err := st.Create(ctx, eks.ClusterPrefix+"us-east-1/dev", cl); err != nil {
		t.Fatal(err)
	}
	ng := &eks.Nodegroup{Name: "workers", ClusterName: "dev", ClusterUID: "uid", Region: "us-east-1", Account: "123456789012",
		ARN: "arn:aws:eks:us-east-1:123456789012:nodegroup/dev/workers/0b6c7a3e-1111-2222-3333-444455556666", ASGName: asgName,
		Status: eks.NodegroupActive, Scaling: eks.Scaling{Min: 1, Max: 4, Desired: 2}, Generation: 1, CreatedAt: time.Now(),
		InstanceTypes: []string{"t3.medium", "m5.large"}, Subnets: []string{sns[0].ID, sns[1].ID}, Tags: map[string]string{"team": "a"}}
	if err := st.Create(ctx, eks.NodegroupPrefix+"uid/workers", ng); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) nodegroup() *eks.Nodegroup {
	ng, err := f.as.EKS.GetNodegroupByUID(f.ctx, "uid", "workers")
	if err != nil {
		f.t.Fatal(err)
	}
	return ng
}

func (f *fixture) group() *Group {
	g, err := f.as.Group(f.ctx, "us-east-1", asgName)
	if err != nil {
		f.t.Fatal(err)
	}
	return g
}

func (f *fixture) member(subnet int) *ec2.Instance {
	in, err := f.as.EC2.RunInstance(f.ctx, ec2.Instance{SubnetID: f.subnets[subnet].ID, InstanceType: "t3.medium",
		Tags: map[string]string{TagGroupName: asgName, "kubernetes.io/cluster/dev": "owned"}})
	if err != nil {
		f.t.Fatal(err)
	}
	return in
}

func wantValidation(t *testing.T, err error, message string) {
	t.Helper()
	var ae *awserr.Error
	if !errors.As(err, &ae) || ae.Code != CodeValidation || ae.Message != message {
		t.Fatalf("error %v; want ValidationError %q", err, message)
	}
}

func TestGroupIsAViewOfItsNodegroup(t *testing.T) {
	f := newFixture(t)
	pending, running, draining := f.member(0), f.member(1), f.member(1)
	for _, id := range []string{running.ID, draining.ID} {
		if _, err := f.as.EC2.UpdateInstance(f.ctx, id, func(i *ec2.Instance) error {
			i.State = ec2.StateRunning
			if id == draining.ID {
				i.Tags[TagDraining] = time.Now().UTC().Format(time.RFC3339)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	g := f.group()
	if g.Min != 1 || g.Max != 4 || g.Desired != 2 || g.Status != "" {
		t.Errorf("sizes %d/%d/%d status %q", g.Min, g.Max, g.Desired, g.Status)
	}
	if g.ARN != "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0b6c7a3e-1111-2222-3333-444455556666:autoScalingGroupName/"+asgName {
		t.Errorf("ARN %s", g.ARN)
	}
	if len(g.Zones) != 2 || !slices.Contains(g.Zones, f.subnets[0].AvailabilityZone) || !slices.Contains(g.Zones, f.subnets[1].AvailabilityZone) || g.LaunchTemplateName != "eks-0b6c7a3e-1111-2222-3333-444455556666" {
		t.Errorf("zones %v, launch template %s", g.Zones, g.LaunchTemplateName)
	}
	life := map[string]string{}
	for _, in := range g.Instances {
		life[in.ID] = in.Lifecycle
	}
	if life[pending.ID] != LifecyclePending || life[running.ID] != LifecycleInService || life[draining.ID] != LifecycleTerminating {
		t.Errorf("lifecycle states %v", life)
	}
	tags := map[string]Tag{}
	for _, tg := range g.Tags {
		tags[tg.Key] = tg
	}
	for k, v := range map[string]string{"team": "a", "eks:cluster-name": "dev", "eks:nodegroup-name": "workers", "k8s.io/cluster-autoscaler/enabled": "true",
		"k8s.io/cluster-autoscaler/dev": "owned", "kubernetes.io/cluster/dev": "owned"} {
		if tags[k].Value != v || tags[k].Group != asgName {
			t.Errorf("tag %s = %+v; want %s", k, tags[k], v)
		}
	}
	if !g.MatchesFilter("tag:k8s.io/cluster-autoscaler/dev", []string{"owned"}) || !g.MatchesFilter("tag-key", []string{"k8s.io/cluster-autoscaler/enabled"}) ||
		g.MatchesFilter("tag:team", []string{"b"}) {
		t.Error("filters match the wrong tags")
	}
	// A node group being deleted shows as a group being deleted.
	if _, err := f.as.EKS.SetNodegroup(f.ctx, f.nodegroup(), func(ng *eks.Nodegroup) error {
		ng.DeletionRequested, ng.Status = true, eks.NodegroupDeleting
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if g := f.group(); g.Status != StatusDeleting || g.Desired != 0 {
		t.Errorf("deleting group: status %q desired %d", g.Status, g.Desired)
	}
	_, err := f.as.SetDesiredCapacity(f.ctx, "us-east-1", asgName, 1)
	wantValidation(t, err, "AutoScalingGroup "+asgName+" is pending delete.")
}

// TestSetDesiredCapacityAndUpdateNodegroupConfigAgree: both APIs write and
// read the one scaling config.
func TestSetDesiredCapacityAndUpdateNodegroupConfigAgree(t *testing.T) {
	f := newFixture(t)
	if _, err := f.as.SetDesiredCapacity(f.ctx, "us-east-1", asgName, 3); err != nil {
		t.Fatal(err)
	}
	ng := f.nodegroup()
	if ng.Scaling.Desired != 3 || ng.Generation != 2 {
		t.Fatalf("node group desired %d generation %d after SetDesiredCapacity 3", ng.Scaling.Desired, ng.Generation)
	}
	if ups, _ := f.as.EKS.NodegroupUpdates(f.ctx, ng); len(ups) != 0 {
		t.Errorf("SetDesiredCapacity recorded a node group update: %+v", ups)
	}
	one := 1
	if _, err := f.as.EKS.UpdateNodegroupConfig(f.ctx, eks.NodegroupConfigInput{Region: "us-east-1", ClusterName: "dev", Name: "workers",
		Scaling: &eks.Scaling{Min: -1, Max: -1, Desired: one}}); err != nil {
		t.Fatal(err)
	}
	if g := f.group(); g.Desired != 1 {
		t.Fatalf("group desired %d after UpdateNodegroupConfig 1", g.Desired)
	}
	_, err := f.as.SetDesiredCapacity(f.ctx, "us-east-1", asgName, 5)
	wantValidation(t, err, "New SetDesiredCapacity value 5 is above max value 4 for the AutoScalingGroup.")
	_, err = f.as.SetDesiredCapacity(f.ctx, "us-east-1", asgName, 0)
	wantValidation(t, err, "New SetDesiredCapacity value 0 is below min value 1 for the AutoScalingGroup.")
	_, err = f.as.SetDesiredCapacity(f.ctx, "us-east-1", "eks-nope", 1)
	wantValidation(t, err, "AutoScalingGroup name not found - AutoScalingGroup eks-nope not found")
}

func TestUpdateGroupAppliesBothServicesRules(t *testing.T) {
	f := newFixture(t)
	n := func(v int) *int { return &v }
	// A minimum above the desired size raises it when none is given.
	ng, err := f.as.UpdateGroup(f.ctx, "us-east-1", asgName, SizeChange{Min: n(3)})
	if err != nil || ng.Scaling != (eks.Scaling{Min: 3, Max: 4, Desired: 3}) {
		t.Fatalf("scaling %+v, %v", ng, err)
	}
	_, err = f.as.UpdateGroup(f.ctx, "us-east-1", asgName, SizeChange{Min: n(5), Max: n(4), Desired: n(4)})
	wantValidation(t, err, "Max bound, 4, must be greater than or equal to min bound, 5")
	_, err = f.as.UpdateGroup(f.ctx, "us-east-1", asgName, SizeChange{Desired: n(9)})
	wantValidation(t, err, "Desired capacity:9 must be between the specified min size:3 and max size:4")
	_, err = f.as.UpdateGroup(f.ctx, "us-east-1", asgName, SizeChange{Max: n(451)})
	wantValidation(t, err, "Maximum capacity 451 can't be greater than 450")
	_, err = f.as.UpdateGroup(f.ctx, "us-east-1", asgName, SizeChange{Min: n(0), Max: n(0)})
	wantValidation(t, err, "Maximum capacity 0 can't be less than 1")
}

func TestTerminateInstanceMarksExactlyThatInstance(t *testing.T) {
	f := newFixture(t)
	a, b := f.member(0), f.member(1)
	act, err := f.as.TerminateInstance(f.ctx, "us-east-1", a.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if act.Status != ActivityInProgress || act.Group != asgName || act.Description != "Terminating EC2 instance: "+a.ID ||
		!strings.Contains(act.Cause, "shrinking the capacity from 2 to 1") {
		t.Errorf("activity %+v", act)
	}
	if ng := f.nodegroup(); ng.Scaling.Desired != 1 {
		t.Errorf("desired %d; want 1", ng.Scaling.Desired)
	}
	got, _ := f.as.EC2.GetInstance(f.ctx, a.ID)
	other, _ := f.as.EC2.GetInstance(f.ctx, b.ID)
	if got.Tags[TagDraining] == "" || got.Tags[TagActivity] != act.ID || other.Tags[TagDraining] != "" {
		t.Errorf("marks: named %v, other %v", got.Tags, other.Tags)
	}
	// Asked again: the same activity, no second decrement.
	again, err := f.as.TerminateInstance(f.ctx, "us-east-1", a.ID, true)
	if err != nil || again.ID != act.ID || f.nodegroup().Scaling.Desired != 1 {
		t.Errorf("again: %+v %v, desired %d", again, err, f.nodegroup().Scaling.Desired)
	}
	// The minimum holds.
	_, err = f.as.TerminateInstance(f.ctx, "us-east-1", b.ID, true)
	wantValidation(t, err, "Currently, desiredSize equals minSize (1). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.")
	if _, err := f.as.TerminateInstance(f.ctx, "us-east-1", b.ID, false); err != nil || f.nodegroup().Scaling.Desired != 1 {
		t.Errorf("without decrement: %v, desired %d", err, f.nodegroup().Scaling.Desired)
	}
	stranger, err := f.as.EC2.RunInstance(f.ctx, ec2.Instance{SubnetID: f.subnets[0].ID, InstanceType: "t3.medium"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{stranger.ID, "i-0123456789abcdef0"} {
		_, err = f.as.TerminateInstance(f.ctx, "us-east-1", id, false)
		wantValidation(t, err, "Instance Id not found - No managed instance found for instance ID: "+id)
	}
	// The controller's end of it.
	got, _ = f.as.EC2.GetInstance(f.ctx, a.ID)
	if err := f.as.EndTermination(f.ctx, got); err != nil {
		t.Fatal(err)
	}
	as, err := f.as.Activities(f.ctx, "us-east-1", asgName, []string{act.ID})
	if err != nil || len(as) != 1 || as[0].Status != ActivitySuccessful || as[0].Progress != 100 || as[0].End.IsZero() {
		t.Errorf("finished activity %+v %v", as, err)
	}
}

func TestActivitiesAreBoundedAndPaged(t *testing.T) {
	f := newFixture(t)
	t0 := time.Now().Add(-time.Hour)
	for i := range maxActivities + 5 {
		if _, err := f.as.RecordActivity(f.ctx, Activity{Group: asgName, Region: "us-east-1", Status: ActivitySuccessful,
			Description: "Launching a new EC2 instance", Start: t0.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := f.as.Activities(f.ctx, "us-east-1", asgName, nil)
	if err != nil || len(all) != maxActivities {
		t.Fatalf("%d activities kept (%v); want %d", len(all), err, maxActivities)
	}
	if !all[0].Start.After(all[1].Start) || !all[len(all)-1].Start.Equal(t0.Add(5*time.Second)) {
		t.Errorf("not newest first, or the wrong ones dropped: first %s last %s", all[0].Start, all[len(all)-1].Start)
	}
	var seen int
	token := ""
	for pages := 0; ; pages++ {
		pg, next, err := PageActivities(all, 30, token)
		if err != nil {
			t.Fatal(err)
		}
		seen += len(pg)
		if next == "" {
			if pages != 3 {
				t.Errorf("%d pages; want 4", pages+1)
			}
			break
		}
		token = next
	}
	if seen != maxActivities {
		t.Errorf("paged through %d; want %d", seen, maxActivities)
	}
	if _, _, err := PageActivities(all, 30, "!!"); err == nil {
		t.Error("a bad token was taken")
	}
	if err := f.as.ForgetGroup(f.ctx, "us-east-1", asgName); err != nil {
		t.Fatal(err)
	}
	if all, _ := f.as.Activities(f.ctx, "us-east-1", "", nil); len(all) != 0 {
		t.Errorf("%d activities after the group was forgotten", len(all))
	}
}

func TestTagsAreTheNodegroupsTags(t *testing.T) {
	f := newFixture(t)
	set := []TagChange{{Group: asgName, ResourceType: ResourceTypeGroup, Key: "k8s.io/cluster-autoscaler/node-template/label/pool", Value: "blue"},
		{Group: asgName, ResourceType: ResourceTypeGroup, Key: "eks:cluster-name", Value: "dev"}} // EKS's own, unchanged: accepted
	if err := f.as.CreateOrUpdateTags(f.ctx, "us-east-1", set); err != nil {
		t.Fatal(err)
	}
	if ng := f.nodegroup(); ng.Tags["k8s.io/cluster-autoscaler/node-template/label/pool"] != "blue" || ng.Tags["team"] != "a" || len(ng.Tags) != 2 {
		t.Errorf("node group tags %v", ng.Tags)
	}
	err := f.as.CreateOrUpdateTags(f.ctx, "us-east-1", []TagChange{{Group: asgName, ResourceType: ResourceTypeGroup, Key: "eks:cluster-name", Value: "prod"}})
	wantValidation(t, err, "Tag eks:cluster-name is set by EKS on the Auto Scaling group of node group workers and cannot be changed")
	err = f.as.CreateOrUpdateTags(f.ctx, "us-east-1", []TagChange{{Group: "eks-nope", ResourceType: ResourceTypeGroup, Key: "a", Value: "b"}})
	wantValidation(t, err, "AutoScalingGroup name not found - AutoScalingGroup eks-nope not found")
	if err := f.as.DeleteTags(f.ctx, "us-east-1", []TagChange{{Group: asgName, ResourceType: ResourceTypeGroup, Key: "team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := f.as.Tags(f.ctx, "us-east-1", func(t Tag) bool { return t.Key == "team" })
	if err != nil || len(tags) != 0 {
		t.Errorf("team still tagged: %+v %v", tags, err)
	}
	if ng := f.nodegroup(); ng.Generation != 1 {
		t.Errorf("tags moved the generation to %d", ng.Generation)
	}
}
