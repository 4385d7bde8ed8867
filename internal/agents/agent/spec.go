package agent

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/awsprofile"
	"github.com/keksdev/keks/internal/hostnet"
	"github.com/keksdev/keks/internal/instance"
	"github.com/keksdev/keks/internal/k8sbuild"
	"github.com/keksdev/keks/internal/kubeversions"
	"github.com/keksdev/keks/internal/pki"
)

// hostEnv is what only the agent knows of an instance: where its files go
// and which binaries and CA of this host it runs with.
type hostEnv struct {
	// instancesDir holds one directory per instance, named by its id.
	instancesDir string
	k8s          k8sbuild.Dir
	keksBinary   string
	// keksCA is the file of keks's CA, pinned at join: it verifies keks's
	// AWS endpoint and registry as it verifies the agents listener.
	keksCA string
}

// Files of an instance's directory that the agent writes itself.
const (
	clusterCAFile  = "cluster-ca.crt"
	assignmentFile = "assignment.json" // the last assignment run, to delete it after keks forgot it
)

// unfit is an assignment this host cannot run as it is, for a reason the
// agent reports at once (no retry makes it start): keks marks it failed.
type unfit struct{ reason string }

func (u *unfit) Error() string { return u.reason }

func unfitf(format string, args ...any) error { return &unfit{fmt.Sprintf(format, args...)} }

var (
	instanceID = regexp.MustCompile(`^i-[0-9a-f]{10,17}$`)
	// bridgeName is keks's subnet bridge, ks<last 12 of the subnet id>, within IFNAMSIZ.
	bridgeName  = regexp.MustCompile(`^ks[0-9a-z]{1,13}$`)
	regionLike  = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)
	clusterName = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`)
	hostPort    = regexp.MustCompile(`^[A-Za-z0-9.:\[\]-]{0,255}$`)
)

// validInstanceID says whether id is safe to name files, devices and markers by.
func validInstanceID(id string) bool { return instanceID.MatchString(id) }

func (e *hostEnv) dir(id string) string { return filepath.Join(e.instancesDir, id) }

// spec checks an assignment, writes the files only the agent makes (the
// cluster's CA, the assignment itself) and returns the instance's Spec.
// An assignment the host cannot run is an *unfit; other errors are the
// host's (a file not written) and worth a retry.
func (e *hostEnv) spec(a *agents.AssignedInstance) (*instance.Spec, error) {
	s, ca, err := e.check(a)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("make the directory of %s: %w", a.ID, err)
	}
	if err := pki.WriteFileIfChanged(s.CAFile, ca, 0o644); err != nil {
		return nil, fmt.Errorf("write the cluster CA of %s: %w", a.ID, err)
	}
	saved, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	if err := pki.WriteFileIfChanged(filepath.Join(s.Dir, assignmentFile), saved, 0o600); err != nil {
		return nil, fmt.Errorf("keep the assignment of %s: %w", a.ID, err)
	}
	return s, nil
}

// check turns an assignment into a Spec without touching the host; every
// field is from the wire and is checked before it names a file, a device
// or an iptables rule.
func (e *hostEnv) check(a *agents.AssignedInstance) (*instance.Spec, []byte, error) {
	if !validInstanceID(a.ID) {
		return nil, nil, unfitf("instance id %q is not i-<10 to 17 hex digits>", a.ID)
	}
	v, ok := kubeversions.Lookup(a.KubernetesVersion)
	if !ok {
		return nil, nil, unfitf("this agent's keks does not know Kubernetes %q: upgrade keks on this host", a.KubernetesVersion)
	}
	if !e.k8s.Built(v) {
		return nil, nil, unfitf("Kubernetes %s is not built on this host (no %s): run `keks build-kubernetes %s --k8s-dir %s` there", v.Patch, e.k8s.BinDir(v), v.Minor, e.k8s)
	}
	if !e.k8s.NodeRuntimeBuilt() {
		return nil, nil, unfitf("the node runtime (containerd, runc) is not built on this host (no %s): run `keks build-kubernetes %s --k8s-dir %s` there", e.k8s.NodeRuntimeDir(), v.Minor, e.k8s)
	}
	var errs []error
	bad := func(field string, err error) { errs = append(errs, fmt.Errorf("%s: %w", field, err)) }
	addr, err := netip.ParsePrefix(a.Address)
	if err != nil || !addr.Addr().Is4() {
		bad("address", fmt.Errorf("%q is not an IPv4 address with its subnet's length", a.Address))
	}
	gw, err := netip.ParseAddr(a.Gateway)
	if err != nil || !gw.Is4() {
		bad("gateway", fmt.Errorf("%q is not an IPv4 address", a.Gateway))
	}
	if !bridgeName.MatchString(a.Bridge) {
		bad("bridge", fmt.Errorf("%q is not a subnet bridge name (ks<letters and digits>)", a.Bridge))
	}
	for field, p := range map[string]string{"podCIDR": a.PodCIDR, "subnetCIDR": a.SubnetCIDR} {
		if _, err := netip.ParsePrefix(p); err != nil {
			bad(field, err)
		}
	}
	for _, r := range a.ServiceRanges {
		if _, err := netip.ParsePrefix(r); err != nil {
			bad("serviceRanges", err)
		}
	}
	clusterCIDR := a.ClusterCIDR
	if clusterCIDR == "" {
		clusterCIDR = hostnet.PodNetwork
	} else if _, err := netip.ParsePrefix(clusterCIDR); err != nil {
		bad("clusterCIDR", err)
	}
	if _, err := netip.ParseAddr(a.ClusterDNS); err != nil {
		bad("clusterDNS", err)
	}
	for field, u := range map[string]string{"endpoint": a.Endpoint, "awsEndpoint": a.AWSEndpoint} {
		if p, err := url.Parse(u); err != nil || p.Scheme != "https" || p.Host == "" {
			bad(field, fmt.Errorf("%q is not an https URL", u))
		}
	}
	if !regionLike.MatchString(a.Region) || !regionLike.MatchString(a.Zone) {
		bad("region and zone", fmt.Errorf("%q, %q are not AWS region and zone names", a.Region, a.Zone))
	}
	if !clusterName.MatchString(a.ClusterName) {
		bad("clusterName", fmt.Errorf("%q is not an EKS cluster name", a.ClusterName))
	}
	if !hostPort.MatchString(a.Registry) {
		bad("registry", fmt.Errorf("%q is not host[:port]", a.Registry))
	}
	if a.MaxPods <= 0 || a.CPUs <= 0 || a.MemoryBytes <= 0 || a.MilliCPUs < 0 || a.EphemeralStorageBytes < 0 {
		bad("size", fmt.Errorf("maxPods %d, cpus %d, memoryBytes %d must be positive", a.MaxPods, a.CPUs, a.MemoryBytes))
	}
	// These end up in flags and config files, one per line.
	lines := append([]string{a.NodeName, a.SSHPublicKey}, a.Taints...)
	for k, v := range a.Labels {
		lines = append(lines, k, v)
	}
	for _, l := range lines {
		if strings.ContainsFunc(l, unicode.IsControl) {
			bad("labels, taints, nodeName and sshPublicKey", fmt.Errorf("%q holds a control character", l))
			break
		}
	}
	ca, _ := pem.Decode([]byte(a.ClusterCA))
	if ca == nil || ca.Type != "CERTIFICATE" {
		bad("clusterCA", errors.New("not a PEM certificate"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, unfitf("keks's assignment of %s is not one this agent can run: %v", a.ID, err)
	}
	s := a.Spec(e.dir(a.ID))
	s.CAFile, s.ClusterCIDR = filepath.Join(s.Dir, clusterCAFile), clusterCIDR
	s.K8sBinDir, s.RuntimeDir, s.KeksBinary = e.k8s.BinDir(v), e.k8s.NodeRuntimeDir(), e.keksBinary
	s.AWSConfig, s.RegistryCA = awsprofile.InstanceConfig(a.Region, a.AWSEndpoint, e.keksCA), e.keksCA
	return s, pem.EncodeToMemory(ca), nil
}

// deleteSpec is enough of a Spec to delete the instance: all of it when
// the assignment still checks, else what names its files and devices (its
// pod route then stays, as it would on keks's own host).
func (e *hostEnv) deleteSpec(a *agents.AssignedInstance) *instance.Spec {
	if s, _, err := e.check(a); err == nil {
		return s
	}
	s := &instance.Spec{ID: a.ID, Dir: e.dir(a.ID), Bridge: a.Bridge, PodCIDR: a.PodCIDR}
	if addr, err := netip.ParsePrefix(a.Address); err == nil {
		s.Address = addr
	}
	return s
}

// saved is the assignment last run of a local instance, if the agent kept one.
func (e *hostEnv) saved(id string) *agents.AssignedInstance {
	a := &agents.AssignedInstance{ID: id}
	if data, err := os.ReadFile(filepath.Join(e.dir(id), assignmentFile)); err == nil {
		_ = json.Unmarshal(data, a)
		a.ID = id // whatever the file says, it is this directory's instance
	}
	return a
}

// local are the instances with a directory on this host.
func (e *hostEnv) local() ([]string, error) {
	entries, err := os.ReadDir(e.instancesDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the instances of this host: %w", err)
	}
	var ids []string
	for _, d := range entries {
		if d.IsDir() && validInstanceID(d.Name()) {
			ids = append(ids, d.Name())
		}
	}
	return ids, nil
}
