// Package nodes runs the EC2 instances that belong to clusters as
// Kubernetes nodes: it converges each instance record to a running sandbox
// (internal/instance) whose kubelet joins its cluster with the instance
// role's credentials, which it gets from the instance metadata service
// (internal/imds) as an SDK on EC2 does, and removes everything of a
// terminated one.
package nodes

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/awsprofile"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/fargate"
	"github.com/keksdev/keks/internal/hostnet"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/instance"
	"github.com/keksdev/keks/internal/k8sbuild"
	"github.com/keksdev/keks/internal/kubeclient"
	"github.com/keksdev/keks/internal/kubeversions"
	"github.com/keksdev/keks/internal/loop"
	"github.com/keksdev/keks/internal/network"
	"github.com/keksdev/keks/internal/overlay"
	"github.com/keksdev/keks/internal/pki"
)

// Config is what the node controller needs of its host.
type Config struct {
	DataDir    string // instances live in DataDir/<instance id>
	K8s        k8sbuild.Dir
	KeksBinary string
	Endpoint   string // keks's AWS endpoint, for the instance's AWS profile
	Kube       *kubeclient.Cache
	CABundle   string // keks's CA
	// MetadataAddress is where keks serves the instance metadata service
	// (host:port); what instances send to 169.254.169.254:80 goes there.
	// Empty redirects nothing, and instances have no credentials.
	MetadataAddress string
}

// Controller converges instances.
type Controller struct {
	*loop.Loop
	cfg Config
	// registry is where nodes pull images, and the password each instance uses.
	registry string
	ec2      *ec2.Service
	eks      *eks.Service
	log      *slog.Logger
	mu       sync.Mutex
	// egressFor is the source ranges, then the Service ranges, that the
	// host's NAT and Service-range rules were last made for; nil until the
	// first pass has made them.
	egressFor []string
	// metadataFor is what the host's metadata redirect was last made for
	// (MetadataAddress, or noMetadataRedirect), and when; "" until a pass has made it.
	metadataFor string
	metadataAt  time.Time
	// HostLacks says what the host is missing to start instances ("" when nothing is).
	HostLacks func() string
	// hostLimitsRaised is set once the host's limits for instances are
	// raised: they stay until a reboot, so later passes read nothing.
	hostLimitsRaised bool
	// converged holds, per instance, the spec the last pass made real and when.
	converged map[string]converged
	// Place, when set, puts pending instances on agent hosts before a pass
	// starts any here (placement.Placer.Place), and returns all instances
	// as it left them.
	Place func(ctx context.Context, all []ec2.Instance) []ec2.Instance
	// Overlay, when set, plans a host's part of the subnets' segments
	// between hosts (overlay.Planner.For); each pass makes keks's own.
	Overlay func(ctx context.Context, host string, all []ec2.Instance) (*overlay.HostNetwork, error)
	// OverlaySource holds the address keks's host reaches nodes on other
	// hosts from: its control-plane networks, then its registry address
	// (overlay.Desired.SourceIn).
	OverlaySource []netip.Prefix
	// joined are the subnets whose segments the last pass joined; wasJoined,
	// those of the pass before, whose bridges go unless still in use.
	joined, wasJoined map[string]bool
}

// New makes a node controller. The IAM service is no longer used (instances
// get their role's sessions from the metadata service); the parameter stays
// until callers stop passing it.
func New(cfg Config, e2 *ec2.Service, e *eks.Service, _ *iam.Service, log *slog.Logger) *Controller {
	return &Controller{Loop: loop.New(), cfg: cfg, ec2: e2, eks: e, log: log, converged: map[string]converged{}}
}

// SetRegistry points the nodes' containerd at keks's registry, also as the
// mirror of docker.io and registry.k8s.io.
func (c *Controller) SetRegistry(host string) {
	c.registry = host
}

// Run converges instances until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	return c.Loop.Run(ctx, 5*time.Second, c.pass)
}

func (c *Controller) pass(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	all, err := c.ec2.Instances(ctx, "")
	if err != nil {
		c.log.Warn("list instances", "err", err)
		return
	}
	if c.Place != nil {
		all = c.Place(ctx, all)
	}
	// An agent runs its host's instances; here they are only forgotten
	// once terminated long enough, and have no part in the host's bridges,
	// NAT or metadata redirect.
	for i := range all {
		if in := &all[i]; in.Host != "" && in.State == ec2.StateTerminated {
			if err := c.forget(ctx, in); err != nil && ctx.Err() == nil {
				c.log.Warn("forget instance", "instance", in.ID, "err", err)
			}
		}
	}
	joined := c.joinOverlay(ctx, all)
	all = slices.DeleteFunc(all, func(in ec2.Instance) bool { return in.Host != "" })
	// The metadata redirect is made before an instance's first process
	// starts, and goes in the pass after the last instance has.
	c.metadataRedirect(anyActive(all))
	if anyActive(all) && !c.hostLimitsRaised {
		if err := hostnet.RaiseLimits(); err != nil {
			c.log.Warn("host limits for instances", "err", err)
		} else {
			c.hostLimitsRaised = true
		}
	}
	inUse := map[string]bool{}
	known := map[string]bool{}
	for i := range all {
		in := &all[i]
		if err := c.reconcile(ctx, in); err != nil && ctx.Err() == nil {
			c.log.Warn("instance not converged", "instance", in.ID, "err", err)
		}
		known[in.SubnetID] = true
		if active(in) {
			inUse[in.SubnetID] = true
		}
	}
	// A subnet's bridge lives as long as an instance is in the subnet, or
	// the host joins its segment; one left goes in the pass after.
	for sn := range joined {
		known[sn] = true
	}
	for sn := range c.wasJoined {
		known[sn] = true
	}
	c.wasJoined = joined
	for sn := range known {
		if !inUse[sn] && !joined[sn] {
			if err := network.DeleteLink(overlay.BridgeName(sn)); err != nil {
				c.log.Warn("remove subnet bridge", "subnet", sn, "err", err)
			}
		}
	}
	c.egress(ctx, inUse)
}

// active instances have, or are about to have or to lose, a sandbox.
func active(in *ec2.Instance) bool {
	return in.State == ec2.StatePending || in.State == ec2.StateRunning || in.State == ec2.StateShutting
}

func anyActive(all []ec2.Instance) bool {
	for i := range all {
		if active(&all[i]) {
			return true
		}
	}
	return false
}

func (c *Controller) reconcile(ctx context.Context, in *ec2.Instance) error {
	switch in.State {
	case ec2.StateTerminated:
		return c.forget(ctx, in)
	case ec2.StateShutting:
		delete(c.converged, in.ID)
		spec, err := c.spec(ctx, in)
		if err != nil {
			spec = c.localSpec(bareAssignment(in))
		}
		if err := instance.Delete(ctx, spec, processes(in)); err != nil {
			return err
		}
		c.DeleteNode(ctx, in)
		c.log.Info("instance terminated", "instance", in.ID)
		_, err = c.ec2.UpdateInstance(ctx, in.ID, func(i *ec2.Instance) error {
			i.State, i.ContainerdPID, i.KubeletPID, i.KubeProxyPID = ec2.StateTerminated, 0, 0, 0
			i.StateReason = "Client.UserInitiatedShutdown: User initiated shutdown"
			return nil
		})
		return err
	}
	if in.State == ec2.StatePending && in.ContainerdPID == 0 && c.HostLacks != nil {
		if lacks := c.HostLacks(); lacks != "" {
			// As EC2 ends an instance it cannot launch: terminated, with the reason.
			c.log.Error("instance cannot start", "instance", in.ID, "reason", lacks)
			_, err := c.ec2.UpdateInstance(ctx, in.ID, func(i *ec2.Instance) error {
				i.State, i.StateReason = ec2.StateTerminated, "Server.InternalError: Internal error on launch: "+lacks
				return nil
			})
			return err
		}
	}
	spec, err := c.spec(ctx, in)
	if err != nil {
		return err
	}
	sum := spec.Digest()
	if last := c.converged[in.ID]; in.State == ec2.StateRunning && last.sum == sum && time.Since(last.at) < resyncPeriod && instance.Alive(spec, processes(in)) {
		return nil // nothing changed since a recent pass made it so
	}
	p, err := instance.Run(ctx, spec, processes(in))
	if err != nil {
		return err
	}
	c.converged[in.ID] = converged{sum: sum, at: time.Now()}
	if p != processes(in) || in.State != ec2.StateRunning {
		c.log.Info("instance running", "instance", in.ID, "node", in.NodeName(), "kubelet", p.Kubelet)
		_, err = c.ec2.UpdateInstance(ctx, in.ID, func(i *ec2.Instance) error {
			if i.State == ec2.StatePending || i.State == ec2.StateRunning {
				i.State, i.ContainerdPID, i.KubeletPID, i.KubeProxyPID = ec2.StateRunning, p.Containerd, p.Kubelet, p.KubeProxy
			}
			return nil
		})
	}
	return err
}

// forget removes a terminated instance's record an hour after its launch.
func (c *Controller) forget(ctx context.Context, in *ec2.Instance) error {
	if time.Since(in.LaunchTime) > time.Hour {
		return c.ec2.ForgetInstance(ctx, in.ID)
	}
	return nil
}

// egress lets the subnets in use, and their pods, reach beyond the host
// through its NAT; with no instance left the rules go.
func (c *Controller) egress(ctx context.Context, inUse map[string]bool) {
	var sources []string
	for id := range inUse {
		if sn, err := c.ec2.GetSubnet(ctx, id); err == nil {
			sources = append(sources, sn.CIDR)
		}
	}
	slices.Sort(sources)
	var ranges []string
	if len(sources) > 0 {
		ranges = c.serviceRanges(ctx)
	}
	key := append(slices.Clone(sources), ranges...)
	if c.egressFor != nil && slices.Equal(key, c.egressFor) {
		return // unchanged since the rules were made; iptables is not asked again
	}
	var err error
	if len(sources) == 0 {
		err = errors.Join(hostnet.RemoveEgress(), hostnet.RemoveServiceRanges())
	} else {
		err = errors.Join(hostnet.EnsureEgress(append(slices.Clone(sources), PodNetwork)), hostnet.EnsureServiceRanges(ranges))
	}
	if err != nil {
		c.log.Warn("instance egress rules", "err", err)
		return
	}
	c.egressFor = key
}

// serviceRanges are the Service ranges of every cluster, each once, sorted.
func (c *Controller) serviceRanges(ctx context.Context) []string {
	clusters, err := c.eks.ListAllClusters(ctx)
	if err != nil {
		c.log.Warn("list clusters for their service ranges", "err", err)
		return nil
	}
	var out []string
	for i := range clusters {
		if r := clusters[i].Spec.ServiceIPv4CIDR; r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

func processes(in *ec2.Instance) instance.Processes {
	return instance.Processes{Containerd: in.ContainerdPID, Kubelet: in.KubeletPID, KubeProxy: in.KubeProxyPID}
}

// spec describes the sandbox of an instance that joins its cluster, on
// keks's own host: its assignment with the host's directories, binaries
// and files.
func (c *Controller) spec(ctx context.Context, in *ec2.Instance) (*instance.Spec, error) {
	a, err := c.assignment(ctx, in)
	if err != nil {
		return nil, err
	}
	v, ok := kubeversions.Lookup(a.KubernetesVersion)
	if !ok {
		return nil, fmt.Errorf("cluster %s runs no known version yet", a.ClusterName)
	}
	spec := c.localSpec(a)
	if err := os.MkdirAll(spec.Dir, 0o700); err != nil {
		return nil, err
	}
	spec.CAFile = filepath.Join(spec.Dir, "cluster-ca.crt")
	if err := pki.WriteFileIfChanged(spec.CAFile, []byte(a.ClusterCA), 0o644); err != nil {
		return nil, err
	}
	spec.K8sBinDir, spec.RuntimeDir, spec.KeksBinary = c.cfg.K8s.BinDir(v), c.cfg.K8s.NodeRuntimeDir(), c.cfg.KeksBinary
	spec.AWSConfig, spec.RegistryCA = c.awsConfig(in), c.cfg.CABundle
	return spec, nil
}

// localSpec is an assignment as a spec on keks's own host, with the
// instance's directory but no file written yet.
func (c *Controller) localSpec(a *agents.AssignedInstance) *instance.Spec {
	return a.Spec(filepath.Join(c.cfg.DataDir, a.ID))
}

// Assignments are the instances given as an agent host runs them (the
// agents listener answers them): all but an instance whose cluster is not
// ready for nodes yet, which comes once it is. An instance shutting down
// comes in any case, with what its removal needs.
func (c *Controller) Assignments(ctx context.Context, ins []ec2.Instance) []agents.AssignedInstance {
	var ranges []string
	out := make([]agents.AssignedInstance, 0, len(ins))
	for i := range ins {
		in := &ins[i]
		a, err := c.assignment(ctx, in)
		if err != nil {
			if in.State != ec2.StateShutting {
				c.log.Debug("instance not assigned yet", "instance", in.ID, "host", in.Host, "err", err)
				continue
			}
			a = bareAssignment(in)
		}
		if ranges == nil {
			ranges = c.serviceRanges(ctx)
		}
		a.ServiceRanges = ranges
		out = append(out, *a)
	}
	return out
}

// bareAssignment is what removing an instance needs, when its cluster or
// subnet is gone.
func bareAssignment(in *ec2.Instance) *agents.AssignedInstance {
	return &agents.AssignedInstance{Want: agents.WantTerminated, ID: in.ID, Zone: in.Zone, Region: in.Region,
		Address: in.PrivateIP + "/32", Bridge: overlay.BridgeName(in.SubnetID), PodCIDR: in.PodCIDR()}
}

// assignment describes an instance that joins its cluster, wherever it
// runs: everything of its sandbox but what only its host knows.
func (c *Controller) assignment(ctx context.Context, in *ec2.Instance) (*agents.AssignedInstance, error) {
	name := in.ClusterName()
	if name == "" {
		return nil, fmt.Errorf("instance %s has no kubernetes.io/cluster/<name> tag or EKS user data", in.ID)
	}
	cl, err := c.eks.GetCluster(ctx, in.Region, name)
	if err != nil {
		return nil, err
	}
	if cl.Status.Endpoint == "" || cl.Status.CertificateAuthority == "" {
		return nil, fmt.Errorf("cluster %s is not ready for nodes yet", name)
	}
	version := cl.Status.RunningVersion
	if in.KubernetesVersion != "" {
		version = in.KubernetesVersion // a node group's instances run the group's version
	}
	v, ok := kubeversions.Lookup(version)
	if !ok {
		return nil, fmt.Errorf("cluster %s runs no known version yet", name)
	}
	typ := ec2.InstanceTypes[in.InstanceType]
	sn, err := c.ec2.GetSubnet(ctx, in.SubnetID)
	if err != nil {
		return nil, err
	}
	subnet := netip.MustParsePrefix(sn.CIDR)
	gateway, err := sn.GatewayAddress()
	if err != nil {
		return nil, err
	}
	ca, err := base64.StdEncoding.DecodeString(cl.Status.CertificateAuthority)
	if err != nil {
		return nil, err
	}
	svc, err := netip.ParsePrefix(cl.Spec.ServiceIPv4CIDR)
	if err != nil {
		return nil, err
	}
	dns := svc.Addr().As4()
	dns[3] += 10
	if in.RoleARN == "" {
		return nil, fmt.Errorf("instance %s has no instance profile; nodes authenticate with their role", in.ID)
	}
	kubeProxy := false
	if a, err := c.eks.GetAddon(ctx, cl.Region, cl.Name, "kube-proxy"); err == nil && !(a.DeletionRequested && !a.Preserve) {
		kubeProxy = true
	}
	labels := map[string]string{
		"topology.kubernetes.io/zone": in.Zone, "topology.kubernetes.io/region": in.Region,
		"node.kubernetes.io/instance-type": in.InstanceType, "eks.amazonaws.com/capacityType": capacityType(in),
	}
	taints := in.NodeTaints
	if in.Fargate != nil {
		labels = fargate.NodeLabels(netip.MustParseAddr(in.PrivateIP), in.Region, in.Zone)
		taints = []string{fargate.Taint}
	}
	if ng := in.Tags["eks:nodegroup-name"]; ng != "" {
		labels["eks.amazonaws.com/nodegroup"] = ng
		labels["eks.amazonaws.com/nodegroup-image"] = in.ImageID
	}
	maps.Copy(labels, in.NodeLabels)
	want := agents.WantRunning
	if in.State == ec2.StateShutting || in.State == ec2.StateTerminated {
		want = agents.WantTerminated
	}
	a := &agents.AssignedInstance{
		Want: want, ID: in.ID, Zone: in.Zone, Region: in.Region,
		Address: netip.PrefixFrom(netip.MustParseAddr(in.PrivateIP), subnet.Bits()).String(), Gateway: gateway.String(),
		Bridge: overlay.BridgeName(in.SubnetID), PodCIDR: in.PodCIDR(), SubnetCIDR: sn.CIDR, ClusterName: name,
		Endpoint: cl.Status.Endpoint, ClusterCA: string(ca), ClusterDNS: netip.AddrFrom4(dns).String(),
		KubernetesVersion: v.Minor, AWSEndpoint: c.cfg.Endpoint, Labels: labels, Taints: taints,
		KubeProxy: kubeProxy, Registry: c.registry, ClusterCIDR: PodNetwork,
		MaxPods: cmp.Or(in.MaxPods, typ.MaxPods), MemoryBytes: typ.MemoryMB << 20, CPUs: typ.VCPUs, SSHPublicKey: in.KeyPublicKey,
	}
	if f := in.Fargate; f != nil {
		// One pod, whose cgroup is the size Fargate gave it; the node's
		// agents run beside it (Fargate's 256 MB of overhead is for them).
		a.NodeName, a.MaxPods, a.NoReserve, a.NoPodMetadata = in.NodeName(), 1, true, true
		a.EphemeralStorageBytes = fargateEphemeralStorage
		a.MemoryBytes, a.MilliCPUs, a.CPUs = f.MemoryMiB<<20, f.MilliCPU, int((f.MilliCPU+999)/1000)
	}
	return a, nil
}

// fargateEphemeralStorage is what a Fargate pod may write: 20 GiB, as on EKS.
const fargateEphemeralStorage = 20 << 30

// PodNetwork holds every pod address: each node takes a /26 of it.
const PodNetwork = hostnet.PodNetwork

// awsConfig is the instance's AWS profile, "instance": keks's endpoint and
// CA, and credentials from the instance metadata service, as an SDK on
// EC2 finds its role's. No key is written on the instance.
func (c *Controller) awsConfig(in *ec2.Instance) string {
	return awsprofile.InstanceConfig(in.Region, c.cfg.Endpoint, c.cfg.CABundle)
}

// Identities returns the node roles and instances of a cluster, for its authenticators.
func Identities(ctx context.Context, e2 *ec2.Service, region, cluster string) (roles []string, instances map[string]string, err error) {
	all, err := e2.Instances(ctx, region)
	if err != nil {
		return nil, nil, err
	}
	instances = map[string]string{}
	seen := map[string]bool{}
	for _, in := range all {
		// Fargate nodes are mapped as EKS maps them: by their pod execution
		// role's access entry or aws-auth, never as a node role.
		if in.ClusterName() != cluster || in.State == ec2.StateTerminated || in.RoleARN == "" || in.Fargate != nil {
			continue
		}
		instances[in.ID] = in.PrivateDNSName()
		// Tokens name the role without its path, as aws-iam-authenticator canonicalizes them.
		r := "arn:aws:iam::" + in.OwnerID + ":role/" + in.RoleARN[strings.LastIndex(in.RoleARN, "/")+1:]
		if !seen[r] {
			seen[r] = true
			roles = append(roles, r)
		}
	}
	return roles, instances, nil
}

// DeleteNode removes a terminated instance's Node object, as EKS's cloud
// controller does.
func (c *Controller) DeleteNode(ctx context.Context, in *ec2.Instance) {
	cl, err := c.eks.GetCluster(ctx, in.Region, in.ClusterName())
	if err != nil || c.cfg.Kube == nil {
		return
	}
	cs, err := c.cfg.Kube.For(cl.UID)
	if err != nil {
		return
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := cs.CoreV1().Nodes().Delete(dctx, in.NodeName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		c.log.Warn("delete node object", "node", in.NodeName(), "err", err)
	}
}

// resyncPeriod is how often an unchanged instance is set up again anyway:
// a device, route or file removed by hand comes back within it.
const resyncPeriod = 5 * time.Minute

type converged struct {
	sum [sha256.Size]byte
	at  time.Time
}

// capacityType is the eks.amazonaws.com/capacityType label of an instance's node.
func capacityType(in *ec2.Instance) string {
	if in.Lifecycle == ec2.LifecycleSpot {
		return "SPOT"
	}
	return "ON_DEMAND"
}
