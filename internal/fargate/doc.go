// Package fargate holds the pure rules of EKS Fargate that keks
// reproduces: which profile a pod matches, what the mutating webhook
// changes, whether the fargate-scheduler accepts a pod, what size it
// provisions, how it names the node, and how it reads the aws-logging
// ConfigMap. Nothing here does I/O; the webhook and the scheduler call it.
//
// The main sources are the EKS user guide (awsdocs/amazon-eks-user-guide,
// latest/ug/nodes/fargate*.adoc) and messages users quoted from real
// clusters in GitHub issues; each rule names its source where it is not
// obvious, and says so where keks had to choose.
package fargate
