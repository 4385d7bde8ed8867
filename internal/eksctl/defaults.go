package eksctl

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/kubeversions"
)

// eksctl's defaults.
const (
	DefaultNodeType       = "m5.large"
	DefaultNodeCount      = 2
	DefaultVolumeSize     = 80
	DefaultVolumeType     = "gp3"
	DefaultCIDR           = "192.168.0.0/16"
	DefaultAMIFamily      = "AmazonLinux2023"
	DefaultNATMode        = "Single"
	DefaultFargateProfile = "fp-default"
	// RecommendedZones is how many zones eksctl picks; in us-east-1, 2.
	RecommendedZones = 3
	MinRequiredZones = 2
)

func boolPtr(b bool) *bool { return &b }
func intPtr(i int) *int    { return &i }

func isEnabled(b *bool) bool { return b != nil && *b }

// NewClusterConfig is an empty ClusterConfig with eksctl's structure.
func NewClusterConfig() *ClusterConfig {
	return &ClusterConfig{
		APIVersion: APIVersion, Kind: Kind,
		VPC: &ClusterVPC{}, IAM: &ClusterIAM{},
	}
}

// SetDefaults fills what the config leaves out, as eksctl does before
// validation: version, network, endpoints, access, node groups.
func SetDefaults(cfg *ClusterConfig) {
	if cfg.Metadata.Version == "" || cfg.Metadata.Version == "auto" || cfg.Metadata.Version == "default" {
		cfg.Metadata.Version = kubeversions.Default
	}
	if cfg.Metadata.Version == "latest" {
		all := kubeversions.All()
		cfg.Metadata.Version = all[len(all)-1].Minor
	}
	if cfg.VPC == nil {
		cfg.VPC = &ClusterVPC{}
	}
	if cfg.VPC.CIDR == "" && !cfg.HasSubnetIDs() {
		cfg.VPC.CIDR = DefaultCIDR
	}
	if cfg.VPC.NAT == nil {
		cfg.VPC.NAT = &ClusterNAT{Gateway: DefaultNATMode}
	}
	if cfg.VPC.ClusterEndpoints == nil {
		cfg.VPC.ClusterEndpoints = &ClusterEndpoints{}
	}
	if cfg.VPC.ClusterEndpoints.PublicAccess == nil {
		cfg.VPC.ClusterEndpoints.PublicAccess = boolPtr(true)
	}
	if cfg.VPC.ClusterEndpoints.PrivateAccess == nil {
		cfg.VPC.ClusterEndpoints.PrivateAccess = boolPtr(false)
	}
	if cfg.VPC.ManageSharedNodeSG == nil {
		cfg.VPC.ManageSharedNodeSG = boolPtr(true)
	}
	if cfg.VPC.AutoAllocateIPv6 == nil {
		cfg.VPC.AutoAllocateIPv6 = boolPtr(false)
	}
	if cfg.IAM == nil {
		cfg.IAM = &ClusterIAM{}
	}
	if cfg.IAM.WithOIDC == nil {
		cfg.IAM.WithOIDC = boolPtr(false)
	}
	for _, sa := range cfg.IAM.ServiceAccounts {
		if sa.Metadata.Namespace == "" {
			sa.Metadata.Namespace = "default"
		}
	}
	if cfg.AccessConfig == nil {
		cfg.AccessConfig = &AccessConfig{}
	}
	if cfg.AccessConfig.AuthenticationMode == "" {
		cfg.AccessConfig.AuthenticationMode = "API_AND_CONFIG_MAP"
	}
	if cfg.KubernetesNetwork == nil {
		cfg.KubernetesNetwork = &KubernetesNetConfig{}
	}
	if cfg.KubernetesNetwork.IPFamily == "" {
		cfg.KubernetesNetwork.IPFamily = "IPv4"
	}
	if cfg.CloudWatch == nil {
		cfg.CloudWatch = &ClusterCloudWatch{}
	}
	if cfg.CloudWatch.ClusterLogging == nil {
		cfg.CloudWatch.ClusterLogging = &ClusterLogging{}
	}
	for _, ng := range cfg.ManagedNodeGroups {
		SetManagedNodeGroupDefaults(ng, cfg.Metadata.Name)
	}
}

// SetManagedNodeGroupDefaults fills a node group as eksctl does.
func SetManagedNodeGroupDefaults(ng *ManagedNodeGroup, cluster string) {
	if ng.Name == "" {
		ng.Name = RandomNodeGroupName()
	}
	if ng.AMIFamily == "" {
		ng.AMIFamily = DefaultAMIFamily
	}
	if ng.InstanceType == "" && len(ng.InstanceTypes) == 0 {
		ng.InstanceType = DefaultNodeType
	}
	// As eksctl: the desired size from the minimum when only that is
	// given, the bounds from the desired size when they are not.
	if ng.DesiredCapacity == nil {
		ng.DesiredCapacity = intPtr(DefaultNodeCount)
		if ng.MinSize != nil {
			ng.DesiredCapacity = intPtr(*ng.MinSize)
		}
	}
	if ng.MinSize == nil {
		ng.MinSize = intPtr(*ng.DesiredCapacity)
	}
	if ng.MaxSize == nil {
		ng.MaxSize = intPtr(max(*ng.DesiredCapacity, *ng.MinSize))
	}
	if ng.VolumeSize == nil {
		ng.VolumeSize = intPtr(DefaultVolumeSize)
	}
	if ng.VolumeType == "" {
		ng.VolumeType = DefaultVolumeType
	}
	if ng.Labels == nil {
		ng.Labels = map[string]string{}
	}
	ng.Labels[TagClusterName] = cluster
	ng.Labels[TagNodeGroupName] = ng.Name
	if ng.Tags == nil {
		ng.Tags = map[string]string{}
	}
	ng.Tags[TagNodeGroupName] = ng.Name
	ng.Tags[TagNodeGroupType] = "managed"
	if ng.SSH == nil {
		ng.SSH = &NodeGroupSSH{}
	}
	if ng.SSH.Allow == nil {
		ng.SSH.Allow = boolPtr(ng.SSH.PublicKeyPath != "" || ng.SSH.PublicKeyName != "" || ng.SSH.PublicKey != "")
	}
	if isEnabled(ng.SSH.Allow) && ng.SSH.PublicKeyPath == "" && ng.SSH.PublicKeyName == "" && ng.SSH.PublicKey == "" {
		ng.SSH.PublicKeyPath = "~/.ssh/id_rsa.pub"
	}
	if ng.IAM == nil {
		ng.IAM = &NodeGroupIAM{}
	}
	p := &ng.IAM.WithAddonPolicies
	for _, f := range []**bool{&p.ImageBuilder, &p.AutoScaler, &p.ExternalDNS, &p.CertManager, &p.AppMesh, &p.EBS, &p.FSX, &p.EFS, &p.AWSLoadBalancerController, &p.XRay, &p.CloudWatch} {
		if *f == nil {
			*f = boolPtr(false)
		}
	}
	// albIngress is the old name of awsLoadBalancerController.
	if isEnabled(p.ALBIngress) {
		p.AWSLoadBalancerController = boolPtr(true)
	}
	p.ALBIngress = nil
}

// DefaultFargateProfiles is what --fargate asks for: eksctl's fp-default.
func DefaultFargateProfiles() []*FargateProfile {
	return []*FargateProfile{{Name: DefaultFargateProfile, Selectors: []FargateProfileSelector{{Namespace: "default"}, {Namespace: "kube-system"}}}}
}

// HasSubnetIDs reports whether the config names existing subnets.
func (cfg *ClusterConfig) HasSubnetIDs() bool {
	if cfg.VPC == nil || cfg.VPC.Subnets == nil {
		return false
	}
	for _, m := range []map[string]Network{cfg.VPC.Subnets.Public, cfg.VPC.Subnets.Private} {
		for _, n := range m {
			if n.ID != "" {
				return true
			}
		}
	}
	return false
}

// OwnsVPC reports whether the cluster stack makes the VPC: once the
// network is prepared, a cluster on existing subnets knows their VPC.
func (cfg *ClusterConfig) OwnsVPC() bool { return cfg.VPC.ID == "" }

// SupportedVersions are the versions keks offers, oldest first.
func SupportedVersions() []string {
	var out []string
	for _, v := range kubeversions.All() {
		out = append(out, v.Minor)
	}
	return out
}

// ValidateVersion refuses a version keks does not offer, in eksctl's words.
func ValidateVersion(version string) error {
	if _, ok := kubeversions.Lookup(version); ok {
		return nil
	}
	supported := SupportedVersions()
	if _, _, err := kubeversions.ParseMinor(version); err == nil && kubeversions.Less(version, supported[0]) {
		return fmt.Errorf("invalid version, %s is no longer supported, supported values: %s\nsee also: https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html", version, strings.Join(supported, ", "))
	}
	return fmt.Errorf("invalid version %s, supported values: %s", version, strings.Join(supported, ", "))
}

// Validate checks a defaulted config as eksctl does before creating anything.
func Validate(cfg *ClusterConfig) error {
	if cfg.Metadata.Name == "" {
		return fmt.Errorf("metadata.name must be set")
	}
	if !validName(cfg.Metadata.Name) {
		return fmt.Errorf("validation for %s failed, name must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*", cfg.Metadata.Name)
	}
	if cfg.Metadata.Region == "" {
		return fmt.Errorf("metadata.region must be set")
	}
	if err := ValidateVersion(cfg.Metadata.Version); err != nil {
		return err
	}
	if len(cfg.NodeGroups) > 0 {
		return ErrUnmanagedNodeGroups
	}
	if cfg.VPC.CIDR != "" {
		_, n, err := net.ParseCIDR(cfg.VPC.CIDR)
		if err != nil {
			return fmt.Errorf("vpc.cidr %q: %w", cfg.VPC.CIDR, err)
		}
		if prefix, _ := n.Mask.Size(); prefix < 16 || prefix > 24 {
			return fmt.Errorf("VPC CIDR prefix must be between /16 and /24")
		}
	}
	switch cfg.VPC.NAT.Gateway {
	case "Single", "HighlyAvailable", "Disable":
	default:
		return fmt.Errorf("invalid NAT gateway mode %q, valid modes are HighlyAvailable, Single or Disable", cfg.VPC.NAT.Gateway)
	}
	switch cfg.AccessConfig.AuthenticationMode {
	case "CONFIG_MAP", "API", "API_AND_CONFIG_MAP":
	default:
		return fmt.Errorf("invalid value %q for accessConfig.authenticationMode, must be one of CONFIG_MAP, API, API_AND_CONFIG_MAP", cfg.AccessConfig.AuthenticationMode)
	}
	seen := map[string]bool{}
	for i, ng := range cfg.ManagedNodeGroups {
		if err := validateManagedNodeGroup(i, ng); err != nil {
			return err
		}
		if seen[ng.Name] {
			return fmt.Errorf("managedNodeGroups[%d].name %q is not unique", i, ng.Name)
		}
		seen[ng.Name] = true
	}
	for i, fp := range cfg.FargateProfiles {
		if fp.Name == "" {
			return fmt.Errorf("fargateProfiles[%d].name must be set", i)
		}
		if len(fp.Selectors) == 0 {
			return fmt.Errorf("invalid Fargate profile %q: no profile selector", fp.Name)
		}
		for _, s := range fp.Selectors {
			if s.Namespace == "" {
				return fmt.Errorf("invalid Fargate profile %q: empty namespace in selector", fp.Name)
			}
		}
	}
	for i, sa := range cfg.IAM.ServiceAccounts {
		if sa.Metadata.Name == "" {
			return fmt.Errorf("iam.serviceAccounts[%d].metadata.name must be set", i)
		}
		if !isEnabled(cfg.IAM.WithOIDC) {
			return fmt.Errorf("iam.withOIDC must be enabled explicitly for iam.serviceAccounts to be created")
		}
		if len(sa.AttachPolicyARNs) == 0 && sa.AttachPolicy == nil && sa.AttachRoleARN == "" && (sa.WellKnownPolicies == nil || *sa.WellKnownPolicies == WellKnownPolicies{}) {
			return fmt.Errorf("iam.serviceAccounts[%d]: attachPolicyARNs, attachPolicy, attachRoleARN or wellKnownPolicies must be set", i)
		}
	}
	for i, a := range cfg.Addons {
		if a.Name == "" {
			return fmt.Errorf("addons[%d].name must be set", i)
		}
	}
	if err := validateAccessEntries(cfg); err != nil {
		return err
	}
	if cfg.SecretsEncryption != nil && cfg.SecretsEncryption.KeyARN == "" {
		return fmt.Errorf("secretsEncryption.keyARN is required")
	}
	if lt := cfg.CloudWatch.ClusterLogging.EnableTypes; len(lt) > 0 {
		if _, err := LogTypes(lt); err != nil {
			return err
		}
	}
	return nil
}

// ErrUnmanagedNodeGroups is keks's refusal of self-managed node groups.
var ErrUnmanagedNodeGroups = fmt.Errorf("unmanaged node groups (nodeGroups, --managed=false) need EC2 Auto Scaling groups and launch templates, which keks does not offer; use managed node groups (managedNodeGroups, --managed)")

func validateManagedNodeGroup(i int, ng *ManagedNodeGroup) error {
	path := fmt.Sprintf("managedNodeGroups[%d]", i)
	if !validName(ng.Name) {
		return fmt.Errorf("%s.name %q must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*", path, ng.Name)
	}
	if *ng.MinSize < 0 || *ng.MaxSize < 1 {
		return fmt.Errorf("%s: minSize must be at least 0 and maxSize at least 1", path)
	}
	if *ng.DesiredCapacity > *ng.MaxSize {
		return fmt.Errorf("%s: cannot use --nodes=%d and --nodes-max=%d at the same time", path, *ng.DesiredCapacity, *ng.MaxSize)
	}
	if *ng.DesiredCapacity < *ng.MinSize {
		return fmt.Errorf("%s: cannot use --nodes=%d and --nodes-min=%d at the same time", path, *ng.DesiredCapacity, *ng.MinSize)
	}
	if *ng.MinSize > *ng.MaxSize {
		return fmt.Errorf("%s: minSize (%d) must be less than or equal to maxSize (%d)", path, *ng.MinSize, *ng.MaxSize)
	}
	if *ng.VolumeSize < 1 {
		return fmt.Errorf("%s.volumeSize must be positive", path)
	}
	if ng.InstanceType != "" && len(ng.InstanceTypes) > 0 {
		return fmt.Errorf("%s: instanceType and instanceTypes cannot be set at the same time", path)
	}
	for _, t := range ng.Taints {
		if !slices.Contains([]string{"NoSchedule", "PreferNoSchedule", "NoExecute"}, t.Effect) {
			return fmt.Errorf("%s: invalid taint effect: %q for taint %s", path, t.Effect, t.Key)
		}
	}
	if ng.AMIFamily != "AmazonLinux2023" && ng.AMIFamily != "AmazonLinux2" {
		return fmt.Errorf("%s.amiFamily %q: keks's managed nodes run AmazonLinux2023 or AmazonLinux2", path, ng.AMIFamily)
	}
	return nil
}

func validName(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') || len(s) > 100 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// LogTypes expands eksctl's log type names ("all", "*") to EKS's.
func LogTypes(enable []string) ([]string, error) {
	all := []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}
	var out []string
	for _, t := range enable {
		switch {
		case t == "all" || t == "*":
			return all, nil
		case slices.Contains(all, t):
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		default:
			return nil, fmt.Errorf("unknown log type %q, supported log types: all, *, %s", t, strings.Join(all, ", "))
		}
	}
	return out, nil
}
