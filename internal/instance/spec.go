package instance

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/keksdev/keks/internal/cgroups"
)

// Spec is one instance to run.
type Spec struct {
	ID          string       // i-0123456789abcdef0
	Zone        string       // us-east-1a
	Address     netip.Prefix // the instance's address in its subnet, with the subnet's length
	Gateway     netip.Addr   // the subnet's first host, on the host's bridge
	Bridge      string       // the subnet's bridge on the host
	PodCIDR     string       // pods on this node take addresses from here
	Dir         string       // the instance's own directory
	Region      string
	ClusterName string
	Endpoint    string // the cluster's API endpoint
	CAFile      string // the cluster CA
	ClusterDNS  string
	K8sBinDir   string // Kubernetes components of the node's version
	RuntimeDir  string // containerd, its runc shim, ctr and runc (k8sbuild.NodeRuntimeDir)
	KeksBinary  string // for the kubelet's exec credential plugin
	// AWSConfig is the AWS config file with the profile "instance" the
	// kubelet's credential plugin uses; its credentials come from the
	// instance metadata service, so the instance holds no keys.
	AWSConfig   string
	Labels      map[string]string
	KubeProxy   bool   // the cluster has the kube-proxy add-on
	Registry    string // keks's registry host; also the mirror of docker.io and registry.k8s.io
	RegistryCA  string
	ClusterCIDR string // all pods' addresses, for kube-proxy's masquerading
	Taints      []string
	MaxPods     int
	MemoryBytes int64
	CPUs        int // what the machine view shows
	// MilliCPUs, when set, is the CPU the instance's cgroup may use, less
	// than CPUs: a Fargate node of 0.25 vCPU still shows one CPU.
	MilliCPUs int64
	// NodeName is the node's name when it is not DNSName (Fargate's "fargate-ip-...").
	NodeName string
	// NoReserve gives the pods all the node has: a Fargate node's size
	// already includes what its agents need.
	NoReserve bool
	// NoPodMetadata keeps the instance's pods from the instance metadata
	// service, as Fargate does (its pods have no IMDS); the kubelet still
	// gets the node's credentials there.
	NoPodMetadata bool
	// EphemeralStorageBytes, when set, is the ephemeral storage the node
	// offers its pods (Fargate's 20 GiB), whatever its disk holds.
	EphemeralStorageBytes int64
	// SSHPublicKey is the public key of the instance's key pair, an
	// authorized_keys line; an instance with one runs sshd (sshd.go).
	SSHPublicKey string
}

// DNSName is the EC2 private DNS name, which is also the node name.
func (s *Spec) DNSName() string {
	host := "ip-" + strings.ReplaceAll(s.Address.Addr().String(), ".", "-")
	if s.Region == "us-east-1" {
		return host + ".ec2.internal"
	}
	return host + "." + s.Region + ".compute.internal"
}

// Name is the node's name.
func (s *Spec) Name() string {
	if s.NodeName != "" {
		return s.NodeName
	}
	return s.DNSName()
}

// ProviderID is what the kubelet reports for the node, as on EKS.
func (s *Spec) ProviderID() string { return fmt.Sprintf("aws:///%s/%s", s.Zone, s.ID) }

func (s *Spec) path(parts ...string) string {
	return filepath.Join(append([]string{s.Dir}, parts...)...)
}

// awsCredentialsFile is where the instance's AWS credentials file would
// be; it must not exist (config.go, kubeletKubeconfig).
func (s *Spec) awsCredentialsFile() string { return s.path("aws", "credentials") }

// runDir holds the instance's sockets: unix socket paths must stay under
// 108 bytes, which a data directory may not allow.
func (s *Spec) runDir() string     { return filepath.Join("/run/keks", s.ID) }
func (s *Spec) socket() string     { return filepath.Join(s.runDir(), "containerd.sock") }
func (s *Spec) netns() string      { return "keks-" + s.ID }
func (s *Spec) hostVeth() string   { return "kv" + strings.TrimPrefix(s.ID, "i-")[:10] }
func (s *Spec) cgroupRoot() string { return "/keks/" + s.ID }

// kubeletRoot is short for the same reason as runDir: the kubelet puts sockets there.
func (s *Spec) kubeletRoot() string { return filepath.Join("/var/lib/keks-node", s.ID, "kubelet") }

// viewKubeletRoot is where the kubelet's root is inside the machine view,
// as on any node: DaemonSets that reach into the kubelet's directory (CSI
// node plugins and their registrars, log agents) name /var/lib/kubelet,
// and the paths the kubelet hands them must be the paths they see.
const viewKubeletRoot = "/var/lib/kubelet"

// kubeletRootBind puts the instance's kubelet directory at /var/lib/kubelet
// in its machine view.
func (s *Spec) kubeletRootBind() (cgroups.Bind, error) {
	for _, dir := range []string{s.kubeletRoot(), viewKubeletRoot} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return cgroups.Bind{}, fmt.Errorf("kubelet root of %s: %w", s.ID, err)
		}
	}
	return cgroups.Bind{Source: s.kubeletRoot(), Target: viewKubeletRoot}, nil
}

// kubeletRootInViewMarker says the instance's machine view was made with
// its kubelet directory at /var/lib/kubelet. A view made by an older keks
// has no such bind, and its kubelet keeps the host path it started with.
func (s *Spec) kubeletRootInViewMarker() string { return s.path("kubelet", "root-in-view") }

// kubeletRootFor is the --root-dir the kubelet runs with.
func (s *Spec) kubeletRootFor(view bool) string {
	if _, err := os.Stat(s.kubeletRootInViewMarker()); view && err == nil {
		return viewKubeletRoot
	}
	return s.kubeletRoot()
}
