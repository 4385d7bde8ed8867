package agent

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/instance"
	"github.com/keksdev/keks/internal/overlay"
)

// sandboxes runs and deletes instances on the host: internal/instance,
// or a fake in tests.
type sandboxes interface {
	Run(ctx context.Context, s *instance.Spec, p instance.Processes) (instance.Processes, error)
	Delete(ctx context.Context, s *instance.Spec, p instance.Processes) error
	Alive(s *instance.Spec, p instance.Processes) bool
	// Firewall replaces the instance's security groups' rules
	// (instance.ApplyFirewall); its namespace exists once Run returned.
	Firewall(ctx context.Context, id, rules string) error
}

// hostNetwork is the host's side of its instances' network beyond what
// instance.Run makes (hostRules, or a fake in tests).
type hostNetwork interface {
	// Ensure lets the subnets' instances and every pod out through the
	// host's NAT, refuses the Service ranges no kube-proxy took, and
	// redirects the metadata service to the agent's proxy.
	// keksRanges are reached without NAT (overlay.HostNetwork.KeksRanges).
	Ensure(subnets, serviceRanges, keksRanges []string) error
	// Remove takes all of that away: no instance is left.
	Remove() error
	// DeleteBridge removes a subnet bridge no instance of the host uses.
	DeleteBridge(name string) error
	// Overlay makes the host's part of the subnets' segments between
	// hosts (overlay.Converge), and returns the bridges it joins.
	Overlay(d *overlay.Desired) (joined []string, err error)
}

// runningResync is how often an instance that keks has not changed is
// checked anyway (instance.Alive), as keks's node controller resyncs.
const runningResync = 30 * time.Second

// rerunAfter is how often an unchanged, alive instance is set up again
// anyway: a device, route or file removed by hand comes back within it.
const rerunAfter = 5 * time.Minute

// unassignedGrace is how long an instance must stay out of the
// assignments before the agent deletes it: keks leaves out an instance
// whose cluster it cannot read for a moment, and a running node must not
// go for that.
const unassignedGrace = 2 * time.Minute

// failuresBeforeReport is how many starts in a row must fail before the
// agent tells keks the instance failed: a start can fail once on what
// passes (containerd slow to make its socket).
const failuresBeforeReport = 3

// converger makes the host what keks assigned it. One goroutine owns it.
type converger struct {
	env       *hostEnv
	sandboxes sandboxes
	network   hostNetwork
	// report posts an instance's state to keks.
	report func(ctx context.Context, st agents.InstanceStatus) error
	log    *slog.Logger
	now    func() time.Time

	// procs are each instance's pids as the last Run returned them; empty
	// after a restart, when instance.Run adopts the running ones by marker.
	procs map[string]instance.Processes
	ran   map[string]ran
	// guarded is the security groups' rules last applied to each
	// instance, and when.
	guarded map[string]ran
	// reported is what keks last took for each instance.
	reported map[string]agents.InstanceStatus
	failures map[string]int
	// bridges are the subnet bridges instances of this host were seen on.
	bridges map[string]bool
	// unassigned is when each local instance was first seen unassigned;
	// grace is how long it may stay so (unassignedGrace; 0 at --cleanup).
	unassigned map[string]time.Time
	grace      time.Duration
	// netFor is what the host's rules were last made for ("" for none
	// made yet, noRules once removed), and when.
	netFor string
	netAt  time.Time
	// joined are the bridges of the subnets whose segments the host
	// joins: they stay without a local instance in them.
	joined []string
	// volumes are the host's EBS volumes (volumes.go); nil holds none.
	volumes *volumes
}

type ran struct {
	sum [sha256.Size]byte
	at  time.Time
}

const noRules = "none"

func newConverger(env *hostEnv, sb sandboxes, nw hostNetwork, report func(context.Context, agents.InstanceStatus) error, log *slog.Logger) *converger {
	return &converger{env: env, sandboxes: sb, network: nw, report: report, log: log, now: time.Now,
		procs: map[string]instance.Processes{}, ran: map[string]ran{}, guarded: map[string]ran{}, reported: map[string]agents.InstanceStatus{},
		failures: map[string]int{}, bridges: map[string]bool{}, unassigned: map[string]time.Time{}, grace: unassignedGrace}
}

// converge makes the host's instances what as says: the wanted ones run,
// the terminated ones and those keks no longer assigns at all are deleted,
// and keks hears of each change. It is idempotent: it runs on every change
// of the assignments and every runningResync.
func (c *converger) converge(ctx context.Context, as *agents.Assignments) {
	assigned := map[string]bool{}
	var run, del []*agents.AssignedInstance
	for i := range as.Instances {
		a := &as.Instances[i]
		if !validInstanceID(a.ID) || assigned[a.ID] {
			c.log.Warn("assignment ignored: its id is not an instance id, or doubled", "id", a.ID)
			continue
		}
		assigned[a.ID] = true
		if bridgeName.MatchString(a.Bridge) {
			c.bridges[a.Bridge] = true
		}
		switch a.Want {
		case agents.WantRunning:
			run = append(run, a)
		case agents.WantTerminated:
			del = append(del, a)
		default:
			c.log.Warn("assignment ignored: unknown want", "instance", a.ID, "want", a.Want)
		}
	}
	// The host's rules come before an instance's first process starts
	// (its kubelet asks the metadata service for credentials at once).
	subnets, ranges, inUse := wantedNetwork(run)
	plan, planErr := overlay.Check(as.Network)
	if len(run) > 0 {
		c.hostRules(subnets, ranges, keksRangesOf(plan))
	}
	c.overlay(plan, planErr)
	for _, b := range c.joined {
		inUse[b], c.bridges[b] = true, true
	}
	for _, a := range run {
		if ctx.Err() != nil {
			return
		}
		c.run(ctx, a)
	}
	for _, a := range del {
		if ctx.Err() != nil {
			return
		}
		c.delete(ctx, a, true)
	}
	kept := c.deleteUnassigned(ctx, assigned)
	if ctx.Err() != nil {
		return
	}
	// An instance in its grace still runs: its bridge and the rules stay.
	for _, a := range kept {
		inUse[a.Bridge] = true
	}
	for b := range c.bridges {
		if !inUse[b] {
			if err := c.network.DeleteBridge(b); err != nil {
				c.log.Warn("remove subnet bridge", "bridge", b, "err", err)
				continue
			}
			delete(c.bridges, b)
		}
	}
	if len(run) == 0 && len(kept) == 0 {
		c.hostRules(nil, nil, nil)
	}
	if c.volumes != nil {
		c.volumes.converge(ctx, as.Volumes)
	}
}

// wantedNetwork is what the host's rules are for: the subnets and Service
// ranges of the instances to run, each once and sorted, and their bridges.
// Only ranges that parse become iptables arguments (an assignment that
// does not check is reported failed by run).
func wantedNetwork(run []*agents.AssignedInstance) (subnets, ranges []string, bridges map[string]bool) {
	bridges = map[string]bool{}
	add := func(list []string, r string) []string {
		p, err := netip.ParsePrefix(r)
		if err != nil || slices.Contains(list, p.String()) {
			return list
		}
		return append(list, p.String())
	}
	for _, a := range run {
		bridges[a.Bridge] = true
		subnets = add(subnets, a.SubnetCIDR)
		for _, r := range a.ServiceRanges {
			ranges = add(ranges, r)
		}
	}
	slices.Sort(subnets)
	slices.Sort(ranges)
	return subnets, ranges, bridges
}

// hostRules makes the host's rules for subnets and ranges, or removes them
// when there are none; iptables is asked again only on a change, or after
// rerunAfter, so rules removed by hand come back.
func (c *converger) hostRules(subnets, ranges, keksRanges []string) {
	key := noRules
	if len(subnets) > 0 {
		key = strings.Join(subnets, ",") + " services " + strings.Join(ranges, ",") + " keks " + strings.Join(keksRanges, ",")
	}
	if key == c.netFor && (key == noRules || c.now().Sub(c.netAt) < rerunAfter) {
		return
	}
	var err error
	if key == noRules {
		err = c.network.Remove()
	} else {
		err = c.network.Ensure(subnets, ranges, keksRanges)
	}
	if err != nil {
		c.log.Warn("the host's rules for instances", "subnets", subnets, "err", err)
		return
	}
	c.netFor, c.netAt = key, c.now()
}

// overlay joins the subnets' segments keks planned for the host (nil:
// none), before instances run on their bridges. A plan that does not
// check is not made; what was joined stays until one does.
func (c *converger) overlay(d *overlay.Desired, err error) {
	if err != nil {
		c.log.Warn("the host's network between hosts does not check; kept as it was", "err", err)
		return
	}
	joined, err := c.network.Overlay(d)
	if err != nil {
		c.log.Warn("the host's network between hosts", "err", err)
	}
	c.joined = joined
}

// run starts an instance, or checks it still runs, and reports it.
func (c *converger) run(ctx context.Context, a *agents.AssignedInstance) {
	spec, err := c.env.spec(a)
	var u *unfit
	if errors.As(err, &u) {
		if c.reported[a.ID].Reason != u.reason {
			c.log.Error("instance cannot run on this host", "instance", a.ID, "reason", u.reason)
		}
		c.tell(ctx, agents.InstanceStatus{ID: a.ID, State: agents.InstanceFailed, Reason: u.reason})
		return
	}
	if err != nil {
		c.log.Warn("instance not converged", "instance", a.ID, "err", err)
		return
	}
	sum := spec.Digest()
	p := c.procs[a.ID]
	if last, ok := c.ran[a.ID]; ok && last.sum == sum && c.now().Sub(last.at) < rerunAfter && c.sandboxes.Alive(spec, p) {
		c.guard(ctx, a)
		c.tell(ctx, running(a.ID, p)) // in case keks did not take it last time
		return
	}
	// Run may make the namespace again, without the rules.
	delete(c.guarded, a.ID)
	got, err := c.sandboxes.Run(ctx, spec, p)
	c.procs[a.ID] = got
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		c.failures[a.ID]++
		c.log.Warn("instance not started", "instance", a.ID, "attempt", c.failures[a.ID], "err", err)
		if c.failures[a.ID] >= failuresBeforeReport {
			c.tell(ctx, agents.InstanceStatus{ID: a.ID, State: agents.InstanceFailed,
				Reason: fmt.Sprintf("%d starts in a row failed, the last: %v", c.failures[a.ID], err)})
		}
		return
	}
	delete(c.failures, a.ID)
	c.ran[a.ID] = ran{sum: sum, at: c.now()}
	c.guard(ctx, a)
	if st := running(a.ID, got); c.reported[a.ID] != st {
		c.log.Info("instance running", "instance", a.ID, "containerd", got.Containerd, "kubelet", got.Kubelet, "kubeProxy", got.KubeProxy)
		c.tell(ctx, st)
	}
}

// guard applies the instance's security groups' rules as keks decided
// them, when they changed or rerunAfter passed (a chain flushed by hand
// comes back). A keks that sends none leaves the namespace as it is.
func (c *converger) guard(ctx context.Context, a *agents.AssignedInstance) {
	if a.Firewall == "" {
		return
	}
	sum := sha256.Sum256([]byte(a.Firewall))
	if last, ok := c.guarded[a.ID]; ok && last.sum == sum && c.now().Sub(last.at) < rerunAfter {
		return
	}
	if err := c.sandboxes.Firewall(ctx, a.ID, a.Firewall); err != nil {
		if ctx.Err() == nil {
			c.log.Warn("security groups not applied; again on the next pass", "instance", a.ID, "err", err)
		}
		return
	}
	c.guarded[a.ID] = ran{sum: sum, at: c.now()}
}

func running(id string, p instance.Processes) agents.InstanceStatus {
	return agents.InstanceStatus{ID: id, State: agents.InstanceRunning, ContainerdPID: p.Containerd, KubeletPID: p.Kubelet, KubeProxyPID: p.KubeProxy}
}

// delete removes everything of an instance; report says keks assigned it
// terminated and waits to hear it is gone.
func (c *converger) delete(ctx context.Context, a *agents.AssignedInstance, report bool) {
	gone := agents.InstanceStatus{ID: a.ID, State: agents.InstanceTerminated}
	if c.reported[a.ID] == gone {
		return // deleted by this agent already, and keks knows
	}
	spec := c.env.deleteSpec(a)
	if err := c.sandboxes.Delete(ctx, spec, c.procs[a.ID]); err != nil {
		if ctx.Err() == nil {
			c.log.Warn("instance not deleted", "instance", a.ID, "err", err)
		}
		return
	}
	delete(c.procs, a.ID)
	delete(c.ran, a.ID)
	delete(c.guarded, a.ID)
	delete(c.failures, a.ID)
	if report {
		c.log.Info("instance terminated", "instance", a.ID)
		c.tell(ctx, gone)
	} else {
		c.log.Info("instance deleted: keks no longer assigns it to this host", "instance", a.ID)
		delete(c.reported, a.ID)
	}
}

// deleteUnassigned deletes the instances this agent has (a directory, or
// pids it started) that keks no longer assigns at all: keks deleted the
// host's record of them, or forgot them. Processes found only by their
// markers are not taken for this host's: markers do not name a host yet,
// and on a machine shared with keks or another agent they may be theirs.
//
// It returns the instances it keeps for now, in their grace.
func (c *converger) deleteUnassigned(ctx context.Context, assigned map[string]bool) (kept []*agents.AssignedInstance) {
	local, err := c.env.local()
	if err != nil {
		c.log.Warn("instances not cleaned up", "err", err)
	}
	for id := range c.procs {
		if !slices.Contains(local, id) {
			local = append(local, id)
		}
	}
	for id := range c.unassigned {
		if assigned[id] || !slices.Contains(local, id) {
			delete(c.unassigned, id)
		}
	}
	for _, id := range local {
		if assigned[id] || ctx.Err() != nil {
			continue
		}
		since, seen := c.unassigned[id]
		if !seen {
			since = c.now()
			c.unassigned[id] = since
		}
		a := c.env.saved(id)
		if c.now().Sub(since) < c.grace {
			if !seen {
				c.log.Info("instance no longer assigned to this host; deleted unless keks assigns it again", "instance", id, "within", c.grace)
			}
			kept = append(kept, a)
			continue
		}
		delete(c.unassigned, id)
		if bridgeName.MatchString(a.Bridge) {
			c.bridges[a.Bridge] = true
		}
		c.delete(ctx, a, false)
	}
	return kept
}

// tell reports st unless keks already took it.
func (c *converger) tell(ctx context.Context, st agents.InstanceStatus) {
	if c.reported[st.ID] == st {
		return
	}
	if err := c.report(ctx, st); err != nil {
		if ctx.Err() == nil {
			c.log.Warn("instance state not reported; again on the next pass", "instance", st.ID, "state", st.State, "err", err)
		}
		return
	}
	c.reported[st.ID] = st
}

// keksRangesOf are the plan's ranges of keks's, as the host's rules take
// them (none for a plan that did not check).
func keksRangesOf(d *overlay.Desired) []string {
	if d == nil {
		return nil
	}
	out := make([]string, 0, len(d.KeksRanges))
	for _, r := range d.KeksRanges {
		out = append(out, r.String())
	}
	return out
}
