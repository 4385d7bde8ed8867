package eks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/kubeversions"
	"github.com/keksdev/keks/internal/store"
)

// Node group statuses.
const (
	NodegroupCreating     = "CREATING"
	NodegroupActive       = "ACTIVE"
	NodegroupUpdating     = "UPDATING"
	NodegroupDeleting     = "DELETING"
	NodegroupCreateFailed = "CREATE_FAILED"
	NodegroupDeleteFailed = "DELETE_FAILED"
	NodegroupDegraded     = "DEGRADED"
)

// Nodegroup is a managed node group: an Auto Scaling group of instances
// that join their cluster.
type Nodegroup struct {
	Name              string            `json:"name"`
	ARN               string            `json:"arn"`
	ClusterName       string            `json:"clusterName"`
	ClusterUID        string            `json:"clusterUid"`
	Region            string            `json:"region"`
	Account           string            `json:"account"`
	CreatedAt         time.Time         `json:"createdAt"`
	ModifiedAt        time.Time         `json:"modifiedAt"`
	Generation        int64             `json:"generation"`
	DeletionRequested bool              `json:"deletionRequested,omitempty"`
	Version           string            `json:"version"` // minor version
	ReleaseVersion    string            `json:"releaseVersion"`
	CapacityType      string            `json:"capacityType"`
	AMIType           string            `json:"amiType"`
	InstanceTypes     []string          `json:"instanceTypes"`
	Subnets           []string          `json:"subnets"`
	NodeRole          string            `json:"nodeRole"`
	DiskSize          int               `json:"diskSize"`
	Scaling           Scaling           `json:"scaling"`
	MaxUnavailable    int               `json:"maxUnavailable,omitempty"`
	MaxUnavailablePct int               `json:"maxUnavailablePercentage,omitempty"`
	Labels            map[string]string `json:"labels,omitempty"`
	Taints            []Taint           `json:"taints,omitempty"`
	Tags              map[string]string `json:"tags,omitempty"`
	RemoteAccess      *RemoteAccess     `json:"remoteAccess,omitempty"`
	// RemoteAccessSecurityGroup is the group made for RemoteAccess
	// (eks-remoteAccess-<uuid>), which the group's instances carry.
	RemoteAccessSecurityGroup string `json:"remoteAccessSecurityGroup,omitempty"`
	ASGName                   string `json:"asgName"`
	ClientToken               string `json:"clientToken,omitempty"`
	// Status is what the node group controller observed.
	Status string  `json:"status"`
	Issues []Issue `json:"issues,omitempty"`
	// ForceUpdate drains without honouring PodDisruptionBudgets (UpdateNodegroupVersion --force).
	ForceUpdate bool `json:"forceUpdate,omitempty"`
}

// Scaling is a node group's size.
type Scaling struct {
	Min     int `json:"minSize"`
	Max     int `json:"maxSize"`
	Desired int `json:"desiredSize"`
}

// Taint is a Kubernetes taint in EKS's spelling (NO_SCHEDULE...).
type Taint struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Effect string `json:"effect"`
}

// RemoteAccess gives the group's instances an EC2 key pair: each runs an
// sshd that lets its holder in as ec2-user.
type RemoteAccess struct {
	EC2SSHKey              string   `json:"ec2SshKey,omitempty"`
	SourceSecurityGroupIDs []string `json:"sourceSecurityGroups,omitempty"`
}

// KubernetesEffect is the taint effect as Kubernetes spells it.
func (t Taint) KubernetesEffect() string {
	return map[string]string{"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}[t.Effect]
}

// MaxUnavailableNodes is how many nodes an update may take away at once.
func (n *Nodegroup) MaxUnavailableNodes() int {
	if n.MaxUnavailablePct > 0 {
		return max(1, n.Scaling.Desired*n.MaxUnavailablePct/100)
	}
	return max(1, n.MaxUnavailable)
}

// Node group limits and defaults, from EKS's documentation.
const (
	maxNodegroupsPerCluster = 30
	maxNodegroupSize        = 450
	defaultInstanceType     = "t3.medium"
	defaultDiskSize         = 20
	defaultAMIType          = "AL2023_x86_64_STANDARD"
)

var (
	nodegroupNamePattern = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]*$`)
	amiTypes             = []string{"AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "AL2_x86_64", "BOTTLEROCKET_x86_64", "CUSTOM"}
	// eksAMITypes are the AMI types EKS's API knows; keks runs amiTypes of them.
	eksAMITypes = []string{"AL2_x86_64", "AL2_x86_64_GPU", "AL2_ARM_64", "CUSTOM", "BOTTLEROCKET_ARM_64", "BOTTLEROCKET_x86_64",
		"BOTTLEROCKET_ARM_64_FIPS", "BOTTLEROCKET_x86_64_FIPS", "BOTTLEROCKET_ARM_64_NVIDIA", "BOTTLEROCKET_x86_64_NVIDIA",
		"BOTTLEROCKET_ARM_64_NVIDIA_FIPS", "BOTTLEROCKET_x86_64_NVIDIA_FIPS", "WINDOWS_CORE_2019_x86_64", "WINDOWS_FULL_2019_x86_64",
		"WINDOWS_CORE_2022_x86_64", "WINDOWS_FULL_2022_x86_64", "WINDOWS_CORE_2025_x86_64", "WINDOWS_FULL_2025_x86_64",
		"AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "AL2023_x86_64_NEURON", "AL2023_x86_64_NVIDIA", "AL2023_ARM_64_NVIDIA"}
	taintEffects = []string{"NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"}
)

func nodegroupPrefix(clusterUID string) string { return "eks/nodegroups/" + clusterUID + "/" }
func nodegroupKey(clusterUID, name string) string {
	return nodegroupPrefix(clusterUID) + name
}

// NodegroupPrefix is where node groups live in the store.
const NodegroupPrefix = "eks/nodegroups/"

// CreateNodegroupInput is CreateNodegroup's request, decoded.
type CreateNodegroupInput struct {
	ClusterName, Name, Region, Account string
	Scaling                            *Scaling
	DiskSize                           *int
	Subnets, InstanceTypes             []string
	AMIType, NodeRole, CapacityType    string
	Version, ReleaseVersion            string
	Labels                             map[string]string
	Taints                             []Taint
	Tags                               map[string]string
	RemoteAccess                       *RemoteAccess
	MaxUnavailable, MaxUnavailablePct  *int
	ClientRequestToken                 string
	HasLaunchTemplate                  bool
}

func ngInvalid(cluster, ng, format string, args ...any) error {
	return awserr.Errorf(CodeInvalidParameter, format, args...).With("clusterName", cluster).With("nodegroupName", ng)
}

func nodegroupNotFound(cluster, ng string) error {
	return awserr.Errorf(CodeResourceNotFound, "No node group found for name: %s.", ng).With("clusterName", cluster).With("nodegroupName", ng)
}

// CreateNodegroup validates a request as EKS does and records a CREATING node group.
func (s *Service) CreateNodegroup(ctx context.Context, in CreateNodegroupInput) (*Nodegroup, error) {
	c, err := s.GetCluster(ctx, in.Region, in.ClusterName)
	if err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error { return ngInvalid(in.ClusterName, in.Name, format, args...) }
	if len(in.Name) < 1 || len(in.Name) > 63 || !nodegroupNamePattern.MatchString(in.Name) {
		return nil, bad("Nodegroup name %q must be 1-63 characters: a letter or digit, then letters, digits, '-' or '_'", in.Name)
	}
	if existing, err := s.GetNodegroup(ctx, in.Region, in.ClusterName, in.Name); err == nil {
		if in.ClientRequestToken != "" && existing.ClientToken == in.ClientRequestToken {
			return existing, nil
		}
		return nil, awserr.Errorf(CodeResourceInUse, "NodeGroup already exists with name %s and cluster name %s", in.Name, in.ClusterName).With("clusterName", in.ClusterName).With("nodegroupName", in.Name)
	}
	if c.Status.Phase != StatusActive {
		return nil, awserr.Errorf(CodeInvalidRequest, "Cluster '%s' is not in ACTIVE status", c.Name).With("clusterName", c.Name)
	}
	existing, err := store.List[Nodegroup](ctx, s.Store, nodegroupPrefix(c.UID))
	if err != nil {
		return nil, err
	}
	if len(existing) >= maxNodegroupsPerCluster {
		return nil, awserr.Errorf(CodeResourceLimit, "Cannot exceed the maximum of %d node groups per cluster", maxNodegroupsPerCluster).With("clusterName", c.Name)
	}
	ng := Nodegroup{
		Name: in.Name, ClusterName: c.Name, ClusterUID: c.UID, Region: c.Region, Account: c.Account,
		Version: c.Spec.Version, CapacityType: "ON_DEMAND", AMIType: defaultAMIType, InstanceTypes: []string{defaultInstanceType},
		DiskSize: defaultDiskSize, Scaling: Scaling{Min: 1, Max: 2, Desired: 2}, MaxUnavailable: 1,
		Labels: in.Labels, Taints: in.Taints, Tags: in.Tags, RemoteAccess: in.RemoteAccess,
		ClientToken: in.ClientRequestToken, Status: NodegroupCreating,
	}
	if in.Version != "" && in.Version != c.Spec.Version {
		return nil, bad("Requested Nodegroup version %s is invalid. The cluster version %s is the only accepted specified value", in.Version, c.Spec.Version)
	}
	v, _ := kubeversions.Lookup(ng.Version)
	ng.ReleaseVersion = releaseVersion(v.Patch)
	if in.ReleaseVersion != "" && in.ReleaseVersion != ng.ReleaseVersion {
		return nil, bad("Requested release version %s is not valid for kubernetes version %s; keks offers %s", in.ReleaseVersion, ng.Version, ng.ReleaseVersion)
	}
	if len(in.Subnets) == 0 {
		return nil, bad("Subnets are required")
	}
	for _, id := range in.Subnets {
		sn, err := s.EC2.GetSubnet(ctx, id)
		if err != nil {
			return nil, bad("The subnet ID '%s' does not exist (Service: AmazonEC2; Status Code: 400; Error Code: InvalidSubnetID.NotFound)", id)
		}
		if sn.VPCID != c.Spec.VPCID {
			return nil, bad("Subnet %s is not in the cluster's VPC %s", id, c.Spec.VPCID)
		}
	}
	ng.Subnets = slices.Clone(in.Subnets)
	// The group's instances are launched with the key, which must exist.
	if in.RemoteAccess != nil && in.RemoteAccess.EC2SSHKey != "" {
		if _, err := s.EC2.GetKeyPair(ctx, c.Region, in.RemoteAccess.EC2SSHKey); err != nil {
			return nil, bad("KeyPair %s not found", in.RemoteAccess.EC2SSHKey)
		}
	}
	if in.NodeRole == "" {
		return nil, bad("nodeRole is required")
	}
	if _, err := s.IAM.RoleByARN(ctx, in.NodeRole); err != nil {
		return nil, bad("The provided role ARN %s does not exist", in.NodeRole)
	}
	ng.NodeRole = in.NodeRole
	if in.Scaling != nil {
		if err := validateScaling(*in.Scaling, bad); err != nil {
			return nil, err
		}
		ng.Scaling = *in.Scaling
	}
	if in.HasLaunchTemplate {
		return nil, bad("keks does not support launch templates yet; give instanceTypes and diskSize instead")
	}
	if len(in.InstanceTypes) > 0 {
		for _, t := range in.InstanceTypes {
			if _, ok := ec2.InstanceTypes[t]; !ok {
				return nil, bad("Instance type %s is not supported; keks offers %v", t, ec2.InstanceTypeNames())
			}
		}
		ng.InstanceTypes = slices.Clone(in.InstanceTypes)
	}
	if in.AMIType != "" {
		if !slices.Contains(eksAMITypes, in.AMIType) {
			return nil, bad("1 validation error detected: Value '%s' at 'amiType' failed to satisfy constraint: Member must satisfy enum value set: [%s]", in.AMIType, strings.Join(eksAMITypes, ", "))
		}
		if !slices.Contains(amiTypes, in.AMIType) {
			return nil, bad("keks does not run amiType %s; it runs %v", in.AMIType, amiTypes)
		}
		ng.AMIType = in.AMIType
	}
	switch in.CapacityType {
	case "", "ON_DEMAND":
	case "SPOT", "CAPACITY_BLOCK":
		ng.CapacityType = in.CapacityType
	default:
		return nil, bad("1 validation error detected: Value '%s' at 'capacityType' failed to satisfy constraint: Member must satisfy enum value set: [ON_DEMAND, SPOT, CAPACITY_BLOCK]", in.CapacityType)
	}
	if in.DiskSize != nil {
		if *in.DiskSize < 1 || *in.DiskSize > 16384 {
			return nil, bad("diskSize must be between 1 and 16384 GiB")
		}
		ng.DiskSize = *in.DiskSize
	}
	if err := setUpdateConfig(&ng, in.MaxUnavailable, in.MaxUnavailablePct, bad); err != nil {
		return nil, err
	}
	if err := validateLabels(ng.Labels, bad); err != nil {
		return nil, err
	}
	if err := validateTaints(ng.Taints, bad); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	id := uuid.NewString()
	ng.ARN = fmt.Sprintf("arn:aws:eks:%s:%s:nodegroup/%s/%s/%s", c.Region, c.Account, c.Name, ng.Name, id)
	ng.ASGName = "eks-" + ng.Name + "-" + id
	ng.CreatedAt = s.Now().UTC()
	ng.ModifiedAt = ng.CreatedAt
	ng.Generation = 1
	err = s.Store.Transact(ctx, func(t *store.Txn) error {
		// The group lands only while its cluster is still ACTIVE as checked,
		// below the quota and without a group of the same name.
		cur, err := s.clusterAsChecked(ctx, t, c)
		if err != nil {
			return err
		}
		if cur.Status.Phase != StatusActive {
			return awserr.Errorf(CodeInvalidRequest, "Cluster '%s' is not in ACTIVE status", c.Name).With("clusterName", c.Name)
		}
		existing, err := s.Nodegroups(ctx, c.UID)
		if err != nil {
			return err
		}
		for _, o := range existing {
			if o.Name == ng.Name {
				return awserr.Errorf(CodeResourceInUse, "NodeGroup already exists with name %s and cluster name %s", in.Name, in.ClusterName).With("clusterName", in.ClusterName).With("nodegroupName", in.Name)
			}
		}
		if len(existing) >= maxNodegroupsPerCluster {
			return awserr.Errorf(CodeResourceLimit, "Cannot exceed the maximum of %d node groups per cluster", maxNodegroupsPerCluster).With("clusterName", c.Name)
		}
		if ng.RemoteAccess != nil {
			if ng.RemoteAccessSecurityGroup, err = s.addRemoteAccessGroup(ctx, t, cur, &ng); err != nil {
				return err
			}
		}
		t.Create(nodegroupKey(c.UID, ng.Name), &ng)
		// With the access entry API, the group's role gets its entry along.
		return s.addNodeRoleEntry(ctx, t, cur, &ng)
	})
	if err != nil {
		return nil, err
	}
	return &ng, nil
}

// releaseVersion is the node image release a Kubernetes patch version runs,
// in the EKS AMI's spelling.
func releaseVersion(patch string) string {
	return kubeversions.Version{Patch: patch}.NodeReleaseVersion()
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func validateScaling(sc Scaling, bad func(string, ...any) error) error {
	switch {
	case sc.Min < 0:
		return bad("Minimum capacity %d can't be less than 0", sc.Min)
	case sc.Max < 1:
		return bad("Maximum capacity %d can't be less than 1", sc.Max)
	case sc.Desired < 0:
		return bad("Desired capacity %d can't be less than 0", sc.Desired)
	case sc.Max > maxNodegroupSize:
		return bad("Maximum capacity %d can't be greater than %d", sc.Max, maxNodegroupSize)
	case sc.Min > sc.Max:
		return bad("Minimum capacity %d can't be greater than maximum capacity %d", sc.Min, sc.Max)
	case sc.Desired > sc.Max:
		return bad("Desired capacity %d can't be greater than maximum capacity %d", sc.Desired, sc.Max)
	case sc.Desired < sc.Min:
		return bad("Desired capacity %d can't be less than minimum capacity %d", sc.Desired, sc.Min)
	}
	return nil
}

func setUpdateConfig(ng *Nodegroup, n, pct *int, bad func(string, ...any) error) error {
	switch {
	case n != nil && pct != nil:
		return bad("Only one of maxUnavailable and maxUnavailablePercentage may be given")
	case n != nil:
		if *n < 1 || *n > 100 {
			return bad("maxUnavailable must be between 1 and 100")
		}
		ng.MaxUnavailable, ng.MaxUnavailablePct = *n, 0
	case pct != nil:
		if *pct < 1 || *pct > 100 {
			return bad("maxUnavailablePercentage must be between 1 and 100")
		}
		ng.MaxUnavailable, ng.MaxUnavailablePct = 0, *pct
	}
	return nil
}

var labelKeyPattern = regexp.MustCompile(`^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
var labelValuePattern = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$`)

func validateLabels(labels map[string]string, bad func(string, ...any) error) error {
	for k, v := range labels {
		// EKS bounds both at 1 to 63 characters, tighter than Kubernetes (a
		// prefixed key may be longer there, a value empty).
		if len(k) < 1 || len(k) > 63 || len(v) < 1 || len(v) > 63 {
			return bad("1 validation error detected: Value '%s' at 'labels' failed to satisfy constraint: Map keys and values must have length between 1 and 63", k+"="+v)
		}
		if !labelKeyPattern.MatchString(k) || !labelValuePattern.MatchString(v) {
			return bad("Label %s=%s is not a valid Kubernetes label (key and value up to 63 characters of letters, digits, '-', '_' and '.')", k, v)
		}
		if k == "eks.amazonaws.com/nodegroup" || k == "eks.amazonaws.com/capacityType" {
			return bad("Label key %s is reserved by EKS", k)
		}
	}
	return nil
}

func validateTaints(taints []Taint, bad func(string, ...any) error) error {
	if len(taints) > 50 {
		return bad("A node group can have at most 50 taints")
	}
	for _, t := range taints {
		if t.Key == "" || len(t.Key) > 63 || !labelKeyPattern.MatchString(t.Key) || len(t.Value) > 63 || !labelValuePattern.MatchString(t.Value) {
			return bad("Taint key %q or value %q is not valid", t.Key, t.Value)
		}
		if !slices.Contains(taintEffects, t.Effect) {
			return bad("Taint effect %q must be one of %v", t.Effect, taintEffects)
		}
	}
	return nil
}

// GetNodegroup reads one node group.
func (s *Service) GetNodegroup(ctx context.Context, region, cluster, name string) (*Nodegroup, error) {
	c, err := s.GetCluster(ctx, region, cluster)
	if err != nil {
		return nil, err
	}
	var ng Nodegroup
	if _, err := s.Store.Get(ctx, nodegroupKey(c.UID, name), &ng); errors.Is(err, store.ErrNotFound) {
		return nil, nodegroupNotFound(cluster, name)
	} else if err != nil {
		return nil, err
	}
	return &ng, nil
}

// GetNodegroupByUID reads a node group by its cluster's uid.
func (s *Service) GetNodegroupByUID(ctx context.Context, clusterUID, name string) (*Nodegroup, error) {
	var ng Nodegroup
	if _, err := s.Store.Get(ctx, nodegroupKey(clusterUID, name), &ng); err != nil {
		return nil, err
	}
	return &ng, nil
}

// Nodegroups returns a cluster's node groups; an empty uid returns every cluster's.
func (s *Service) Nodegroups(ctx context.Context, clusterUID string) ([]Nodegroup, error) {
	if clusterUID == "" {
		return store.List[Nodegroup](ctx, s.Store, NodegroupPrefix)
	}
	return store.List[Nodegroup](ctx, s.Store, nodegroupPrefix(clusterUID))
}

// ListNodegroups pages through a cluster's node group names.
func (s *Service) ListNodegroups(ctx context.Context, region, cluster string, maxResults int, nextToken string) ([]string, string, error) {
	c, err := s.GetCluster(ctx, region, cluster)
	if err != nil {
		return nil, "", err
	}
	all, err := s.Nodegroups(ctx, c.UID)
	if err != nil {
		return nil, "", err
	}
	names := make([]string, 0, len(all))
	for _, n := range all {
		names = append(names, n.Name)
	}
	return Page(names, maxResults, nextToken)
}

// DeleteNodegroup starts deleting a node group.
func (s *Service) DeleteNodegroup(ctx context.Context, region, cluster, name string) (*Nodegroup, error) {
	ng, err := s.GetNodegroup(ctx, region, cluster, name)
	if err != nil {
		return nil, err
	}
	return s.SetNodegroup(ctx, ng, func(n *Nodegroup) error {
		// Checked on the record being replaced: an update may have started since the read above.
		if n.Status == NodegroupCreating || n.Status == NodegroupUpdating {
			return awserr.Errorf(CodeResourceInUse, "Nodegroup %s is currently %s and cannot be deleted", name, n.Status).With("clusterName", cluster).With("nodegroupName", name)
		}
		if !n.DeletionRequested {
			n.DeletionRequested = true
			n.Generation++
		}
		n.Status = NodegroupDeleting
		n.ModifiedAt = s.Now().UTC()
		return nil
	})
}

// SetNodegroup changes a node group record.
func (s *Service) SetNodegroup(ctx context.Context, ng *Nodegroup, fn func(*Nodegroup) error) (*Nodegroup, error) {
	n, err := store.Mutate(ctx, s.Store, nodegroupKey(ng.ClusterUID, ng.Name), fn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nodegroupNotFound(ng.ClusterName, ng.Name)
	}
	return n, err
}

// ForgetNodegroup removes a deleted node group's record and its updates.
func (s *Service) ForgetNodegroup(ctx context.Context, ng *Nodegroup) error {
	if err := s.removeRemoteAccessGroup(ctx, ng); err != nil {
		return err
	}
	return s.forget(ctx, ng.ClusterUID, nodegroupKey(ng.ClusterUID, ng.Name), func(u *Update) bool { return u.Nodegroup == ng.Name })
}
