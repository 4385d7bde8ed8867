// Package instance runs EC2-like instances on the host: each is a network
// namespace with an address in its subnet (a veth on the subnet's bridge),
// its own containerd, and a kubelet that joins a cluster as a node. It is the
// machine layer under node groups and self-managed nodes.
package instance
