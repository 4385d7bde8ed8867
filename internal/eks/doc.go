// Package eks is the EKS model: clusters and their updates, with the rules
// EKS enforces. Operations record desired state in the store; the
// controlplane reconciler makes it real and reports status back here.
package eks
