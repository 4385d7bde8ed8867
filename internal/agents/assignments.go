package agents

import (
	"net/netip"

	"github.com/keksdev/keks/internal/instance"
	"github.com/keksdev/keks/internal/overlay"
)

// The agents listener's calls for instances on agents (scale-out step 6b).
// An agent long-polls its assignments, converges its host to them, and
// reports each instance's state; its instances reach the instance metadata
// service through the agent, which forwards their requests to keks over
// its mutual TLS with the caller's address.
const (
	// AssignmentsPath: GET, long poll. ?since=<revision> waits (up to
	// ?wait=<seconds>, at most 60) until the host's assignments differ from
	// that revision, then answers Assignments.
	AssignmentsPath = "/keks/agents/v1/assignments"
	// InstanceStatusPath: POST InstanceStatus.
	InstanceStatusPath = "/keks/agents/v1/instance-status"
	// MetadataPath prefixes a forwarded metadata request:
	// /keks/agents/v1/metadata/latest/meta-data/... with the header
	// MetadataCallerHeader naming the instance address it came from.
	MetadataPath         = "/keks/agents/v1/metadata"
	MetadataCallerHeader = "X-Keks-Metadata-Caller"
	// MetadataHopLimitHeader is set on a forwarded answer: the hop limit
	// (IP TTL) the agent sends it to the instance with, as EC2 would.
	MetadataHopLimitHeader = "X-Keks-Metadata-Hop-Limit"
)

// What an agent is asked to do with an assigned instance.
const (
	WantRunning    = "running"    // run it, and keep it running
	WantTerminated = "terminated" // delete everything of it, then report terminated
)

// Assignments are everything assigned to one host.
type Assignments struct {
	// Revision changes whenever any assignment of the host does; the
	// agent passes it back as ?since= to wait for the next change.
	Revision  string             `json:"revision"`
	Instances []AssignedInstance `json:"instances"`
	// Network is the host's part of the subnets' segments between hosts
	// (VXLAN, internal/overlay); nil from a keks that makes none.
	Network *overlay.HostNetwork `json:"network,omitempty"`
	Volumes []AssignedVolume     `json:"volumes,omitempty"`
}

// AssignedInstance is an instance to run on the agent's host: what
// instance.Spec holds, less what only the agent knows (its directories,
// binaries and the paths of files it writes itself).
type AssignedInstance struct {
	Want string `json:"want"` // WantRunning or WantTerminated
	ID   string `json:"id"`
	Zone string `json:"zone"`
	// Region of the instance; its node name derives from Address and Region.
	Region string `json:"region"`
	// Address is the instance's address with its subnet's length.
	Address string `json:"address"`
	Gateway string `json:"gateway"`
	// Bridge is the subnet's bridge, named as on keks's own host.
	Bridge  string `json:"bridge"`
	PodCIDR string `json:"podCIDR"`
	// SubnetCIDR is the subnet's range, which the host's NAT lets out.
	SubnetCIDR        string `json:"subnetCIDR"`
	ClusterName       string `json:"clusterName"`
	Endpoint          string `json:"endpoint"`
	ClusterCA         string `json:"clusterCA"` // PEM
	ClusterDNS        string `json:"clusterDNS"`
	KubernetesVersion string `json:"kubernetesVersion"` // a keks version such as 1.37
	// AWSEndpoint is keks's AWS endpoint, for the instance's AWS profile;
	// its CA is keks's CA, which the agent pinned at join.
	AWSEndpoint string            `json:"awsEndpoint"`
	Labels      map[string]string `json:"labels,omitempty"`
	Taints      []string          `json:"taints,omitempty"`
	KubeProxy   bool              `json:"kubeProxy"`
	Registry    string            `json:"registry"`
	ClusterCIDR string            `json:"clusterCIDR"`
	// ServiceRanges are every cluster's Service ranges that the host
	// routes to its instances' kube-proxy (as nodes/servicerange.go does).
	ServiceRanges         []string `json:"serviceRanges,omitempty"`
	MaxPods               int      `json:"maxPods"`
	MemoryBytes           int64    `json:"memoryBytes"`
	CPUs                  int      `json:"cpus"`
	MilliCPUs             int64    `json:"milliCPUs,omitempty"`
	NodeName              string   `json:"nodeName,omitempty"`
	NoReserve             bool     `json:"noReserve,omitempty"`
	NoPodMetadata         bool     `json:"noPodMetadata,omitempty"`
	EphemeralStorageBytes int64    `json:"ephemeralStorageBytes,omitempty"`
	SSHPublicKey          string   `json:"sshPublicKey,omitempty"`
	// Firewall is the instance's security groups' rules as keks decided
	// them (internal/sgfirewall): iptables-restore input for table filter
	// that the agent applies in the instance's namespace
	// (instance.ApplyFirewall). Empty from a keks that sends none.
	Firewall string `json:"firewall,omitempty"`
}

// Instance states an agent reports.
const (
	InstanceRunning    = "running"
	InstanceFailed     = "failed"     // could not start; Reason says why
	InstanceTerminated = "terminated" // everything of it is gone from the host
)

// InstanceStatus is an agent's report on one assigned instance.
type InstanceStatus struct {
	ID     string `json:"id"`
	State  string `json:"state"` // InstanceRunning, InstanceFailed or InstanceTerminated
	Reason string `json:"reason,omitempty"`
	// Process ids on the agent's host, shown as the instance's.
	ContainerdPID int `json:"containerdPid,omitempty"`
	KubeletPID    int `json:"kubeletPid,omitempty"`
	KubeProxyPID  int `json:"kubeProxyPid,omitempty"`
}

// Spec is the instance as its sandbox runs it in dir, from the assignment
// alone; the host adds its own files and binaries (CAFile, K8sBinDir,
// RuntimeDir, KeksBinary, AWSConfig, RegistryCA). keks's node controller
// and the agent both start from it. An address or gateway that does not
// parse is left zero: the agent checks them before.
func (a *AssignedInstance) Spec(dir string) *instance.Spec {
	address, _ := netip.ParsePrefix(a.Address)
	gateway, _ := netip.ParseAddr(a.Gateway)
	return &instance.Spec{
		ID: a.ID, Zone: a.Zone, Region: a.Region, Address: address, Gateway: gateway, Bridge: a.Bridge,
		PodCIDR: a.PodCIDR, Dir: dir, ClusterName: a.ClusterName, Endpoint: a.Endpoint,
		ClusterDNS: a.ClusterDNS, Labels: a.Labels, Taints: a.Taints, KubeProxy: a.KubeProxy, ClusterCIDR: a.ClusterCIDR,
		Registry: a.Registry, MaxPods: a.MaxPods, MemoryBytes: a.MemoryBytes, CPUs: a.CPUs, SSHPublicKey: a.SSHPublicKey,
		MilliCPUs: a.MilliCPUs, NodeName: a.NodeName, NoReserve: a.NoReserve, NoPodMetadata: a.NoPodMetadata,
		EphemeralStorageBytes: a.EphemeralStorageBytes,
	}
}
