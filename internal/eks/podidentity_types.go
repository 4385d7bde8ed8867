package eks

import "time"

// PodIdentityAssociation gives the pods of one service account of one
// cluster the credentials of an IAM role, through the Pod Identity agent
// and EKS Auth's AssumeRoleForPodIdentity.
type PodIdentityAssociation struct {
	AssociationID  string `json:"associationId"` // a-<17 lowercase alphanumerics>
	AssociationARN string `json:"associationArn"`
	ClusterName    string `json:"clusterName"`
	ClusterUID     string `json:"clusterUid"`
	Region         string `json:"region"`
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
	RoleARN        string `json:"roleArn"`
	// TargetRoleARN, when set, is a role (possibly of another account) that
	// EKS assumes with RoleARN's session, and whose credentials pods get.
	TargetRoleARN string `json:"targetRoleArn,omitempty"`
	// ExternalID is what EKS passes as the external ID when it assumes
	// TargetRoleARN; it is set when TargetRoleARN is.
	ExternalID string `json:"externalId,omitempty"`
	// DisableSessionTags leaves out the session tags EKS otherwise sets.
	DisableSessionTags bool `json:"disableSessionTags,omitempty"`
	// Policy is a session policy that further limits the pods' permissions.
	Policy string `json:"policy,omitempty"`
	// OwnerARN is the add-on that made the association, if one did.
	OwnerARN           string            `json:"ownerArn,omitempty"`
	Tags               map[string]string `json:"tags,omitempty"`
	CreatedAt          time.Time         `json:"createdAt"`
	ModifiedAt         time.Time         `json:"modifiedAt"`
	ClientRequestToken string            `json:"clientRequestToken,omitempty"`
}
