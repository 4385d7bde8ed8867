// Package instance runs EC2-like instances on the host: each is a network
// namespace with an address in its subnet (a veth on the subnet's bridge),
// a cgroup sized by its instance type, and its own containerd and kubelet,
// which join a cluster as a node and run in a mount namespace that shows
// them a machine of the instance type (machine.go). It is the machine
// layer under node groups and self-managed nodes.
package instance
