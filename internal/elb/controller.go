// Package elb gives Services of type LoadBalancer an address on the host,
// as EKS's load balancer controller gives them an NLB: a `keks lb` process
// per Service port listens there and forwards to the port's NodePort on
// every Ready node, health-checking each by TCP, and admits only the
// Service's loadBalancerSourceRanges when it has some. The address goes into the
// Service's status; deleting the Service (or its cluster) removes the
// processes, the address and the files.
package elb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/kubeclient"
	"github.com/keksdev/keks/internal/lb"
	"github.com/keksdev/keks/internal/loop"
	"github.com/keksdev/keks/internal/network"
	"github.com/keksdev/keks/internal/pki"
	"github.com/keksdev/keks/internal/store"
	"github.com/keksdev/keks/internal/supervisor"
)

// bridge carries the load balancers' addresses on the host.
const bridge = "keks-elb"

// errNotSynced says a cluster's Services and Nodes are not yet in keks's cache.
var errNotSynced = errors.New("services and nodes not yet synced")

// LoadBalancer is one Service's load balancer.
type LoadBalancer struct {
	ClusterUID string `json:"clusterUid"`
	Namespace  string `json:"namespace"`
	Service    string `json:"service"`
	Address    string `json:"address"`
}

const prefix = "elb/loadbalancers/"

func (l *LoadBalancer) key() string {
	return prefix + l.ClusterUID + "/" + l.Namespace + "/" + l.Service
}

// marker names the processes of one load balancer.
func (l *LoadBalancer) marker() string {
	return "elb/" + l.ClusterUID + "/" + l.Namespace + "/" + l.Service + "/"
}

func (l *LoadBalancer) dir(dataDir string) string {
	return filepath.Join(dataDir, l.ClusterUID, l.Namespace+"_"+l.Service)
}

// Controller converges load balancers.
type Controller struct {
	*loop.Loop
	eks        *eks.Service
	store      *store.Store
	kube       *kubeclient.Cache
	dataDir    string
	keksBinary string
	pool       netip.Prefix // where addresses come from: the host slot's
	log        *slog.Logger
	mu         sync.Mutex
}

// New makes a load balancer controller whose addresses come from pool; its
// files live in dataDir.
func New(e *eks.Service, st *store.Store, kube *kubeclient.Cache, pool netip.Prefix, dataDir, keksBinary string, log *slog.Logger) *Controller {
	return &Controller{Loop: loop.New(), eks: e, store: st, kube: kube, pool: pool, dataDir: dataDir, keksBinary: keksBinary, log: log}
}

// Run converges load balancers until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	// Services and Nodes wake it through their informers; the periodic pass
	// restarts balancers that died and removes those of deleted clusters.
	return c.Loop.Run(ctx, 15*time.Second, c.pass)
}

func (c *Controller) pass(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	records, err := store.List[LoadBalancer](ctx, c.store, prefix)
	if err != nil {
		c.log.Warn("list load balancers", "err", err)
		return
	}
	clusters, err := c.eks.ListAllClusters(ctx)
	if err != nil {
		c.log.Warn("list clusters", "err", err)
		return
	}
	// wanted holds the load balancers of Services that exist; the rest go.
	wanted := map[string]bool{}
	served := map[string]bool{} // clusters whose Services could be listed
	for _, cl := range clusters {
		if cl.Status.Endpoint == "" || cl.DeletionRequested || cl.Status.Phase == eks.StatusCreating || cl.Status.Phase == eks.StatusFailed {
			continue
		}
		keys, err := c.cluster(ctx, &cl, &records)
		if errors.Is(err, errNotSynced) {
			continue // its informers' first lists wake the controller again
		}
		if err != nil {
			c.log.Warn("load balancers not converged", "cluster", cl.Name, "err", err)
			continue
		}
		served[cl.UID] = true
		for _, k := range keys {
			wanted[k] = true
		}
	}
	exists := map[string]bool{}
	for _, cl := range clusters {
		if !cl.DeletionRequested {
			exists[cl.UID] = true
		}
	}
	left := 0
	for i := range records {
		r := &records[i]
		// A cluster that could not be listed keeps its load balancers.
		if wanted[r.key()] || (exists[r.ClusterUID] && !served[r.ClusterUID]) {
			left++
			continue
		}
		if err := c.remove(ctx, r); err != nil {
			c.log.Warn("remove load balancer", "service", r.Namespace+"/"+r.Service, "err", err)
			left++
		}
	}
	if left == 0 {
		_ = network.DeleteLink(bridge)
	}
}

// cluster converges the load balancers of one cluster and returns the keys of those it keeps.
func (c *Controller) cluster(ctx context.Context, cl *eks.Cluster, records *[]LoadBalancer) ([]string, error) {
	cs, err := c.kube.For(cl.UID)
	if err != nil {
		return nil, err
	}
	// Services and Nodes are watched, not listed each pass: their events wake
	// the controller, and an idle cluster is asked nothing.
	svcInf, err := c.kube.Informer(cl.UID, "elb/services", func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().Services().Informer()
	}, c.Wake)
	if err != nil {
		return nil, err
	}
	nodeInf, err := c.kube.Informer(cl.UID, "elb/nodes", func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().Nodes().Informer()
	}, c.Wake)
	if err != nil {
		return nil, err
	}
	if !svcInf.HasSynced() || !nodeInf.HasSynced() {
		return nil, errNotSynced
	}
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var nodeIPs []string
	for _, obj := range nodeInf.GetStore().List() {
		n := obj.(*corev1.Node)
		if !kubeclient.NodeReady(n) || n.Spec.Unschedulable {
			continue
		}
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP {
				nodeIPs = append(nodeIPs, a.Address)
			}
		}
	}
	slices.Sort(nodeIPs)
	var keys []string
	for _, obj := range svcInf.GetStore().List() {
		// The informer's copy is shared: change only a copy of it.
		svc := obj.(*corev1.Service).DeepCopy()
		if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
			continue
		}
		if svc.Spec.LoadBalancerClass != nil && *svc.Spec.LoadBalancerClass != "service.k8s.aws/nlb" {
			continue // another controller's
		}
		lbr, err := c.ensure(ctx, cl, svc, records)
		if err != nil {
			c.log.Warn("load balancer not converged", "service", svc.Namespace+"/"+svc.Name, "err", err)
			continue
		}
		keys = append(keys, lbr.key())
		if err := c.listeners(ctx, lbr, svc, nodeIPs); err != nil {
			c.log.Warn("load balancer listeners", "service", svc.Namespace+"/"+svc.Name, "err", err)
		}
		if len(svc.Status.LoadBalancer.Ingress) != 1 || svc.Status.LoadBalancer.Ingress[0].IP != lbr.Address {
			svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: lbr.Address, IPMode: ptr(corev1.LoadBalancerIPModeProxy)}}
			if _, err := cs.CoreV1().Services(svc.Namespace).UpdateStatus(lctx, svc, metav1.UpdateOptions{}); err != nil {
				c.log.Warn("record load balancer address", "service", svc.Namespace+"/"+svc.Name, "err", err)
			} else {
				c.log.Info("load balancer ready", "cluster", cl.Name, "service", svc.Namespace+"/"+svc.Name, "address", lbr.Address)
			}
		}
	}
	return keys, nil
}

func ptr[T any](v T) *T { return &v }

// ensure finds or allocates the Service's load balancer and its address; a
// new one joins records, so the next Service of the pass gets another address.
func (c *Controller) ensure(ctx context.Context, cl *eks.Cluster, svc *corev1.Service, records *[]LoadBalancer) (*LoadBalancer, error) {
	want := LoadBalancer{ClusterUID: cl.UID, Namespace: svc.Namespace, Service: svc.Name}
	used := map[string]bool{}
	for _, r := range *records {
		if r.key() == want.key() {
			return &r, network.EnsureBridge(bridge, []netip.Prefix{netip.PrefixFrom(netip.MustParseAddr(r.Address), 32)})
		}
		used[r.Address] = true
	}
	for a := c.pool.Addr().Next(); c.pool.Contains(a); a = a.Next() {
		if used[a.String()] {
			continue
		}
		want.Address = a.String()
		if err := c.store.Create(ctx, want.key(), &want); err != nil {
			return nil, fmt.Errorf("record load balancer: %w", err)
		}
		*records = append(*records, want)
		return &want, network.EnsureBridge(bridge, []netip.Prefix{netip.PrefixFrom(a, 32)})
	}
	return nil, errors.New("no load balancer address left")
}

// listeners runs one `keks lb` per TCP port of the Service, forwarding to
// the port's NodePort on every Ready node.
func (c *Controller) listeners(ctx context.Context, r *LoadBalancer, svc *corev1.Service, nodeIPs []string) error {
	dir := r.dir(c.dataDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	running := supervisor.Find(r.marker())
	keep := map[string]bool{}
	allow, bad := sourceRanges(svc)
	for _, p := range svc.Spec.Ports {
		if p.Protocol != corev1.ProtocolTCP || p.NodePort == 0 {
			continue
		}
		id := r.marker() + strconv.Itoa(int(p.Port))
		keep[id] = true
		cfg := lb.Config{Listen: r.Address + ":" + strconv.Itoa(int(p.Port)), HealthCheck: "tcp", Interval: lb.Duration(time.Second), Allow: allow}
		for _, ip := range nodeIPs {
			cfg.Backends = append(cfg.Backends, ip+":"+strconv.Itoa(int(p.NodePort)))
		}
		data, _ := json.MarshalIndent(cfg, "", "  ")
		file := filepath.Join(dir, strconv.Itoa(int(p.Port))+".json")
		old, _ := os.ReadFile(file)
		if err := pki.WriteFileIfChanged(file, data, 0o644); err != nil {
			return err
		}
		if len(bad) > 0 && string(old) != string(data) {
			c.log.Warn("load balancer source ranges that are no CIDR are left out", "service", svc.Namespace+"/"+svc.Name, "ranges", bad)
		}
		pid := 0
		for p, rid := range running {
			if rid == id {
				pid = p
			}
		}
		switch {
		case pid == 0:
			if _, err := supervisor.Start(supervisor.Spec{ID: id, Path: c.keksBinary, Args: []string{"lb", "--config", file}, Dir: dir,
				LogFile: filepath.Join(dir, strconv.Itoa(int(p.Port))+".log")}); err != nil {
				return err
			}
		case string(old) != string(data):
			if err := supervisor.Signal(pid, id, syscall.SIGHUP); err != nil {
				return err
			}
		}
	}
	for pid, id := range running {
		if !keep[id] {
			if err := supervisor.Stop(ctx, pid, id, 5*time.Second); err != nil {
				return err
			}
			_ = os.Remove(filepath.Join(dir, strings.TrimPrefix(id, r.marker())+".json"))
		}
	}
	return nil
}

// remove stops a load balancer's processes and removes its address, files and record.
func (c *Controller) remove(ctx context.Context, r *LoadBalancer) error {
	for pid, id := range supervisor.Find(r.marker()) {
		if err := supervisor.Stop(ctx, pid, id, 5*time.Second); err != nil {
			return err
		}
	}
	if err := network.DeleteAddress(bridge, netip.PrefixFrom(netip.MustParseAddr(r.Address), 32)); err != nil {
		return err
	}
	if err := os.RemoveAll(r.dir(c.dataDir)); err != nil {
		return err
	}
	// The cluster's directory goes with its last load balancer.
	_ = os.Remove(filepath.Dir(r.dir(c.dataDir)))
	c.log.Info("load balancer removed", "service", r.Namespace+"/"+r.Service, "address", r.Address)
	return c.store.Delete(ctx, r.key())
}
