// Package autoscaling is the Auto Scaling model over managed node groups.
// On EKS each managed node group is backed by an Auto Scaling group
// (eks-<nodegroup>-<uuid>); here that group is a view of the node group:
// its sizes are the node group's scaling config, its instances are the EC2
// instances tagged with its name, its tags are the node group's tags plus
// the ones EKS puts on it. Nothing of a group is recorded twice, so a
// change through either API is what the other shows. Scaling activities
// are the one record of its own: the node group controller writes them as
// it launches and terminates instances, a bounded history per group.
package autoscaling
