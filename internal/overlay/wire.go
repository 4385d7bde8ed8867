package overlay

// The plan of a host's network as it goes to an agent, in its assignments
// (agents.Assignments.Network).

// HostNetwork is what a host makes of the layer-2 segments that join
// each subnet's bridges across hosts, and the routes to pods on others.
type HostNetwork struct {
	// Local is the host's own underlay address, the VXLAN devices' source.
	Local   string         `json:"local"`
	Subnets []JoinedSubnet `json:"subnets,omitempty"`
	// PodRoutes are the pod ranges of every active node of the joined
	// subnets' VPCs on other hosts.
	PodRoutes []PodRoute `json:"podRoutes,omitempty"`
	// KeksRanges are keks's control-plane networks (its API servers,
	// etcd, endpoints), which an agent host routes via KeksVia, keks's
	// underlay address, and does not masquerade: an API server reaches a
	// kubelet on the host through its subnet's segment, and the kubelet's
	// answer must come back from the kubelet's own address.
	KeksRanges []string `json:"keksRanges,omitempty"`
	KeksVia    string   `json:"keksVia,omitempty"`
}

// JoinedSubnet is one subnet whose segment the host joins.
type JoinedSubnet struct {
	ID     string `json:"id"`
	Bridge string `json:"bridge"` // as AssignedInstance.Bridge
	CIDR   string `json:"cidr"`
	// Gateway is the subnet's gateway address with the subnet's length,
	// which every joined host's bridge carries (an anycast gateway).
	Gateway string `json:"gateway"`
	VNI     int    `json:"vni"`
	// Peers are the underlay addresses of the other hosts that join it.
	Peers []string `json:"peers,omitempty"`
}

// PodRoute is a node on another host: its pods' range is routed via its
// address on its subnet's bridge, which reaches it through Peer's tunnel.
type PodRoute struct {
	PodCIDR string `json:"podCIDR"`
	Via     string `json:"via"` // the node's address
	Bridge  string `json:"bridge"`
	// Peer is the underlay address of the node's host.
	Peer string `json:"peer"`
}
