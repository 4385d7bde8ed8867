package eks

import "time"

// Fargate profile statuses, as EKS spells them.
const (
	FargateProfileCreating     = "CREATING"
	FargateProfileActive       = "ACTIVE"
	FargateProfileDeleting     = "DELETING"
	FargateProfileCreateFailed = "CREATE_FAILED"
	FargateProfileDeleteFailed = "DELETE_FAILED"
)

// FargatePodsService is the service principal a pod execution role must
// let sts:AssumeRole: Fargate's infrastructure acts as the role.
const FargatePodsService = "eks-fargate-pods.amazonaws.com"

// FargateProfile says which pods of a cluster run on Fargate (those a
// selector matches), in which subnets, and as which pod execution role.
// Profiles are immutable: only their status, health and tags change.
//
// Create stores a profile CREATING and Delete marks it DELETING; the
// Fargate reconciler moves CREATING on (SetFargateProfile) and removes a
// DELETING profile once its pods are gone (ForgetFargateProfile).
type FargateProfile struct {
	Name        string    `json:"name"`
	ARN         string    `json:"arn"` // …:fargateprofile/<cluster>/<name>/<uuid>
	ClusterName string    `json:"clusterName"`
	ClusterUID  string    `json:"clusterUid"`
	Region      string    `json:"region"`
	Account     string    `json:"account"`
	CreatedAt   time.Time `json:"createdAt"`
	// PodExecutionRoleARN is the role Fargate's nodes act as (and, in a
	// cluster with the access entry API, the principal of its
	// FARGATE_LINUX entry).
	PodExecutionRoleARN string `json:"podExecutionRoleArn"`
	// Subnets are where the profile's pods get their addresses: private
	// subnets of the cluster's VPC.
	Subnets   []string          `json:"subnets"`
	Selectors []FargateSelector `json:"selectors"`
	Status    string            `json:"status"`
	Tags      map[string]string `json:"tags,omitempty"`
	// Issues are the profile's health issues (codes PodExecutionRoleAlreadyInUse,
	// AccessDenied, ClusterUnreachable, InternalFailure).
	Issues             []Issue `json:"issues,omitempty"`
	ClientRequestToken string  `json:"clientRequestToken,omitempty"`
}

// FargateSelector matches the pods of a namespace that carry all of its
// labels. The namespace, label keys and label values may hold the
// wildcards "*" (any run of characters) and "?" (one character); they are
// stored as given.
type FargateSelector struct {
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels,omitempty"`
}

// FargateProfilePrefix is where Fargate profiles live in the store, keyed
// by their cluster's uid and their name (FargateProfileKey), for watchers
// that follow changes to them.
const FargateProfilePrefix = "eks/fargateprofiles/"

func fargateProfilePrefix(clusterUID string) string { return FargateProfilePrefix + clusterUID + "/" }

// FargateProfileKey is the store key of a cluster's profile.
func FargateProfileKey(clusterUID, name string) string {
	return fargateProfilePrefix(clusterUID) + name
}

// fargateLockKey is a cluster's Fargate lock: every profile create and
// delete of the cluster rewrites it in its transaction, so that two of
// them never commit on the same view of the cluster's profiles (EKS runs
// one profile operation at a time per cluster).
func fargateLockKey(clusterUID string) string { return "eks/fargatelocks/" + clusterUID }

// fargateLock counts the profile operations of a cluster; the count only
// makes each rewrite a change.
type fargateLock struct {
	Operations int64 `json:"operations"`
}
