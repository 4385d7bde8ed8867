package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/instance"
	"github.com/keksdev/keks/internal/overlay"
)

// fakeHost stands for internal/instance, the host's rules and keks: it
// records what the converger asks of each, in order.
type fakeHost struct {
	events      []string
	pids        int                           // the last pid handed out
	alive       map[string]bool               // instances whose daemons run
	running     map[string]instance.Processes // their pids
	runErr      error                         // what Run fails with, if set
	reports     []agents.InstanceStatus       // what keks took
	runWith     map[string]instance.Processes // pids each instance's last Run was given
	deleted     map[string]*instance.Spec
	reportErr   error
	firewallErr error // what Firewall fails with, if set
}

func newFakeHost() *fakeHost {
	return &fakeHost{alive: map[string]bool{}, running: map[string]instance.Processes{}, runWith: map[string]instance.Processes{}, deleted: map[string]*instance.Spec{}}
}

func (f *fakeHost) Run(_ context.Context, s *instance.Spec, p instance.Processes) (instance.Processes, error) {
	f.events = append(f.events, "run "+s.ID)
	f.runWith[s.ID] = p
	if f.runErr != nil {
		return p, f.runErr
	}
	if !f.alive[s.ID] {
		f.pids += 3
		f.running[s.ID] = instance.Processes{Containerd: f.pids - 2, Kubelet: f.pids - 1, KubeProxy: f.pids}
		f.alive[s.ID] = true
	}
	// As instance.Run, it adopts the running daemons by their markers.
	return f.running[s.ID], nil
}

func (f *fakeHost) Delete(_ context.Context, s *instance.Spec, _ instance.Processes) error {
	f.events = append(f.events, "delete "+s.ID)
	f.deleted[s.ID] = s
	delete(f.alive, s.ID)
	return nil
}

func (f *fakeHost) Alive(s *instance.Spec, _ instance.Processes) bool { return f.alive[s.ID] }

func (f *fakeHost) Firewall(_ context.Context, id, rules string) error {
	f.events = append(f.events, "firewall "+id+" "+rules)
	return f.firewallErr
}

func (f *fakeHost) Ensure(subnets, ranges, _ []string) error {
	f.events = append(f.events, fmt.Sprintf("rules %s %s", strings.Join(subnets, ","), strings.Join(ranges, ",")))
	return nil
}

func (f *fakeHost) Remove() error {
	f.events = append(f.events, "no rules")
	return nil
}

func (f *fakeHost) DeleteBridge(name string) error {
	f.events = append(f.events, "delete bridge "+name)
	return nil
}

func (f *fakeHost) Overlay(d *overlay.Desired) ([]string, error) {
	var joined []string
	for _, s := range d.Subnets {
		joined = append(joined, s.Bridge)
	}
	if len(joined) > 0 || len(d.Routes) > 0 {
		f.events = append(f.events, fmt.Sprintf("overlay %s, %d pod routes", strings.Join(joined, ","), len(d.Routes)))
	}
	return joined, nil
}

func (f *fakeHost) report(_ context.Context, st agents.InstanceStatus) error {
	if f.reportErr != nil {
		return f.reportErr
	}
	f.reports = append(f.reports, st)
	return nil
}

// take returns and forgets what happened so far.
func (f *fakeHost) take() (events []string, reports []agents.InstanceStatus) {
	events, reports = f.events, f.reports
	f.events, f.reports = nil, nil
	return events, reports
}

func newTestConverger(t *testing.T, env *hostEnv, f *fakeHost) *converger {
	c := newConverger(env, f, f, f.report, slog.New(slog.DiscardHandler))
	now := time.Unix(1_800_000_000, 0)
	c.now = func() time.Time { return now }
	return c
}

const id1, id2 = "i-0123456789abcdef0", "i-0fedcba9876543210"

func TestConvergeRunsWhatIsWantedAndReportsItOnce(t *testing.T) {
	f := newFakeHost()
	c := newTestConverger(t, testEnv(t), f)
	as := &agents.Assignments{Revision: "1", Instances: []agents.AssignedInstance{assigned(id1)}}
	c.converge(context.Background(), as)
	events, reports := f.take()
	// The host's rules come before the first process.
	if want := []string{"rules 172.31.0.0/20 10.100.0.0/16", "run " + id1}; !slices.Equal(events, want) {
		t.Errorf("events %q, want %q", events, want)
	}
	if want := []agents.InstanceStatus{{ID: id1, State: agents.InstanceRunning, ContainerdPID: 1, KubeletPID: 2, KubeProxyPID: 3}}; !slices.Equal(reports, want) {
		t.Errorf("reports %+v, want %+v", reports, want)
	}

	// Unchanged and alive: nothing is run, asked or reported again.
	c.converge(context.Background(), as)
	if events, reports := f.take(); len(events) != 0 || len(reports) != 0 {
		t.Errorf("an unchanged pass did %q, reported %+v", events, reports)
	}

	// Its daemons died: the resync runs it again with the pids it had, and
	// reports the new ones.
	f.alive[id1] = false
	c.converge(context.Background(), as)
	events, reports = f.take()
	if !slices.Equal(events, []string{"run " + id1}) || f.runWith[id1] != (instance.Processes{Containerd: 1, Kubelet: 2, KubeProxy: 3}) {
		t.Errorf("events %q, run with %+v", events, f.runWith[id1])
	}
	if len(reports) != 1 || reports[0].KubeletPID != 5 {
		t.Errorf("new pids not reported: %+v", reports)
	}
}

func TestARestartedAgentAdoptsItsInstances(t *testing.T) {
	env := testEnv(t)
	f := newFakeHost()
	as := &agents.Assignments{Revision: "1", Instances: []agents.AssignedInstance{assigned(id1)}}
	newTestConverger(t, env, f).converge(context.Background(), as)
	f.take()
	// A new agent process knows no pids: instance.Run gets none and adopts
	// the running daemons by their markers; nothing is deleted.
	c := newTestConverger(t, env, f)
	c.converge(context.Background(), as)
	events, reports := f.take()
	if !slices.Equal(events, []string{"rules 172.31.0.0/20 10.100.0.0/16", "run " + id1}) || f.runWith[id1] != (instance.Processes{}) {
		t.Errorf("events %q, run with %+v", events, f.runWith[id1])
	}
	if len(reports) != 1 || reports[0].State != agents.InstanceRunning || reports[0].KubeletPID != 2 {
		t.Errorf("reports %+v", reports)
	}
}

func TestConvergeDeletesTerminatedInstancesAndSaysSo(t *testing.T) {
	f := newFakeHost()
	c := newTestConverger(t, testEnv(t), f)
	c.converge(context.Background(), &agents.Assignments{Revision: "1", Instances: []agents.AssignedInstance{assigned(id1), assigned(id2)}})
	f.take()
	gone := assigned(id1)
	gone.Want = agents.WantTerminated
	as := &agents.Assignments{Revision: "2", Instances: []agents.AssignedInstance{gone, assigned(id2)}}
	c.converge(context.Background(), as)
	events, reports := f.take()
	if !slices.Contains(events, "delete "+id1) || slices.Contains(events, "run "+id1) {
		t.Errorf("events %q", events)
	}
	if !slices.Contains(reports, agents.InstanceStatus{ID: id1, State: agents.InstanceTerminated}) {
		t.Errorf("terminated not reported: %+v", reports)
	}
	if s := f.deleted[id1]; s == nil || s.PodCIDR != gone.PodCIDR || s.Bridge != gone.Bridge {
		t.Errorf("deleted with %+v: its pod route and devices need the assignment's", s)
	}
	// Once keks took it, the instance is not deleted again.
	c.converge(context.Background(), as)
	if events, _ := f.take(); slices.Contains(events, "delete "+id1) {
		t.Errorf("deleted twice: %q", events)
	}
}

func TestConvergeDeletesInstancesNoLongerAssignedAndTheirNetwork(t *testing.T) {
	env := testEnv(t)
	f := newFakeHost()
	newTestConverger(t, env, f).converge(context.Background(), &agents.Assignments{Revision: "1", Instances: []agents.AssignedInstance{assigned(id1)}})
	f.take()
	// keks deleted the host's record of the instance while the agent was
	// down: the new agent finds it by its directory.
	c := newTestConverger(t, env, f)
	now := c.now()
	c.converge(context.Background(), &agents.Assignments{Revision: "2"})
	// Not at once: keks leaves out an instance whose cluster it cannot
	// read for a moment.
	if events, _ := f.take(); len(events) != 0 {
		t.Fatalf("an instance in its grace, its bridge or the host's rules went at once: %q", events)
	}
	c.now = func() time.Time { return now.Add(unassignedGrace) }
	c.converge(context.Background(), &agents.Assignments{Revision: "2"})
	events, reports := f.take()
	want := []string{"delete " + id1, "delete bridge ks0123456789ab", "no rules"}
	if !slices.Equal(events, want) {
		t.Errorf("events %q, want %q", events, want)
	}
	if len(reports) != 0 {
		t.Errorf("an instance keks no longer assigns was reported: %+v", reports)
	}
	if s := f.deleted[id1]; s == nil || s.PodCIDR != "100.64.0.64/26" {
		t.Errorf("deleted with %+v, not with its saved assignment", s)
	}
}

func TestAnInstanceAssignedAgainWithinTheGraceStays(t *testing.T) {
	f := newFakeHost()
	c := newTestConverger(t, testEnv(t), f)
	as := &agents.Assignments{Revision: "1", Instances: []agents.AssignedInstance{assigned(id1)}}
	c.converge(context.Background(), as)
	now := c.now()
	c.converge(context.Background(), &agents.Assignments{Revision: "2"})
	c.converge(context.Background(), as)
	c.now = func() time.Time { return now.Add(unassignedGrace) }
	c.converge(context.Background(), &agents.Assignments{Revision: "2"})
	if events, _ := f.take(); slices.Contains(events, "delete "+id1) {
		t.Errorf("deleted although assigned again: the grace starts anew: %q", events)
	}
}

func TestConvergeReportsAMissingKubernetesBuildAsFailed(t *testing.T) {
	f := newFakeHost()
	c := newTestConverger(t, testEnv(t), f)
	a := assigned(id1)
	a.KubernetesVersion = "0.1"
	as := &agents.Assignments{Revision: "1", Instances: []agents.AssignedInstance{a}}
	c.converge(context.Background(), as)
	events, reports := f.take()
	if slices.Contains(events, "run "+id1) {
		t.Error("an instance this host cannot run was started")
	}
	if len(reports) != 1 || reports[0].State != agents.InstanceFailed || !strings.Contains(reports[0].Reason, `Kubernetes "0.1"`) {
		t.Errorf("reports %+v", reports)
	}
	c.converge(context.Background(), as)
	if _, reports := f.take(); len(reports) != 0 {
		t.Errorf("the same failure reported again: %+v", reports)
	}
}

func TestConvergeReportsStartsThatKeepFailing(t *testing.T) {
	f := newFakeHost()
	c := newTestConverger(t, testEnv(t), f)
	f.runErr = errors.New("containerd socket did not appear")
	as := &agents.Assignments{Revision: "1", Instances: []agents.AssignedInstance{assigned(id1)}}
	for i := 1; i < failuresBeforeReport; i++ {
		c.converge(context.Background(), as)
		if _, reports := f.take(); len(reports) != 0 {
			t.Fatalf("failure %d reported: %+v", i, reports)
		}
	}
	c.converge(context.Background(), as)
	if _, reports := f.take(); len(reports) != 1 || reports[0].State != agents.InstanceFailed || !strings.Contains(reports[0].Reason, "containerd socket") {
		t.Fatalf("reports %+v", reports)
	}
	f.runErr = nil
	c.converge(context.Background(), as)
	if _, reports := f.take(); len(reports) != 1 || reports[0].State != agents.InstanceRunning {
		t.Errorf("recovered instance reported %+v", reports)
	}
}

func TestAReportKeksDidNotTakeIsSentAgain(t *testing.T) {
	f := newFakeHost()
	c := newTestConverger(t, testEnv(t), f)
	f.reportErr = errors.New("keks is restarting")
	as := &agents.Assignments{Revision: "1", Instances: []agents.AssignedInstance{assigned(id1)}}
	c.converge(context.Background(), as)
	f.reportErr = nil
	c.converge(context.Background(), as)
	if events, reports := f.take(); len(reports) != 1 || reports[0].State != agents.InstanceRunning || len(slices.DeleteFunc(slices.Clone(events), func(e string) bool { return e != "run "+id1 })) != 1 {
		t.Errorf("events %q, reports %+v", events, reports)
	}
}

func TestConvergeIgnoresAssignmentsWithUnsafeIDs(t *testing.T) {
	env := testEnv(t)
	f := newFakeHost()
	c := newTestConverger(t, env, f)
	a := assigned("i-../../../etc")
	a.Want = agents.WantTerminated
	c.converge(context.Background(), &agents.Assignments{Revision: "1", Instances: []agents.AssignedInstance{a}})
	if events, reports := f.take(); len(f.deleted) != 0 || len(reports) != 0 || !slices.Equal(events, []string{"no rules"}) {
		t.Errorf("events %q, reports %+v", events, reports)
	}
}

func TestHostRulesTakeOnlyRangesThatParse(t *testing.T) {
	bad := assigned(id2)
	bad.SubnetCIDR, bad.ServiceRanges = "172.31.0.0/20 -j ACCEPT", []string{"--flush", "10.100.0.0/16"}
	good := assigned(id1)
	subnets, ranges, _ := wantedNetwork([]*agents.AssignedInstance{&good, &bad})
	if !slices.Equal(subnets, []string{"172.31.0.0/20"}) || !slices.Equal(ranges, []string{"10.100.0.0/16"}) {
		t.Errorf("subnets %q, ranges %q", subnets, ranges)
	}
}

func TestConvergeAppliesTheSecurityGroupsKeksDecided(t *testing.T) {
	f := newFakeHost()
	c := newTestConverger(t, testEnv(t), f)
	a := assigned(id1)
	a.Firewall = "rules-1"
	as := &agents.Assignments{Revision: "1", Instances: []agents.AssignedInstance{a}}
	c.converge(context.Background(), as)
	// After Run: its namespace is there.
	if events, _ := f.take(); !slices.Equal(events, []string{"rules 172.31.0.0/20 10.100.0.0/16", "run " + id1, "firewall " + id1 + " rules-1"}) {
		t.Errorf("first pass: %q", events)
	}
	c.converge(context.Background(), as)
	if events, _ := f.take(); len(events) != 0 {
		t.Errorf("unchanged rules applied again: %q", events)
	}
	// A change of rules alone is applied without running the instance again.
	as.Instances[0].Firewall = "rules-2"
	c.converge(context.Background(), as)
	if events, _ := f.take(); !slices.Equal(events, []string{"firewall " + id1 + " rules-2"}) {
		t.Errorf("changed rules: %q", events)
	}
	// A failed apply is tried again on the next pass.
	as.Instances[0].Firewall = "rules-3"
	f.firewallErr = errors.New("iptables-restore: no")
	c.converge(context.Background(), as)
	f.firewallErr = nil
	c.converge(context.Background(), as)
	if events, _ := f.take(); !slices.Equal(events, []string{"firewall " + id1 + " rules-3", "firewall " + id1 + " rules-3"}) {
		t.Errorf("after a failed apply: %q", events)
	}
	// Its daemons died: Run may make the namespace again, so the rules
	// are applied again after it.
	f.alive[id1] = false
	c.converge(context.Background(), as)
	if events, _ := f.take(); !slices.Equal(events, []string{"run " + id1, "firewall " + id1 + " rules-3"}) {
		t.Errorf("after a rerun: %q", events)
	}
}
