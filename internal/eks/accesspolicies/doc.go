// Package accesspolicies holds the EKS cluster access policies: what EKS's
// ListAccessPolicies returns and the Kubernetes RBAC rules each policy grants
// to the access entries it is associated with.
//
// The data lives in data/<Name>.json, one file per policy, embedded into the
// binary and decoded once on first use. Each file's "source" field names the
// page its rules come from:
//
//   - the AmazonEKS* policies: the rule tables of the Amazon EKS User Guide's
//     "Review access policy permissions" page
//     (docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html,
//     whose source is kept in github.com/awsdocs/amazon-eks-user-guide);
//   - AmazonARCRegionSwitchScalingPolicy: the "Region switch EKS access
//     policy" table of the Amazon Application Recovery Controller guide.
//
// Each table row is one rule; an empty API group cell is the core group "".
// EKS lists more policies than these (the Auto Mode, capability, EMR,
// SageMaker HyperPod and other service policies); they are left out until
// their rules are published, rather than guessed.
//
// All returns the policies in the order ListAccessPolicies does: sorted by
// name, byte by byte.
package accesspolicies
