package ec2

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// Instance states, as EC2 names them.
const (
	StatePending    = "pending"
	StateRunning    = "running"
	StateTerminated = "terminated"
	StateShutting   = "shutting-down"
)

// LifecycleSpot marks a spot instance (EC2's InstanceLifecycle).
const LifecycleSpot = "spot"

// Instance is an EC2-like instance.
type Instance struct {
	ID     string `json:"id"`
	Region string `json:"region"`
	Zone   string `json:"zone"`
	// Host is the agent host the instance runs on (internal/agents); ""
	// is keks's own host. Placement sets it once, before the instance's
	// first process starts.
	Host         string `json:"host,omitempty"`
	SubnetID     string `json:"subnetId"`
	VPCID        string `json:"vpcId"`
	PrivateIP    string `json:"privateIp"`
	SubnetBits   int    `json:"subnetBits"`
	InstanceType string `json:"instanceType"`
	ImageID      string `json:"imageId"`
	RoleARN      string `json:"roleArn,omitempty"` // the instance profile's role
	// InstanceProfileARN is the profile it was launched with ("": one
	// named after its role, as keks had before instance profiles).
	InstanceProfileARN string            `json:"instanceProfileArn,omitempty"`
	State              string            `json:"state"`
	LaunchTime         time.Time         `json:"launchTime"`
	Tags               map[string]string `json:"tags,omitempty"`
	UserData           string            `json:"userData,omitempty"`
	OwnerID            string            `json:"ownerId"`
	// SecurityGroupIDs are the groups of the instance's network interface;
	// none on instances made by a keks without security groups, which no
	// firewall then guards.
	SecurityGroupIDs []string `json:"securityGroupIds,omitempty"`
	// KeyName is the key pair the instance was launched with, and
	// KeyPublicKey its public key then: the instance keeps it, as on EC2,
	// when the key pair is deleted. An instance with a key runs an sshd.
	KeyName      string `json:"keyName,omitempty"`
	KeyPublicKey string `json:"keyPublicKey,omitempty"`
	// Processes of the running instance, recorded by the instance controller.
	ContainerdPID int    `json:"containerdPid,omitempty"`
	KubeletPID    int    `json:"kubeletPid,omitempty"`
	KubeProxyPID  int    `json:"kubeProxyPid,omitempty"`
	StateReason   string `json:"stateReason,omitempty"`
	// What a managed node group's launch template gives the kubelet.
	NodeLabels        map[string]string `json:"nodeLabels,omitempty"`
	NodeTaints        []string          `json:"nodeTaints,omitempty"` // key=value:Effect
	KubernetesVersion string            `json:"kubernetesVersion,omitempty"`
	// MaxPods, when set, is the kubelet's pod limit from the instance's
	// NodeConfig (maxPods); else its type's.
	MaxPods int `json:"maxPods,omitempty"`
	// Lifecycle is "spot" for an instance launched as spot; "" is on-demand.
	// keks never interrupts one.
	Lifecycle string `json:"lifecycle,omitempty"`
	// CredentialsExpiry is when the role session handed to the instance ends.
	CredentialsExpiry time.Time `json:"credentialsExpiry,omitempty"`
	// Fargate is set on the one-pod instance a Fargate pod runs on. EC2's
	// API does not show these: on AWS they are not the account's instances.
	Fargate *FargateTask `json:"fargate,omitempty"`
}

// FargateTask is what makes an instance a Fargate node: the pod it runs
// and the size it was given.
type FargateTask struct {
	Profile      string `json:"profile"`
	PodNamespace string `json:"podNamespace"`
	PodName      string `json:"podName"`
	PodUID       string `json:"podUid"`
	MilliCPU     int64  `json:"milliCpu"`
	MemoryMiB    int64  `json:"memoryMiB"`
	// Logging is where the pod's container logs go, as its aws-logging
	// ConfigMap said when it started.
	Logging []FargateLogOutput `json:"logging,omitempty"`
}

// FargateLogOutput is a CloudWatch Logs output of a Fargate pod's logging.
type FargateLogOutput struct {
	Region       string `json:"region"`
	Group        string `json:"group"`
	StreamPrefix string `json:"streamPrefix,omitempty"`
	StreamName   string `json:"streamName,omitempty"`
}

// NodeName is the name of the instance's Kubernetes node: its private DNS
// name, which a Fargate node has behind "fargate-".
func (i *Instance) NodeName() string {
	if i.Fargate != nil {
		return "fargate-" + i.PrivateDNSName()
	}
	return i.PrivateDNSName()
}

// InstancePrefix is where instances live in the store.
const InstancePrefix = "ec2/instances/"

func instanceKey(id string) string { return InstancePrefix + id }

// PrivateDNSName is the instance's EC2 private DNS name (and node name).
func (i *Instance) PrivateDNSName() string {
	host := "ip-" + strings.ReplaceAll(i.PrivateIP, ".", "-")
	if i.Region == "us-east-1" {
		return host + ".ec2.internal"
	}
	return host + "." + i.Region + ".compute.internal"
}

// ClusterName is the cluster an instance joins: the kubernetes.io/cluster/<name>
// tag EKS's bootstrap relies on.
func (i *Instance) ClusterName() string {
	for k := range i.Tags {
		if name, ok := strings.CutPrefix(k, "kubernetes.io/cluster/"); ok {
			return name
		}
	}
	return ""
}

// PodCIDR is the /26 of 100.64.0.0/10 (the range EKS custom networking
// uses) that the instance's pods take addresses from, derived from the low
// 16 bits of its address so that no two instances of a VPC share one.
func (i *Instance) PodCIDR() string {
	return podRange(netip.MustParseAddr(i.PrivateIP), 26)
}

// podRange is the block of 100.64.0.0/10 that starts with the /26 of addr
// (by its low 16 bits) and is bits long.
func podRange(addr netip.Addr, bits int) string {
	a := addr.As4()
	base := 100<<24 | 64<<16 | (int(a[2])<<8|int(a[3]))<<6
	return fmt.Sprintf("%d.%d.%d.%d/%d", base>>24&255, base>>16&255, base>>8&255, base&255, bits)
}

// PodNetworkOf is the range the pods of a VPC's instances take addresses
// from: the /26s PodCIDR derives from the low 16 bits of addresses in vpcCIDR.
func PodNetworkOf(vpcCIDR string) string {
	p, err := netip.ParsePrefix(vpcCIDR)
	if err != nil || !p.Addr().Is4() {
		return ""
	}
	if p.Bits() <= 16 {
		return "100.64.0.0/10"
	}
	return podRange(p.Masked().Addr(), 10+p.Bits()-16)
}

// RunInstance records a pending instance with the next free address of its subnet.
func (s *Service) RunInstance(ctx context.Context, in Instance) (*Instance, error) {
	out, err := s.RunInstances(ctx, in, 1, 1)
	if err != nil {
		return nil, err
	}
	return &out[0], nil
}

// VCPUs is what an instance's machine shows: its type's vCPUs, or for a
// Fargate node the vCPUs its size rounds up to.
func (in *Instance) VCPUs() int {
	if f := in.Fargate; f != nil {
		return int((f.MilliCPU + 999) / 1000)
	}
	return InstanceTypes[in.InstanceType].VCPUs
}

// fitsHosts refuses an instance larger than every host that serves its
// zone can run, as EC2 refuses a launch it has no capacity for.
func (s *Service) fitsHosts(ctx context.Context, in *Instance, zone string) error {
	if s.MaxVCPUs == nil {
		return nil
	}
	if most := s.MaxVCPUs(ctx, zone); in.VCPUs() > most {
		kind := in.InstanceType
		if in.Fargate != nil {
			kind = fmt.Sprintf("%d-vCPU Fargate", in.VCPUs())
		}
		return awserr.Errorf(CodeInsufficientCapacity, "We currently do not have sufficient %s capacity in the Availability Zone you requested (%s): its hosts have at most %d CPUs and a %s instance needs %d.",
			kind, zone, most, kind, in.VCPUs())
	}
	return nil
}

// RunInstances records between minCount and maxCount pending instances
// like in, each with the next free address of its subnet: as many as the
// subnet has addresses for, all in one write, or none.
func (s *Service) RunInstances(ctx context.Context, in Instance, minCount, maxCount int) ([]Instance, error) {
	if _, ok := InstanceTypes[in.InstanceType]; !ok && in.Fargate == nil {
		return nil, awserr.Errorf(CodeInvalidParameterValue, "Invalid value '%s' for InstanceType.", in.InstanceType)
	}
	if minCount < 1 || maxCount < minCount || maxCount > store.MaxTxnOps-1 {
		return nil, awserr.Errorf(CodeInvalidParameterValue, "MinCount and MaxCount must be between 1 and %d, with MinCount <= MaxCount", store.MaxTxnOps-1)
	}
	if sn, err := s.GetSubnet(ctx, in.SubnetID); err == nil {
		if err := s.fitsHosts(ctx, &in, sn.AvailabilityZone); err != nil {
			return nil, err
		}
	}
	var out []Instance
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		out = nil
		sn, rev, err := s.subnetAt(ctx, in.SubnetID)
		if err != nil {
			return err
		}
		// Claiming the subnet orders this launch after every other in it,
		// so the addresses it sees taken are all that are.
		t.Unchanged(subnetKey(sn.ID), rev)
		t.Put(subnetKey(sn.ID), sn)
		groups, err := s.securityGroupsOf(ctx, t, sn.VPCID, sn.ID, in.SecurityGroupIDs)
		if err != nil {
			return err
		}
		all, err := s.Instances(ctx, sn.Region)
		if err != nil {
			return err
		}
		used := map[netip.Addr]bool{}
		for _, o := range all {
			if o.SubnetID == sn.ID && o.State != StateTerminated {
				if a, err := netip.ParseAddr(o.PrivateIP); err == nil {
					used[a] = true
				}
			}
		}
		launch := in
		if in.KeyName != "" {
			kp, err := s.launchKey(ctx, t, sn.Region, in.KeyName)
			if err != nil {
				return err
			}
			launch.KeyPublicKey = kp.PublicKey
		}
		p := netip.MustParsePrefix(sn.CIDR)
		// AWS reserves the first four addresses and the last of each subnet.
		addr := p.Addr().Next().Next().Next().Next()
		for len(out) < maxCount {
			for p.Contains(addr) && used[addr] {
				addr = addr.Next()
			}
			if !p.Contains(addr) || !p.Contains(addr.Next()) {
				break
			}
			one := launch
			one.ID = newResourceID("i")
			one.Region, one.Zone, one.VPCID, one.PrivateIP, one.SubnetBits = sn.Region, sn.AvailabilityZone, sn.VPCID, addr.String(), p.Bits()
			one.State, one.LaunchTime, one.OwnerID = StatePending, time.Now().UTC(), sn.OwnerID
			one.SecurityGroupIDs = groups
			used[addr] = true
			t.Create(instanceKey(one.ID), &one)
			out = append(out, one)
		}
		if len(out) < minCount {
			return awserr.Errorf(CodeInsufficientAddresses, "There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.", sn.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Instances lists a region's instances, or every instance when region is empty.
func (s *Service) Instances(ctx context.Context, region string) ([]Instance, error) {
	all, err := store.List[Instance](ctx, s.Store, InstancePrefix)
	if region == "" {
		return all, err
	}
	return inRegion(all, region, func(v Instance) string { return v.Region }), err
}

// GetInstance reads one instance.
func (s *Service) GetInstance(ctx context.Context, id string) (*Instance, error) {
	var in Instance
	if _, err := s.Store.Get(ctx, instanceKey(id), &in); errors.Is(err, store.ErrNotFound) {
		return nil, awserr.Errorf(CodeInvalidInstanceNotFound, "The instance ID '%s' does not exist", id)
	} else if err != nil {
		return nil, err
	}
	return &in, nil
}

// UpdateInstance changes an instance record.
func (s *Service) UpdateInstance(ctx context.Context, id string, fn func(*Instance) error) (*Instance, error) {
	return store.Mutate(ctx, s.Store, instanceKey(id), fn)
}

// TerminateInstance starts terminating an instance.
func (s *Service) TerminateInstance(ctx context.Context, id string) (previous string, in *Instance, err error) {
	out, err := s.TerminateInstances(ctx, []string{id})
	if err != nil {
		return "", nil, err
	}
	return out[0].Previous, &out[0].Instance, nil
}

// Termination is an instance as TerminateInstances left it, with the state it had.
type Termination struct {
	Instance Instance
	Previous string
}

// TerminateInstances starts terminating instances: all of them or, if one
// does not exist, none.
func (s *Service) TerminateInstances(ctx context.Context, ids []string) ([]Termination, error) {
	if len(ids) > store.MaxTxnOps {
		return nil, awserr.Errorf(CodeInvalidParameterValue, "keks terminates at most %d instances at once", store.MaxTxnOps)
	}
	var out []Termination
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		out = nil
		var missing []string
		seen := map[string]bool{}
		writes := 0
		for _, id := range ids {
			if !strings.HasPrefix(id, "i-") {
				return awserr.Errorf(CodeInvalidInstanceMalformed, "Invalid id: \"%s\"", id)
			}
			var in Instance
			rev, err := s.Store.Get(ctx, instanceKey(id), &in)
			if errors.Is(err, store.ErrNotFound) {
				missing = append(missing, id)
				continue
			} else if err != nil {
				return err
			}
			term := Termination{Instance: in, Previous: in.State}
			if in.State != StateTerminated {
				term.Instance.State = StateShutting
			}
			if !seen[id] && term.Instance.State != in.State {
				t.Unchanged(instanceKey(id), rev)
				t.Put(instanceKey(id), &term.Instance)
				writes++
			}
			seen[id] = true
			out = append(out, term)
		}
		if len(missing) == 1 {
			return awserr.Errorf(CodeInvalidInstanceNotFound, "The instance ID '%s' does not exist", missing[0])
		} else if len(missing) > 1 {
			return awserr.Errorf(CodeInvalidInstanceNotFound, "The instance IDs '%s' do not exist", strings.Join(missing, ", "))
		}
		// Their volumes are detached in the same write: a terminated
		// instance holds none.
		detached, err := s.detachFromTerminating(ctx, t, seen)
		if err != nil {
			return err
		}
		if writes+detached > store.MaxTxnOps {
			return awserr.Errorf(CodeInvalidParameterValue, "keks terminates instances with at most %d volumes attached at once", store.MaxTxnOps-writes)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ForgetInstance removes a terminated instance's record.
func (s *Service) ForgetInstance(ctx context.Context, id string) error {
	return s.Store.Delete(ctx, instanceKey(id))
}

// InstanceTypeNames lists the instance types keks can run, sorted.
func InstanceTypeNames() []string {
	return slices.Sorted(maps.Keys(InstanceTypes))
}
