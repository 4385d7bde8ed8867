// Package nodegroups converges managed node groups: like an Auto Scaling
// group it keeps the desired number of instances across the group's
// subnets, replaces instances that die, drains nodes (honouring
// PodDisruptionBudgets) before terminating them, rolls new versions out
// surge-first, and reports the group's status and health as EKS does.
package nodegroups

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/keksdev/keks/internal/autoscaling"
	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/kubeclient"
	"github.com/keksdev/keks/internal/kubeversions"
	"github.com/keksdev/keks/internal/loop"
)

// Tags that tie an instance to its group, as EKS's Auto Scaling groups set them.
const (
	tagNodegroup = "eks:nodegroup-name"
	tagCluster   = "eks:cluster-name"
	tagASG       = autoscaling.TagGroupName
	tagRelease   = "eks:release-version"
	tagDraining  = autoscaling.TagDraining // set when the group starts draining an instance
)

// How long things may take before the group reports a problem.
const (
	nodeJoinTimeout  = 3 * time.Minute  // NodeCreationFailure
	createTimeout    = 10 * time.Minute // CREATE_FAILED
	evictionDeadline = 15 * time.Minute // PodEvictionFailure, as EKS gives up after 15 minutes
	// forcedDrainGrace is how long a forced drain waits for deleted pods to
	// go before the instance is terminated under them.
	forcedDrainGrace = 90 * time.Second
)

// Controller converges node groups.
type Controller struct {
	*loop.Loop
	eks         *eks.Service
	ec2         *ec2.Service
	kube        *kubeclient.Cache
	wakeNodes   func()
	log         *slog.Logger
	mu          sync.Mutex
	launchError map[string]string // node group ARN -> last launch failure
	// HostLacks says what the host is missing to start instances ("" when
	// nothing is); such a group fails at once rather than retrying for ever.
	HostLacks func() string
	// EvictionDeadline replaces EKS's 15 minutes (tests).
	EvictionDeadline time.Duration
	busy             bool // the pass found a group not converged
	// Activities, when set, records the groups' scaling activities
	// (launches, failed launches, terminations) for Auto Scaling's API.
	Activities *autoscaling.Service
	failures   map[string]recordedFailure // node group ARN -> last failed launch recorded
}

// New makes a node group controller; wakeNodes asks the instance controller
// to act on launched or terminated instances at once.
func New(e *eks.Service, e2 *ec2.Service, kube *kubeclient.Cache, wakeNodes func(), log *slog.Logger) *Controller {
	return &Controller{Loop: loop.New(), eks: e, ec2: e2, kube: kube, wakeNodes: wakeNodes, log: log, launchError: map[string]string{}}
}

// Run converges node groups until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	return c.Loop.RunPaced(ctx, func(ctx context.Context) time.Duration {
		if c.pass(ctx) {
			return 2 * time.Second
		}
		return idlePeriod
	})
}

// idlePeriod paces the passes while every group is converged: a dead node
// or a change made in the cluster is noticed within it; API changes and
// instance changes wake the controller at once.
const idlePeriod = 15 * time.Second

// pass converges every group and reports whether any is still on its way.
func (c *Controller) pass(ctx context.Context) (busy bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ngs, err := c.eks.Nodegroups(ctx, "")
	if err != nil {
		c.log.Warn("list node groups", "err", err)
		return true
	}
	c.busy = false
	for i := range ngs {
		ng := &ngs[i]
		if err := c.reconcile(ctx, ng); err != nil && ctx.Err() == nil {
			c.log.Warn("node group not converged", "cluster", ng.ClusterName, "nodegroup", ng.Name, "err", err)
			c.busy = true
		}
		if ng.DeletionRequested || ng.Status == eks.NodegroupCreating || ng.Status == eks.NodegroupUpdating {
			c.busy = true
		}
	}
	return c.busy
}

// member is one instance of a group with its node's state.
type member struct {
	ec2.Instance
	node     *corev1.Node // nil until the instance's kubelet registers
	ready    bool
	draining bool
}

func (m *member) live() bool {
	return m.State == ec2.StatePending || m.State == ec2.StateRunning
}

func (c *Controller) members(ctx context.Context, ng *eks.Nodegroup, cs kubernetes.Interface) ([]*member, error) {
	all, err := c.ec2.Instances(ctx, ng.Region)
	if err != nil {
		return nil, err
	}
	nodes := map[string]corev1.Node{}
	if cs != nil {
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		list, err := cs.CoreV1().Nodes().List(lctx, metav1.ListOptions{LabelSelector: "eks.amazonaws.com/nodegroup=" + ng.Name})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("list nodes of %s: %w", ng.Name, err)
		}
		for _, n := range list.Items {
			nodes[n.Name] = n
		}
	}
	var out []*member
	for _, in := range all {
		if in.Tags[tagASG] != ng.ASGName {
			continue
		}
		m := &member{Instance: in, draining: in.Tags[tagDraining] != ""}
		if n, ok := nodes[in.PrivateDNSName()]; ok {
			m.node = &n
			m.ready = kubeclient.NodeReady(&n)
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LaunchTime.Before(out[j].LaunchTime) })
	return out, nil
}

func (c *Controller) reconcile(ctx context.Context, ng *eks.Nodegroup) error {
	cl, err := c.eks.GetCluster(ctx, ng.Region, ng.ClusterName)
	var ae *awserr.Error
	if errors.As(err, &ae) && ae.Code == eks.CodeResourceNotFound {
		c.forgetActivities(ctx, ng)
		return c.eks.ForgetNodegroup(ctx, ng)
	} else if err != nil {
		return err
	}
	var cs kubernetes.Interface
	if cl.Status.Endpoint != "" {
		if cs, err = c.kube.For(cl.UID); err != nil {
			return err
		}
	}
	ms, err := c.members(ctx, ng, cs)
	if err != nil {
		return err
	}
	if ng.DeletionRequested {
		return c.deleteGroup(ctx, ng, ms, cs)
	}
	var live, current, outdated []*member
	for _, m := range ms {
		if !m.live() {
			continue
		}
		live = append(live, m)
		if m.Tags[tagRelease] == ng.ReleaseVersion && !m.draining {
			current = append(current, m)
		} else if !m.draining {
			outdated = append(outdated, m)
		}
	}
	want := ng.Scaling.Desired
	// Launch: up to the desired count of up-to-date instances; during a
	// rolling update the group surges by maxUnavailable first.
	surge := 0
	if len(outdated) > 0 {
		surge = ng.MaxUnavailableNodes()
	}
	launch := min(want-len(current), want+surge-len(live))
	if launch > 0 {
		if lacks := c.hostLacks(); lacks != "" {
			c.launchError[ng.ARN] = lacks
			c.recordLaunchFailure(ctx, ng, lacks)
			launch = 0
		}
	}
	for i := 0; i < launch; i++ {
		in, err := c.launch(ctx, ng, live)
		if err != nil {
			c.launchError[ng.ARN] = err.Error()
			c.recordLaunchFailure(ctx, ng, err.Error())
			c.log.Warn("launch instance", "nodegroup", ng.Name, "err", err)
			break
		}
		delete(c.launchError, ng.ARN)
		c.recordLaunch(ctx, ng, in, len(live))
		// Up to date and not Ready yet: no outdated node goes this pass.
		m := &member{Instance: *in}
		live, current = append(live, m), append(current, m)
	}
	// Remove: outdated instances once the new ones are Ready, then extras.
	readyCurrent := 0
	for _, m := range current {
		if m.ready {
			readyCurrent++
		}
	}
	var drainNow []*member
	draining := 0
	for _, m := range live {
		if m.draining {
			draining++
			drainNow = append(drainNow, m)
		}
	}
	budget := ng.MaxUnavailableNodes() - draining
	// An outdated node goes once every new node launched so far is Ready, at
	// most maxUnavailable at a time; its replacement is launched on the next pass.
	if len(outdated) > 0 && readyCurrent == len(current) {
		for _, m := range outdated {
			if budget <= 0 {
				break
			}
			drainNow = append(drainNow, m)
			budget--
		}
	}
	if extra := len(current) - want; extra > 0 && len(outdated) == 0 {
		for _, m := range scaleInOrder(current)[:extra] {
			drainNow = append(drainNow, m)
		}
	}
	var evictionStuck []string
	var stuckMembers []*member
	for _, m := range drainNow {
		stuck, err := c.drainAndTerminate(ctx, ng, m, cs)
		if err != nil {
			c.log.Warn("drain", "nodegroup", ng.Name, "instance", m.ID, "err", err)
		}
		if stuck {
			evictionStuck = append(evictionStuck, m.ID)
			stuckMembers = append(stuckMembers, m)
		}
	}
	if len(stuckMembers) > 0 {
		failed, err := c.failStuckUpdate(ctx, ng, stuckMembers, cs)
		if err != nil {
			return err
		}
		if failed {
			// The group is back on its release; the next pass sees it so.
			return nil
		}
	}
	if cs != nil {
		c.applyNodeConfig(ctx, ng, current, cs)
	}
	return c.report(ctx, ng, ms, current, outdated, evictionStuck)
}

// scaleInOrder lists instances in the order a scale-in removes them: from
// the zone with the most instances, newest first.
func scaleInOrder(ms []*member) []*member {
	perZone := map[string]int{}
	for _, m := range ms {
		perZone[m.Zone]++
	}
	out := slices.Clone(ms)
	sort.SliceStable(out, func(i, j int) bool {
		if perZone[out[i].Zone] != perZone[out[j].Zone] {
			return perZone[out[i].Zone] > perZone[out[j].Zone]
		}
		return out[i].LaunchTime.After(out[j].LaunchTime)
	})
	return out
}

// launch starts one instance in the subnet whose zone has the fewest of the
// group's instances, as an Auto Scaling group balances zones.
func (c *Controller) launch(ctx context.Context, ng *eks.Nodegroup, live []*member) (*ec2.Instance, error) {
	perSubnet := map[string]int{}
	perZone := map[string]int{}
	for _, m := range live {
		perSubnet[m.SubnetID]++
	}
	zoneOf := map[string]string{}
	for _, id := range ng.Subnets {
		sn, err := c.ec2.GetSubnet(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("subnet %s: %w", id, err)
		}
		zoneOf[id] = sn.AvailabilityZone
		perZone[sn.AvailabilityZone] += perSubnet[id]
	}
	best := ""
	for _, id := range ng.Subnets {
		if best == "" || perZone[zoneOf[id]] < perZone[zoneOf[best]] || (perZone[zoneOf[id]] == perZone[zoneOf[best]] && perSubnet[id] < perSubnet[best]) {
			best = id
		}
	}
	v, ok := kubeversions.Lookup(ng.Version)
	if !ok {
		return nil, fmt.Errorf("node group version %s is not known", ng.Version)
	}
	tags := map[string]string{
		"kubernetes.io/cluster/" + ng.ClusterName: "owned", tagCluster: ng.ClusterName, tagNodegroup: ng.Name,
		tagASG: ng.ASGName, tagRelease: ng.ReleaseVersion, "Name": ng.ClusterName + "-" + ng.Name + "-Node",
	}
	for k, val := range ng.Tags {
		tags[k] = val
	}
	var taints []string
	for _, t := range ng.Taints {
		taints = append(taints, t.Key+"="+t.Value+":"+t.KubernetesEffect())
	}
	// remoteAccess's key goes to every instance, as the launch template EKS makes for it.
	var keyName string
	if ng.RemoteAccess != nil {
		keyName = ng.RemoteAccess.EC2SSHKey
	}
	cl, err := c.eks.GetCluster(ctx, ng.Region, ng.ClusterName)
	if err != nil {
		return nil, err
	}
	in, err := c.ec2.RunInstance(ctx, ec2.Instance{
		SubnetID: best, InstanceType: ng.InstanceTypes[0], ImageID: kubeversions.NodeImageID(ng.ReleaseVersion),
		RoleARN: ng.NodeRole, Tags: tags, NodeLabels: ng.Labels, NodeTaints: taints, KubernetesVersion: v.Patch,
		SecurityGroupIDs: eks.InstanceSecurityGroups(cl, ng), KeyName: keyName,
	})
	if err != nil {
		return nil, err
	}
	c.log.Info("instance launched", "nodegroup", ng.Name, "instance", in.ID, "zone", in.Zone, "address", in.PrivateIP)
	c.wakeNodes()
	return in, nil
}

func (c *Controller) deleteGroup(ctx context.Context, ng *eks.Nodegroup, ms []*member, cs kubernetes.Interface) error {
	remaining := 0
	for _, m := range ms {
		switch {
		case m.live():
			remaining++
			if _, err := c.drainAndTerminate(ctx, ng, m, cs); err != nil {
				c.log.Warn("drain", "nodegroup", ng.Name, "instance", m.ID, "err", err)
			}
		case m.State == ec2.StateShutting:
			remaining++
		}
	}
	if remaining > 0 {
		return nil
	}
	c.log.Info("node group deleted", "cluster", ng.ClusterName, "nodegroup", ng.Name)
	delete(c.launchError, ng.ARN)
	c.forgetActivities(ctx, ng)
	return c.eks.ForgetNodegroup(ctx, ng)
}

func (c *Controller) hostLacks() string {
	if c.HostLacks == nil {
		return ""
	}
	return c.HostLacks()
}

func (c *Controller) evictionDeadline() time.Duration {
	if c.EvictionDeadline > 0 {
		return c.EvictionDeadline
	}
	return evictionDeadline
}
