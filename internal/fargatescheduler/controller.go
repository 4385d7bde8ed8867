// Package scheduler is EKS's fargate-scheduler and Fargate profile
// lifecycle for keks: it moves profiles from CREATING to ACTIVE once the
// cluster's webhooks know them and finishes their deletion; it gives each
// pod the webhook handed to it (schedulerName fargate-scheduler) a Fargate
// node of its own, an instance sized as Fargate sizes the pod, binds the pod
// there once the node has registered, and terminates the instance when the pod is
// gone. The instance itself is run by the node controller like any other.
package fargatescheduler

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/kubeclient"
	"github.com/keksdev/keks/internal/loop"
)

// Config is what the scheduler needs.
type Config struct {
	EKS  *eks.Service
	EC2  *ec2.Service
	Kube *kubeclient.Cache
	Log  *slog.Logger
	// Served says whether a cluster's webhooks have been given a profile
	// (controlplane.Controller.FargateProfilesServed).
	Served func(clusterUID, profile string) bool
	// InstancesChanged wakes the node controller after a launch or a termination.
	InstancesChanged func()
	// Logs ships Fargate pods' container logs to CloudWatch Logs; nil ships none.
	Logs LogSink
	// DataDir is where instances have their directories (nodes.Config.DataDir).
	DataDir string
}

// Controller is the fargate-scheduler of every cluster.
type Controller struct {
	*loop.Loop
	cfg Config
	mu  sync.Mutex
	// said remembers the events told per pod, so a pod that stays Pending
	// is not told the same thing every pass.
	said map[told]bool
	seen map[types.UID]bool // the Fargate pods of this pass
	// logs follows the container logs of Fargate pods with logging on.
	logs *logShipper
}

// New makes the scheduler.
func New(cfg Config) *Controller {
	c := &Controller{Loop: loop.New(), cfg: cfg, said: map[told]bool{}}
	if cfg.Logs != nil {
		c.logs = newLogShipper(cfg.Logs, cfg.DataDir, cfg.Log)
	}
	return c
}

// Run schedules until ctx ends: at once when a pod, a node or a profile
// changes, every 5 s while work is in flight, every 30 s otherwise.
func (c *Controller) Run(ctx context.Context) error {
	return c.Loop.RunPaced(ctx, c.pass)
}

func (c *Controller) pass(ctx context.Context) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	clusters, err := c.cfg.EKS.ListAllClusters(ctx)
	if err != nil {
		c.cfg.Log.Warn("fargate: list clusters", "err", err)
		return 5 * time.Second
	}
	instances, err := c.cfg.EC2.Instances(ctx, "")
	if err != nil {
		c.cfg.Log.Warn("fargate: list instances", "err", err)
		return 5 * time.Second
	}
	busy := false
	c.seen = map[types.UID]bool{}
	running := map[string]bool{}
	for _, in := range instances {
		if in.Fargate != nil && in.State == ec2.StateRunning {
			running[in.ID] = true
		}
	}
	for i := range clusters {
		cl := &clusters[i]
		nodes := fargateInstances(instances, cl)
		profiles, err := c.cfg.EKS.FargateProfiles(ctx, cl.UID)
		if err != nil {
			c.cfg.Log.Warn("fargate: list profiles", "cluster", cl.Name, "err", err)
			busy = true
			continue
		}
		if len(profiles) == 0 && len(nodes) == 0 {
			continue
		}
		if cl.Status.Endpoint == "" || cl.DeletionRequested {
			continue
		}
		b, err := c.reconcileCluster(ctx, cl, profiles, nodes)
		if err != nil && ctx.Err() == nil {
			c.cfg.Log.Warn("fargate: cluster not converged", "cluster", cl.Name, "err", err)
			busy = true
		}
		busy = busy || b
	}
	c.forgetGone(c.seen)
	if c.logs != nil {
		c.logs.forget(running)
	}
	if busy {
		return 2 * time.Second
	}
	return 30 * time.Second
}

// fargateInstances are the cluster's Fargate nodes that are not yet terminated.
func fargateInstances(all []ec2.Instance, cl *eks.Cluster) []ec2.Instance {
	var out []ec2.Instance
	for _, in := range all {
		if in.Fargate != nil && in.Region == cl.Region && in.ClusterName() == cl.Name && in.State != ec2.StateTerminated {
			out = append(out, in)
		}
	}
	return out
}

// reconcileCluster converges one cluster's profiles and Fargate pods; busy
// says work is in flight.
func (c *Controller) reconcileCluster(ctx context.Context, cl *eks.Cluster, profiles []eks.FargateProfile, nodes []ec2.Instance) (busy bool, err error) {
	cs, err := c.cfg.Kube.For(cl.UID)
	if err != nil {
		return true, err
	}
	s := &clusterPass{c: c, cl: cl, cs: cs, profiles: profiles, nodes: nodes}
	if err := s.watch(); err != nil {
		return true, err
	}
	if !s.synced() {
		return true, nil
	}
	busy = s.profilesPass(ctx)
	if s.podsPass(ctx) {
		busy = true
	}
	return busy, nil
}
