package controlplane

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/keksdev/keks/internal/authn"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/fargate"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/k8sbuild"
	"github.com/keksdev/keks/internal/podidentity"
	"github.com/keksdev/keks/internal/store"
)

// Config is what the controller needs to know about its host.
type Config struct {
	// Runtime runs new control planes: "host" (the default when empty) or
	// "kubernetes" (pods of the management cluster Kubernetes names).
	Runtime    string
	Kubernetes KubernetesConfig
	DataDir    string // clusters live in DataDir/<cluster uid>
	// Networks is the range of control-plane networks this server's
	// clusters take: its host slot's.
	Networks NetworkRange
	K8s      k8sbuild.Dir
	KeksURL  string // keks's endpoint, for the KMS plugin
	// IssuerURL is the base of each new cluster's OIDC issuer: an address
	// every instance and pod reaches, as EKS's oidc.eks.<region>.amazonaws.com
	// is; KeksURL when empty.
	IssuerURL  string
	KeksCAFile string
	// IdentityProviderCAFile holds CAs the API servers also trust OIDC
	// identity providers' issuers with (operator-given; may be empty).
	IdentityProviderCAFile string
	KeksBinary             string // runs `keks lb` for each endpoint and `keks authenticator` beside each API server
	VPCCIDR                func(vpcID string) string
	// Credentials lists the access keys that can sign tokens, for the
	// authenticators' identity snapshots.
	Credentials func(ctx context.Context) ([]authn.Credential, error)
	// NodeIdentities lists a cluster's node roles and instances (id -> private DNS name).
	NodeIdentities func(ctx context.Context, region, cluster string) (roles []string, instances map[string]string, err error)
	// Access fills in a cluster's authentication mode, access entries and
	// aws-auth mappings.
	Access func(ctx context.Context, cl *eks.Cluster, id *authn.ClusterIdentity) error
	// STSHosts are the hosts get-token URLs may name: keks's own endpoint,
	// and each replica's when there are several (they change as replicas
	// come and go, so they are asked for each time).
	STSHosts func(context.Context) []string
	// Deleted is told of each cluster whose control plane is gone, so what
	// others hold for it (clients, caches) goes with it.
	Deleted func(clusterUID string)
	// Scaling is when control planes grow and shrink with their load
	// (DefaultScalingPolicy when zero).
	Scaling ScalingPolicy
	// RoleSession issues a session of a cluster's IAM role
	// (iam.Service.IssueRoleSession), which the KMS plugins of a cluster that
	// encrypts its Secrets sign with.
	RoleSession func(ctx context.Context, roleARN, sessionName string, d time.Duration) (*iam.Credentials, error)
	// PodIdentities lists the service accounts of a cluster that have a Pod
	// Identity association, for its pod identity webhooks.
	PodIdentities func(ctx context.Context, clusterUID string) ([]podidentity.Identity, error)
	// FargateProfiles lists the profiles of a cluster that take new pods,
	// for its Fargate webhooks.
	FargateProfiles func(ctx context.Context, clusterUID string) ([]fargate.Profile, error)
	// Kube returns keks's client of a cluster, which writes existing Secrets
	// again once encryption is enabled.
	Kube func(clusterUID string) (kubernetes.Interface, error)
}

// Controller reconciles every cluster's control plane.
type Controller struct {
	cfg   Config
	store *store.Store
	eks   *eks.Service
	log   *slog.Logger

	mu      sync.Mutex
	due     map[string]time.Time // cluster key (region/name) -> next reconcile
	running map[string]bool
	wake    chan struct{}
	wg      sync.WaitGroup
	// runCtx is Run's: what outlives one reconcile (a Kubernetes build)
	// runs under it, not under the reconcile's own deadline.
	runCtx context.Context

	// host runs control planes on this host, kube (when configured) in a
	// management cluster; runtime is where new ones are made.
	host    *hostRuntime
	kube    *kubeRuntime
	runtime Runtime

	builds   builds
	saved    map[string]savedState   // cluster uid -> what the store last got
	failures map[string]int          // cluster key -> reconciles failed in a row
	placed   map[string]State        // cluster uid -> its runtime and placement (clusterRuntime)
	loads    map[string]*loadHistory // cluster uid -> its autoscaler's memory
}

// New makes a controller; a runtime it does not have is an error.
func New(cfg Config, s *store.Store, e *eks.Service, log *slog.Logger) (*Controller, error) {
	host := newHostRuntime(cfg, s, log)
	var kube *kubeRuntime
	if cfg.Runtime == RuntimeKubernetes {
		var err error
		if kube, err = newKubeRuntime(cfg, s, log); err != nil {
			return nil, err
		}
	}
	rt, err := newRuntime(cfg, host, kube)
	if err != nil {
		return nil, err
	}
	return &Controller{cfg: cfg, store: s, eks: e, log: log, host: host, kube: kube, runtime: rt, due: map[string]time.Time{}, running: map[string]bool{}, saved: map[string]savedState{}, failures: map[string]int{}, placed: map[string]State{}, loads: map[string]*loadHistory{}, wake: make(chan struct{}, 1)}, nil
}

// EnqueueAll asks for every cluster to be reconciled now: what all their
// control planes are given has changed (the replicas' addresses).
func (c *Controller) EnqueueAll(ctx context.Context) error {
	clusters, err := c.eks.ListAllClusters(ctx)
	if err != nil {
		return err
	}
	for _, cl := range clusters {
		c.Enqueue(cl.Region, cl.Name)
	}
	return nil
}

// Enqueue asks for a cluster to be reconciled now.
func (c *Controller) Enqueue(region, name string) { c.enqueueAfter(region+"/"+name, 0) }

func (c *Controller) enqueueAfter(key string, d time.Duration) {
	c.mu.Lock()
	at := time.Now().Add(d)
	if cur, ok := c.due[key]; !ok || at.Before(cur) {
		c.due[key] = at
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Run reconciles until ctx ends, then waits for work in flight.
func (c *Controller) Run(ctx context.Context) error {
	defer c.wg.Wait()
	c.mu.Lock()
	c.runCtx = ctx
	c.mu.Unlock()
	if c.kube != nil {
		c.kube.mirror.start(ctx)
		defer c.kube.mirror.wg.Wait()
	}
	clusters, err := c.eks.ListAllClusters(ctx)
	if err != nil {
		return err
	}
	for _, cl := range clusters {
		c.Enqueue(cl.Region, cl.Name)
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for key := range c.store.Watch(ctx, eks.ClusterPrefix) {
			c.enqueueAfter(strings.TrimPrefix(key, eks.ClusterPrefix), 0)
		}
	}()
	for {
		next := c.dispatch(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-c.wake:
		case <-time.After(next):
		}
	}
}

// dispatch starts every due reconcile that is not already running and
// returns how long until the next one is due.
func (c *Controller) dispatch(ctx context.Context) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	next := time.Minute
	for key, at := range c.due {
		if c.running[key] {
			continue
		}
		if at.After(now) {
			next = min(next, at.Sub(now))
			continue
		}
		delete(c.due, key)
		c.running[key] = true
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			after := c.reconcileKey(ctx, key)
			c.mu.Lock()
			delete(c.running, key)
			c.mu.Unlock()
			if after > 0 && ctx.Err() == nil {
				c.enqueueAfter(key, after)
			} else {
				select {
				case c.wake <- struct{}{}:
				default:
				}
			}
		}()
	}
	return next
}

func (c *Controller) reconcileKey(ctx context.Context, key string) time.Duration {
	region, name, _ := strings.Cut(key, "/")
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	after, err := c.reconcile(rctx, region, name)
	if err != nil && ctx.Err() == nil {
		retry := c.backoff(key)
		c.log.Warn("reconcile failed; retrying", "cluster", name, "region", region, "in", retry, "err", err)
		return retry
	}
	c.mu.Lock()
	delete(c.failures, key)
	c.mu.Unlock()
	return after
}

// backoff is how long to wait before reconciling a cluster whose last passes
// failed: 1 s, doubling each time, at most a minute.
func (c *Controller) backoff(key string) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failures[key]++
	return min(time.Second<<min(c.failures[key]-1, 6), time.Minute)
}
