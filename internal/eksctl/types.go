// Package eksctl is keks's eksctl: the ClusterConfig of eksctl.io/v1alpha5,
// its defaults, the CloudFormation templates eksctl builds for a cluster and
// its node groups, and the task plan that deploys them through keks's own
// AWS APIs (CloudFormation, EKS, EC2, IAM) as eksctl does through AWS's.
package eksctl

// APIVersion and Kind are what a ClusterConfig file must declare.
const (
	APIVersion = "eksctl.io/v1alpha5"
	Kind       = "ClusterConfig"
)

// ClusterConfig is eksctl's cluster description (the subset keks serves);
// field names and JSON tags are eksctl's so its files decode unchanged.
type ClusterConfig struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Metadata   ClusterMeta `json:"metadata"`

	AvailabilityZones []string `json:"availabilityZones,omitempty"`

	VPC               *ClusterVPC          `json:"vpc,omitempty"`
	IAM               *ClusterIAM          `json:"iam,omitempty"`
	AccessConfig      *AccessConfig        `json:"accessConfig,omitempty"`
	ManagedNodeGroups []*ManagedNodeGroup  `json:"managedNodeGroups,omitempty"`
	NodeGroups        []map[string]any     `json:"nodeGroups,omitempty"`
	FargateProfiles   []*FargateProfile    `json:"fargateProfiles,omitempty"`
	Addons            []*Addon             `json:"addons,omitempty"`
	CloudWatch        *ClusterCloudWatch   `json:"cloudWatch,omitempty"`
	SecretsEncryption *SecretsEncryption   `json:"secretsEncryption,omitempty"`
	KubernetesNetwork *KubernetesNetConfig `json:"kubernetesNetworkConfig,omitempty"`
}

// ClusterMeta names the cluster.
type ClusterMeta struct {
	Name    string            `json:"name"`
	Region  string            `json:"region"`
	Version string            `json:"version,omitempty"`
	Tags    map[string]string `json:"tags,omitempty"`
}

// KubernetesNetConfig is the cluster's service network.
type KubernetesNetConfig struct {
	IPFamily        string `json:"ipFamily,omitempty"`
	ServiceIPv4CIDR string `json:"serviceIPv4CIDR,omitempty"`
}

// ClusterVPC is the cluster's network: made by the cluster stack when it
// names no subnets, else the subnets given.
type ClusterVPC struct {
	ID                   string            `json:"id,omitempty"`
	CIDR                 string            `json:"cidr,omitempty"`
	SecurityGroup        string            `json:"securityGroup,omitempty"`
	Subnets              *ClusterSubnets   `json:"subnets,omitempty"`
	NAT                  *ClusterNAT       `json:"nat,omitempty"`
	ClusterEndpoints     *ClusterEndpoints `json:"clusterEndpoints,omitempty"`
	ManageSharedNodeSG   *bool             `json:"manageSharedNodeSecurityGroupRules,omitempty"`
	PublicAccessCIDRs    []string          `json:"publicAccessCIDRs,omitempty"`
	AutoAllocateIPv6     *bool             `json:"autoAllocateIPv6,omitempty"`
	SharedNodeSG         string            `json:"sharedNodeSecurityGroup,omitempty"`
	ExtraCIDRs           []string          `json:"extraCIDRs,omitempty"`
	HostnameType         string            `json:"hostnameType,omitempty"`
	IPv6Pool             string            `json:"ipv6Pool,omitempty"`
	IPv6Cidr             string            `json:"ipv6Cidr,omitempty"`
	ExtraIPv6CIDRs       []string          `json:"extraIPv6CIDRs,omitempty"`
	ControlPlaneSubnetID []string          `json:"controlPlaneSubnetIDs,omitempty"`
	ControlPlaneSGIDs    []string          `json:"controlPlaneSecurityGroupIDs,omitempty"`
}

// ClusterSubnets are subnets by name (eksctl keys them by zone).
type ClusterSubnets struct {
	Private map[string]Network `json:"private,omitempty"`
	Public  map[string]Network `json:"public,omitempty"`
}

// Network is one subnet: an existing one by id, or one to make by CIDR.
type Network struct {
	ID   string `json:"id,omitempty"`
	CIDR string `json:"cidr,omitempty"`
	AZ   string `json:"az,omitempty"`
}

// ClusterNAT is the NAT gateway mode: Single (eksctl's default), HighlyAvailable or Disable.
type ClusterNAT struct {
	Gateway string `json:"gateway,omitempty"`
}

// ClusterEndpoints is the API endpoint's access.
type ClusterEndpoints struct {
	PrivateAccess *bool `json:"privateAccess,omitempty"`
	PublicAccess  *bool `json:"publicAccess,omitempty"`
}

// ClusterIAM is the cluster's IAM: OIDC and IRSA service accounts.
type ClusterIAM struct {
	ServiceRoleARN             string                   `json:"serviceRoleARN,omitempty"`
	WithOIDC                   *bool                    `json:"withOIDC,omitempty"`
	ServiceAccounts            []*ClusterIAMServiceAcct `json:"serviceAccounts,omitempty"`
	FargatePodExecutionRoleARN string                   `json:"fargatePodExecutionRoleARN,omitempty"`
}

// ClusterIAMServiceAcct is an IAM role for a Kubernetes service account.
type ClusterIAMServiceAcct struct {
	Metadata          ObjectMeta         `json:"metadata"`
	AttachPolicyARNs  []string           `json:"attachPolicyARNs,omitempty"`
	AttachPolicy      map[string]any     `json:"attachPolicy,omitempty"`
	AttachRoleARN     string             `json:"attachRoleARN,omitempty"`
	RoleName          string             `json:"roleName,omitempty"`
	RoleOnly          *bool              `json:"roleOnly,omitempty"`
	WellKnownPolicies *WellKnownPolicies `json:"wellKnownPolicies,omitempty"`
	Tags              map[string]string  `json:"tags,omitempty"`
}

// ObjectMeta is a Kubernetes object's name, namespace and labels.
type ObjectMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// WellKnownPolicies are eksctl's canned policies for common controllers.
type WellKnownPolicies struct {
	ImageBuilder              bool `json:"imageBuilder,omitempty"`
	AutoScaler                bool `json:"autoScaler,omitempty"`
	AWSLoadBalancerController bool `json:"awsLoadBalancerController,omitempty"`
	ExternalDNS               bool `json:"externalDNS,omitempty"`
	CertManager               bool `json:"certManager,omitempty"`
	EBSCSIController          bool `json:"ebsCSIController,omitempty"`
	EFSCSIController          bool `json:"efsCSIController,omitempty"`
}

// AccessConfig is the cluster's authentication mode and access entries.
type AccessConfig struct {
	AuthenticationMode                      string        `json:"authenticationMode,omitempty"`
	BootstrapClusterCreatorAdminPermissions *bool         `json:"bootstrapClusterCreatorAdminPermissions,omitempty"`
	AccessEntries                           []AccessEntry `json:"accessEntries,omitempty"`
}

// AccessEntry grants an IAM principal access to the cluster.
type AccessEntry struct {
	PrincipalARN       string         `json:"principalARN"`
	Type               string         `json:"type,omitempty"`
	KubernetesGroups   []string       `json:"kubernetesGroups,omitempty"`
	KubernetesUsername string         `json:"kubernetesUsername,omitempty"`
	AccessPolicies     []AccessPolicy `json:"accessPolicies,omitempty"`
}

// AccessPolicy is an EKS access policy and its scope.
type AccessPolicy struct {
	PolicyARN   string      `json:"policyARN"`
	AccessScope AccessScope `json:"accessScope"`
}

// AccessScope is cluster-wide or namespaced.
type AccessScope struct {
	Type       string   `json:"type"`
	Namespaces []string `json:"namespaces,omitempty"`
}

// ManagedNodeGroup is an EKS managed node group.
type ManagedNodeGroup struct {
	Name              string            `json:"name"`
	AMIFamily         string            `json:"amiFamily,omitempty"`
	InstanceType      string            `json:"instanceType,omitempty"`
	InstanceTypes     []string          `json:"instanceTypes,omitempty"`
	AvailabilityZones []string          `json:"availabilityZones,omitempty"`
	Subnets           []string          `json:"subnets,omitempty"`
	DesiredCapacity   *int              `json:"desiredCapacity,omitempty"`
	MinSize           *int              `json:"minSize,omitempty"`
	MaxSize           *int              `json:"maxSize,omitempty"`
	VolumeSize        *int              `json:"volumeSize,omitempty"`
	VolumeType        string            `json:"volumeType,omitempty"`
	Labels            map[string]string `json:"labels,omitempty"`
	Taints            []NodeGroupTaint  `json:"taints,omitempty"`
	Tags              map[string]string `json:"tags,omitempty"`
	SSH               *NodeGroupSSH     `json:"ssh,omitempty"`
	IAM               *NodeGroupIAM     `json:"iam,omitempty"`
	PrivateNetworking bool              `json:"privateNetworking,omitempty"`
	Spot              bool              `json:"spot,omitempty"`
	ReleaseVersion    string            `json:"releaseVersion,omitempty"`
}

// NodeGroupTaint is a taint EKS puts on the group's nodes.
type NodeGroupTaint struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Effect string `json:"effect"`
}

// NodeGroupSSH is SSH access to the group's nodes.
type NodeGroupSSH struct {
	Allow                  *bool    `json:"allow,omitempty"`
	PublicKeyPath          string   `json:"publicKeyPath,omitempty"`
	PublicKey              string   `json:"publicKey,omitempty"`
	PublicKeyName          string   `json:"publicKeyName,omitempty"`
	SourceSecurityGroupIDs []string `json:"sourceSecurityGroupIds,omitempty"`
}

// NodeGroupIAM is the node role's policies.
type NodeGroupIAM struct {
	AttachPolicyARNs  []string                  `json:"attachPolicyARNs,omitempty"`
	InstanceRoleARN   string                    `json:"instanceRoleARN,omitempty"`
	InstanceRoleName  string                    `json:"instanceRoleName,omitempty"`
	WithAddonPolicies NodeGroupIAMAddonPolicies `json:"withAddonPolicies,omitempty"`
}

// NodeGroupIAMAddonPolicies are eksctl's canned inline policies on the node role.
type NodeGroupIAMAddonPolicies struct {
	ImageBuilder              *bool `json:"imageBuilder,omitempty"`
	AutoScaler                *bool `json:"autoScaler,omitempty"`
	ExternalDNS               *bool `json:"externalDNS,omitempty"`
	CertManager               *bool `json:"certManager,omitempty"`
	AppMesh                   *bool `json:"appMesh,omitempty"`
	EBS                       *bool `json:"ebs,omitempty"`
	FSX                       *bool `json:"fsx,omitempty"`
	EFS                       *bool `json:"efs,omitempty"`
	AWSLoadBalancerController *bool `json:"awsLoadBalancerController,omitempty"`
	ALBIngress                *bool `json:"albIngress,omitempty"`
	XRay                      *bool `json:"xRay,omitempty"`
	CloudWatch                *bool `json:"cloudWatch,omitempty"`
}

// FargateProfile selects pods to run on Fargate.
type FargateProfile struct {
	Name                string                   `json:"name"`
	PodExecutionRoleARN string                   `json:"podExecutionRoleARN,omitempty"`
	Selectors           []FargateProfileSelector `json:"selectors,omitempty"`
	Subnets             []string                 `json:"subnets,omitempty"`
	Tags                map[string]string        `json:"tags,omitempty"`
}

// FargateProfileSelector is a namespace and optional labels.
type FargateProfileSelector struct {
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels,omitempty"`
}

// Addon is an EKS add-on.
type Addon struct {
	Name                  string            `json:"name"`
	Version               string            `json:"version,omitempty"`
	ServiceAccountRoleARN string            `json:"serviceAccountRoleARN,omitempty"`
	AttachPolicyARNs      []string          `json:"attachPolicyARNs,omitempty"`
	AttachPolicy          map[string]any    `json:"attachPolicy,omitempty"`
	ConfigurationValues   string            `json:"configurationValues,omitempty"`
	ResolveConflicts      string            `json:"resolveConflicts,omitempty"`
	Tags                  map[string]string `json:"tags,omitempty"`
}

// ClusterCloudWatch is the control plane's logging.
type ClusterCloudWatch struct {
	ClusterLogging *ClusterLogging `json:"clusterLogging,omitempty"`
}

// ClusterLogging lists the log types to enable ("*" or "all" for every one).
type ClusterLogging struct {
	EnableTypes        []string `json:"enableTypes,omitempty"`
	LogRetentionInDays int      `json:"logRetentionInDays,omitempty"`
}

// SecretsEncryption is the KMS key that wraps Secrets.
type SecretsEncryption struct {
	KeyARN string `json:"keyARN"`
}
