package sgfirewall

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"time"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/instance"
	"github.com/keksdev/keks/internal/loop"
)

// Controller keeps every instance's chain what its groups' rules, their
// members and its cluster say. Store changes to groups, instances and
// clusters wake it, so a rule takes effect within a pass (well under a
// second); it re-applies every chain now and then, so a namespace made
// again (a host restart) gets its rules back. It keeps nothing but a cache
// of what it applied, so a restarted keks simply applies everything again.
type Controller struct {
	EC2 *ec2.Service
	EKS *eks.Service
	// HostSources are the host's addresses as instances see them besides
	// the subnets' gateways: the slot's control-plane, load-balancer,
	// registry and metadata ranges.
	HostSources []netip.Prefix
	// Apply replaces an instance's rules (instance.ApplyFirewall);
	// Ready says whether its namespace exists (instance.HasNetwork).
	Apply func(ctx context.Context, id, restore string) error
	Ready func(id string) bool
	Log   *slog.Logger
	// Off makes every chain allow all (KEKS_SECURITY_GROUPS=off): the
	// switch that turns enforcement off, on instances already guarded too.
	Off bool

	loop      *loop.Loop
	applied   map[string]string // instance ID -> rules last applied
	refreshed time.Time
}

// New makes a controller that applies rules to instances' namespaces.
func New(ec2Svc *ec2.Service, eksSvc *eks.Service, hostSources []netip.Prefix, log *slog.Logger) *Controller {
	return &Controller{EC2: ec2Svc, EKS: eksSvc, HostSources: hostSources, Apply: instance.ApplyFirewall, Ready: instance.HasNetwork, Log: log,
		loop: loop.New(), applied: map[string]string{}}
}

// Wake asks for a pass soon.
func (c *Controller) Wake() { c.loop.Wake() }

// Run reconciles until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.loop.RunPaced(ctx, c.pass) }

const (
	retryAfter   = 2 * time.Second  // an instance whose namespace is not there yet, or a failed apply
	refreshEvery = 60 * time.Second // every chain applied again
)

func (c *Controller) pass(ctx context.Context) time.Duration {
	if time.Since(c.refreshed) > refreshEvery {
		clear(c.applied)
		c.refreshed = time.Now()
	}
	w, err := c.look(ctx, nil)
	if err != nil {
		c.Log.Warn("read security groups' state", "err", err)
		return retryAfter
	}
	next := refreshEvery
	live := map[string]bool{}
	for i := range w.instances {
		in := &w.instances[i]
		if !alive(in) {
			continue
		}
		if in.Host != "" {
			continue // an agent host's instance: its agent applies its rules (Firewalls)
		}
		live[in.ID] = true
		if !c.Ready(in.ID) {
			next = retryAfter
			continue
		}
		rules := c.rulesOf(in, w)
		if c.applied[in.ID] == rules {
			continue
		}
		if err := c.Apply(ctx, in.ID, rules); err != nil {
			c.Log.Warn("apply security groups", "instance", in.ID, "err", err)
			next = retryAfter
			continue
		}
		c.applied[in.ID] = rules
		c.Log.Debug("security groups applied", "instance", in.ID, "groups", in.SecurityGroupIDs)
	}
	for id := range c.applied {
		if !live[id] {
			delete(c.applied, id)
		}
	}
	return next
}

// Firewalls are the rules of each live instance of ins, decided as for
// keks's own (with every instance, group, subnet and cluster the store
// has): an agent host's instances get theirs in their assignments, and the
// agent applies them (instance.ApplyFirewall), since their namespaces are
// on its host.
//
// all are every instance, as the caller already listed them.
func (c *Controller) Firewalls(ctx context.Context, ins, all []ec2.Instance) (map[string]string, error) {
	w, err := c.look(ctx, all)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ins))
	for i := range ins {
		if alive(&ins[i]) {
			out[ins[i].ID] = c.rulesOf(&ins[i], w)
		}
	}
	return out, nil
}

// world is what deciding instances' rules reads from the store.
type world struct {
	instances []ec2.Instance
	groups    []ec2.SecurityGroup
	clusters  []eks.Cluster
	view      View
}

// look reads what deciding rules needs; instances, when given, are every
// instance already listed.
func (c *Controller) look(ctx context.Context, instances []ec2.Instance) (*world, error) {
	w := &world{instances: instances}
	var subnets []ec2.Subnet
	var err error
	if w.instances == nil {
		if w.instances, err = c.EC2.Instances(ctx, ""); err != nil {
			return nil, fmt.Errorf("list instances: %w", err)
		}
	}
	if w.groups, err = c.EC2.AllSecurityGroups(ctx); err != nil {
		return nil, fmt.Errorf("list security groups: %w", err)
	}
	if subnets, err = c.EC2.AllSubnets(ctx); err != nil {
		return nil, fmt.Errorf("list subnets: %w", err)
	}
	if w.clusters, err = c.EKS.ListAllClusters(ctx); err != nil {
		return nil, fmt.Errorf("list clusters: %w", err)
	}
	byID := make(map[string]*ec2.SecurityGroup, len(w.groups))
	for i := range w.groups {
		byID[w.groups[i].ID] = &w.groups[i]
	}
	w.view = View{Groups: byID, Members: MembersOf(w.instances), HostSources: c.hostSources(subnets)}
	return w, nil
}

// rulesOf is an instance's rules in w; with Off, a chain that allows all.
func (c *Controller) rulesOf(in *ec2.Instance, w *world) string {
	if c.Off {
		return Rules(&ec2.Instance{}, &w.view)
	}
	v := w.view
	v.HostGroups = hostGroups(in, w.clusters, w.groups)
	return Rules(in, &v)
}

func alive(in *ec2.Instance) bool {
	return in.State != ec2.StateTerminated && in.State != ec2.StateShutting
}

// hostSources are the host's addresses: the configured ranges and each
// subnet's gateway (the bridge's address, from which the host's own
// processes reach the subnet's instances).
func (c *Controller) hostSources(subnets []ec2.Subnet) []string {
	var out []string
	for _, p := range c.HostSources {
		out = append(out, p.String())
	}
	for _, sn := range subnets {
		if gw, err := sn.GatewayAddress(); err == nil {
			out = append(out, netip.PrefixFrom(gw, 32).String())
		}
	}
	return out
}

// hostGroups are the groups the host is a member of on an instance: its
// VPC's default group on every instance (keks's stand-in for the way in an
// operator gives itself, so that a plain instance left in the default
// group is reachable from the host, as a self-managed node's control plane
// must be), and on an instance of a cluster the cluster security group and
// resourcesVpcConfig's groups, as EKS's control-plane interfaces carry them.
func hostGroups(in *ec2.Instance, clusters []eks.Cluster, groups []ec2.SecurityGroup) []string {
	var out []string
	if j := slices.IndexFunc(groups, func(g ec2.SecurityGroup) bool { return g.VPCID == in.VPCID && g.Name == "default" }); j >= 0 {
		out = append(out, groups[j].ID)
	}
	name := in.ClusterName()
	if name == "" {
		return out
	}
	i := slices.IndexFunc(clusters, func(c eks.Cluster) bool { return c.Name == name && c.Region == in.Region })
	if i < 0 {
		return out
	}
	out = append(out, clusters[i].Spec.SecurityGroupIDs...)
	if id := clusters[i].Status.ClusterSecurityGroupID; id != "" {
		out = append(out, id)
	}
	return out
}
