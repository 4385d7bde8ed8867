package eks

import "time"

// Cluster statuses.
const (
	StatusCreating = "CREATING"
	StatusActive   = "ACTIVE"
	StatusUpdating = "UPDATING"
	StatusDeleting = "DELETING"
	StatusFailed   = "FAILED"
)

// Cluster is one EKS cluster: what the user asked for and what keks built.
type Cluster struct {
	Name               string      `json:"name"`
	ARN                string      `json:"arn"`
	ID                 string      `json:"id"`  // 32 upper-case hex digits, as in EKS endpoints
	UID                string      `json:"uid"` // keks's own key for the cluster's resources
	Region             string      `json:"region"`
	Account            string      `json:"account"`
	CreatedAt          time.Time   `json:"createdAt"`
	ClientRequestToken string      `json:"clientRequestToken,omitempty"`
	Generation         int64       `json:"generation"`
	DeletionRequested  bool        `json:"deletionRequested,omitempty"`
	Spec               ClusterSpec `json:"spec"`
	Status             Status      `json:"status"`
}

// ClusterSpec is the desired state of a cluster.
type ClusterSpec struct {
	Version               string          `json:"version"` // minor version, "1.37"
	RoleARN               string          `json:"roleArn"`
	VPCID                 string          `json:"vpcId"`
	SubnetIDs             []string        `json:"subnetIds"`
	SecurityGroupIDs      []string        `json:"securityGroupIds"`
	EndpointPublicAccess  bool            `json:"endpointPublicAccess"`
	EndpointPrivateAccess bool            `json:"endpointPrivateAccess"`
	PublicAccessCIDRs     []string        `json:"publicAccessCidrs"`
	ServiceIPv4CIDR       string          `json:"serviceIpv4Cidr"`
	IPFamily              string          `json:"ipFamily"`
	Logging               map[string]bool `json:"logging"`
	AuthenticationMode    string          `json:"authenticationMode"`
	BootstrapCreatorAdmin bool            `json:"bootstrapCreatorAdmin"`
	CreatorARN            string          `json:"creatorArn"`
	SupportType           string          `json:"supportType"`
	DeletionProtection    bool            `json:"deletionProtection"`
	// ScalingTier is controlPlaneScalingConfig.tier; empty is standard.
	ScalingTier      string             `json:"scalingTier,omitempty"`
	Tags             map[string]string  `json:"tags,omitempty"`
	EncryptionConfig []EncryptionConfig `json:"encryptionConfig,omitempty"`
	// OIDCIdentityProvider is the cluster's OIDC identity provider config
	// (EKS allows one): its API servers authenticate that issuer's ID tokens.
	OIDCIdentityProvider *OIDCIdentityProviderConfig `json:"oidcIdentityProvider,omitempty"`
}

// OIDCIdentityProviderConfig is an OIDC identity provider associated with a
// cluster, which becomes kube-apiserver's --oidc-* flags.
type OIDCIdentityProviderConfig struct {
	Name           string            `json:"name"`
	ARN            string            `json:"arn"`
	IssuerURL      string            `json:"issuerUrl"`
	ClientID       string            `json:"clientId"`
	UsernameClaim  string            `json:"usernameClaim,omitempty"`
	UsernamePrefix string            `json:"usernamePrefix,omitempty"`
	GroupsClaim    string            `json:"groupsClaim,omitempty"`
	GroupsPrefix   string            `json:"groupsPrefix,omitempty"`
	RequiredClaims map[string]string `json:"requiredClaims,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
	// Status is CREATING until the API servers run with it, then ACTIVE;
	// DELETING while they restart without it (it is then removed).
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"createdAt"`
}

// EncryptionConfig is envelope encryption of the cluster's Secrets with a
// KMS key (KeyARN: a key or alias ARN, as given): each API server asks a KMS
// v2 plugin beside it to encrypt its data keys with that key.
type EncryptionConfig struct {
	Resources []string `json:"resources"`
	KeyARN    string   `json:"keyArn"`
}

// Status is what the reconciler observed and built.
type Status struct {
	Phase                  string    `json:"phase"`
	Message                string    `json:"message,omitempty"`
	Issues                 []Issue   `json:"issues,omitempty"`
	Endpoint               string    `json:"endpoint,omitempty"`
	CertificateAuthority   string    `json:"certificateAuthority,omitempty"` // base64 PEM
	OIDCIssuer             string    `json:"oidcIssuer,omitempty"`
	PlatformVersion        string    `json:"platformVersion,omitempty"`
	RunningVersion         string    `json:"runningVersion,omitempty"` // patch version the control plane runs
	ClusterSecurityGroupID string    `json:"clusterSecurityGroupId,omitempty"`
	ObservedGeneration     int64     `json:"observedGeneration"`
	ActiveSince            time.Time `json:"activeSince,omitempty"`
}

// Issue is a cluster health issue in EKS's terms.
type Issue struct {
	Code        string   `json:"code"`
	Message     string   `json:"message"`
	ResourceIDs []string `json:"resourceIds,omitempty"`
}

// Update statuses and types.
const (
	UpdateInProgress = "InProgress"
	UpdateFailed     = "Failed"
	UpdateCancelled  = "Cancelled"
	UpdateSuccessful = "Successful"
)

// Update is one asynchronous change to a cluster.
type Update struct {
	ID          string        `json:"id"`
	ClusterUID  string        `json:"clusterUid"`
	ClusterName string        `json:"clusterName"`
	Nodegroup   string        `json:"nodegroup,omitempty"` // set for node group updates
	Addon       string        `json:"addon,omitempty"`     // set for add-on updates
	Type        string        `json:"type"`
	Status      string        `json:"status"`
	Params      []UpdateParam `json:"params"`
	CreatedAt   time.Time     `json:"createdAt"`
	Errors      []UpdateError `json:"errors"`
	// Generation is the cluster generation that completes this update.
	Generation int64 `json:"generation"`
}

// UpdateParam is a name and a string value, as EKS reports them.
type UpdateParam struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// UpdateError is why an update failed.
type UpdateError struct {
	ErrorCode    string   `json:"errorCode"`
	ErrorMessage string   `json:"errorMessage"`
	ResourceIDs  []string `json:"resourceIds,omitempty"`
}

// LogTypes are the control plane log types EKS can switch on.
var LogTypes = []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}
