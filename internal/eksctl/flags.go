package eksctl

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"
)

// ClusterFlags are `create cluster`'s flags, with eksctl's names and defaults.
type ClusterFlags struct {
	ConfigFile string

	Name, Region, Version string
	Tags                  map[string]string
	Zones                 []string
	VPCCIDR               string
	PublicSubnets         []string
	PrivateSubnets        []string
	NATGateway            string

	NodeGroupName         string
	NodeType              string
	Nodes                 int
	NodesMin              int
	NodesMax              int
	NodeVolumeSize        int
	NodeVolumeType        string
	NodeLabels            map[string]string
	NodeZones             []string
	NodePrivateNetworking bool
	Managed               bool
	Spot                  bool

	SSHAccess    bool
	SSHPublicKey string

	ExternalDNSAccess bool
	ASGAccess         bool
	FullECRAccess     bool
	ALBIngressAccess  bool

	WithOIDC         bool
	Fargate          bool
	WithoutNodeGroup bool
}

// AddClusterFlags registers the cluster's flags.
func AddClusterFlags(fs *pflag.FlagSet, f *ClusterFlags) {
	fs.StringVarP(&f.Name, "name", "n", "", "EKS cluster name (generated if unspecified, e.g. \"unique-creature-1561094398\")")
	fs.StringVarP(&f.Version, "version", "", "", "Kubernetes version (valid options: "+joinVersions()+") (default "+defaultVersion()+")")
	fs.StringToStringVarP(&f.Tags, "tags", "", nil, `Used to tag the AWS resources, a list of key=value pairs, e.g. "Owner=John Doe,Team=Some Team"`)
	fs.StringSliceVar(&f.Zones, "zones", nil, "(auto-select if unspecified)")
	fs.StringVar(&f.VPCCIDR, "vpc-cidr", DefaultCIDR, "global CIDR to use for VPC")
	fs.StringSliceVar(&f.PublicSubnets, "vpc-public-subnets", nil, "re-use public subnets of an existing VPC; the subnets must exist in availability zones and not other types of zones")
	fs.StringSliceVar(&f.PrivateSubnets, "vpc-private-subnets", nil, "re-use private subnets of an existing VPC; the subnets must exist in availability zones and not other types of zones")
	fs.StringVar(&f.NATGateway, "vpc-nat-mode", DefaultNATMode, "VPC NAT mode, valid options: HighlyAvailable, Single, Disable")
	fs.BoolVar(&f.WithOIDC, "with-oidc", false, "Enable the IAM OIDC provider")
	fs.BoolVar(&f.Fargate, "fargate", false, "Create a Fargate profile scheduling pods in the default and kube-system namespaces onto Fargate")
	fs.BoolVar(&f.WithoutNodeGroup, "without-nodegroup", false, "if set, initial nodegroup will not be created")
}

// AddNodeGroupFlags registers the initial (or new) node group's flags.
func AddNodeGroupFlags(fs *pflag.FlagSet, f *ClusterFlags) {
	fs.StringVar(&f.NodeGroupName, "nodegroup-name", "", "name of the nodegroup (generated if unspecified, e.g. \"ng-a345f4e1\")")
	fs.StringVarP(&f.NodeType, "node-type", "t", "", "node instance type (default "+DefaultNodeType+")")
	fs.IntVarP(&f.Nodes, "nodes", "N", DefaultNodeCount, "total number of nodes (for a static ASG)")
	fs.IntVarP(&f.NodesMin, "nodes-min", "m", DefaultNodeCount, "minimum nodes in ASG")
	fs.IntVarP(&f.NodesMax, "nodes-max", "M", DefaultNodeCount, "maximum nodes in ASG")
	fs.IntVar(&f.NodeVolumeSize, "node-volume-size", DefaultVolumeSize, "node volume size in GB")
	fs.StringVar(&f.NodeVolumeType, "node-volume-type", DefaultVolumeType, "node volume type (valid options: gp2, gp3, io1, sc1, st1)")
	fs.StringToStringVar(&f.NodeLabels, "node-labels", nil, `extra labels to add when registering the nodes in the nodegroup, e.g. "partition=backend,nodeclass=hugememory"`)
	fs.StringSliceVar(&f.NodeZones, "node-zones", nil, "(inherited from the cluster if unspecified)")
	fs.BoolVarP(&f.NodePrivateNetworking, "node-private-networking", "P", false, "whether to make nodegroup networking private")
	fs.BoolVar(&f.Managed, "managed", true, "Create EKS-managed nodegroup")
	fs.BoolVar(&f.Spot, "spot", false, "Create a spot nodegroup (managed nodegroups only)")
	fs.BoolVar(&f.SSHAccess, "ssh-access", false, "control SSH access for nodes. Uses ~/.ssh/id_rsa.pub as default key path if enabled")
	fs.StringVar(&f.SSHPublicKey, "ssh-public-key", "", "SSH public key to use for nodes (import from local path, or use existing EC2 key pair)")
	fs.BoolVar(&f.ASGAccess, "asg-access", false, "enable IAM policy for cluster-autoscaler")
	fs.BoolVar(&f.ExternalDNSAccess, "external-dns-access", false, "enable IAM policy for external-dns")
	fs.BoolVar(&f.FullECRAccess, "full-ecr-access", false, "enable full access to ECR")
	fs.BoolVar(&f.ALBIngressAccess, "alb-ingress-access", false, "enable full access for alb-ingress-controller")
}

// configFileConflicts are the flags that describe the cluster, which a
// config file describes instead (eksctl refuses both).
var configFileConflicts = []string{
	"name", "version", "tags", "zones", "vpc-cidr", "vpc-public-subnets", "vpc-private-subnets", "vpc-nat-mode",
	"with-oidc", "fargate", "nodegroup-name", "node-type", "nodes", "nodes-min", "nodes-max", "node-volume-size",
	"node-volume-type", "node-labels", "node-zones", "node-private-networking", "managed", "spot", "ssh-access",
	"ssh-public-key", "asg-access", "external-dns-access", "full-ecr-access", "alb-ingress-access",
}

// CheckConfigFileFlags refuses cluster-describing flags beside -f.
func CheckConfigFileFlags(fs *pflag.FlagSet) error {
	for _, name := range configFileConflicts {
		if f := fs.Lookup(name); f != nil && f.Changed {
			return fmt.Errorf("cannot use --%s when --config-file/-f is set", name)
		}
	}
	return nil
}

// ClusterConfigFromFlags builds the ClusterConfig eksctl builds from
// create cluster's flags; changed tells which flags were given.
func ClusterConfigFromFlags(f *ClusterFlags, changed func(string) bool, now time.Time) (*ClusterConfig, error) {
	cfg := NewClusterConfig()
	cfg.Metadata = ClusterMeta{Name: f.Name, Region: f.Region, Version: f.Version, Tags: f.Tags}
	if cfg.Metadata.Name == "" {
		cfg.Metadata.Name = RandomClusterName(now)
	}
	if !f.Managed {
		return nil, ErrUnmanagedNodeGroups
	}
	cfg.AvailabilityZones = f.Zones
	if len(f.PublicSubnets) > 0 || len(f.PrivateSubnets) > 0 {
		if changed("vpc-cidr") {
			return nil, fmt.Errorf("--vpc-cidr is not supported with --vpc-public-subnets/--vpc-private-subnets")
		}
		cfg.VPC.Subnets = &ClusterSubnets{Public: map[string]Network{}, Private: map[string]Network{}}
		for _, id := range f.PublicSubnets {
			cfg.VPC.Subnets.Public[id] = Network{ID: id}
		}
		for _, id := range f.PrivateSubnets {
			cfg.VPC.Subnets.Private[id] = Network{ID: id}
		}
	} else {
		cfg.VPC.CIDR = f.VPCCIDR
	}
	cfg.VPC.NAT = &ClusterNAT{Gateway: f.NATGateway}
	if f.WithOIDC {
		cfg.IAM.WithOIDC = boolPtr(true)
	}
	if f.Fargate {
		cfg.FargateProfiles = DefaultFargateProfiles()
	}
	if !f.WithoutNodeGroup && !f.Fargate {
		ng, err := ManagedNodeGroupFromFlags(f, changed)
		if err != nil {
			return nil, err
		}
		cfg.ManagedNodeGroups = []*ManagedNodeGroup{ng}
	}
	return cfg, nil
}

// ManagedNodeGroupFromFlags is the node group the flags describe.
func ManagedNodeGroupFromFlags(f *ClusterFlags, changed func(string) bool) (*ManagedNodeGroup, error) {
	if !f.Managed {
		return nil, ErrUnmanagedNodeGroups
	}
	ng := &ManagedNodeGroup{
		Name: f.NodeGroupName, InstanceType: f.NodeType, AvailabilityZones: f.NodeZones,
		VolumeSize: intPtr(f.NodeVolumeSize), VolumeType: f.NodeVolumeType, Labels: copyMap(f.NodeLabels),
		PrivateNetworking: f.NodePrivateNetworking, Spot: f.Spot,
		SSH: &NodeGroupSSH{Allow: boolPtr(f.SSHAccess || f.SSHPublicKey != "")},
		IAM: &NodeGroupIAM{},
	}
	// As eksctl: --nodes sets the bounds too unless they are given.
	ng.DesiredCapacity = intPtr(f.Nodes)
	ng.MinSize, ng.MaxSize = intPtr(f.Nodes), intPtr(f.Nodes)
	if changed("nodes-min") {
		ng.MinSize = intPtr(f.NodesMin)
		if !changed("nodes") && f.NodesMin > f.Nodes {
			ng.DesiredCapacity = intPtr(f.NodesMin)
		}
	}
	if changed("nodes-max") {
		ng.MaxSize = intPtr(f.NodesMax)
		if !changed("nodes") && f.NodesMax < *ng.DesiredCapacity {
			ng.DesiredCapacity = intPtr(f.NodesMax)
		}
	}
	if *ng.MaxSize < *ng.MinSize && !changed("nodes-max") {
		ng.MaxSize = intPtr(*ng.MinSize)
	}
	if *ng.MaxSize < *ng.DesiredCapacity && !changed("nodes-max") {
		ng.MaxSize = intPtr(*ng.DesiredCapacity)
	}
	if isEnabled(ng.SSH.Allow) {
		ng.SSH.PublicKeyPath = f.SSHPublicKey
		if ng.SSH.PublicKeyPath == "" {
			ng.SSH.PublicKeyPath = "~/.ssh/id_rsa.pub"
		}
	}
	p := &ng.IAM.WithAddonPolicies
	p.ExternalDNS = boolPtr(f.ExternalDNSAccess)
	p.AutoScaler = boolPtr(f.ASGAccess)
	p.ImageBuilder = boolPtr(f.FullECRAccess)
	p.AWSLoadBalancerController = boolPtr(f.ALBIngressAccess)
	return ng, nil
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func joinVersions() string {
	s := ""
	for i, v := range SupportedVersions() {
		if i > 0 {
			s += ", "
		}
		s += `"` + v + `"`
	}
	return s
}

func defaultVersion() string {
	c := NewClusterConfig()
	SetDefaults(c)
	return c.Metadata.Version
}
