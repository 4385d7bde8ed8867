package controlplane

import (
	"path/filepath"
)

// Placement is where a cluster's control plane runs: the addresses its
// members are reached at, and where each member finds the certificates and
// documents it is given. The flags and documents of a control plane are
// built from a Placement alone, so that a runtime other than the host's
// (members as pods: Service names, mount paths) can place them its own way.
type Placement interface {
	// EtcdMembers are the etcd members' addresses, member a first.
	EtcdMembers() []string
	// APIServers are the API server instances' addresses, instance a
	// first; the processes beside an API server share its address.
	APIServers() []string
	// Endpoint is the address of the cluster's endpoint: its API URL and a
	// name in the API servers' certificates.
	Endpoint() string
	// KeksSource is where keks's own clients of the cluster come from,
	// which the endpoint admits whatever the cluster's endpoint access.
	KeksSource() string
	// Network is the control-plane network (a CIDR): the sources the
	// endpoint's webhook listener admits.
	Network() string
	// Bind is the address a member at address listens on (host: that
	// address; a pod: every address of the pod).
	Bind(address string) string
	// Advertise is the address an API server at address announces as the
	// kubernetes Service's endpoint: where pods of the cluster reach it.
	Advertise(address string) string
	// EgressProxy is the URL of the proxy the API servers reach their
	// cluster's network through (empty: they reach it directly).
	EgressProxy() string
	// PeerSources are addresses, besides the members' own, that etcd
	// peers' connections may come from, which their certificates name.
	PeerSources() []string

	// PKI is the path of a certificate or key ("ca.crt").
	PKI(name string) string
	// Kubeconfig is the path of a kubeconfig, by its user ("scheduler-a").
	Kubeconfig(user string) string
	// File is the path of a document or a member's data ("endpoint.json",
	// "etcd-a/data").
	File(parts ...string) string
	// Log is where a member's log goes.
	Log(instance string) string
	// KMSSocket is where the KMS plugin beside API server suffix listens.
	KMSSocket(suffix string) string
}

// hostPlacement places a control plane on this host: its members on the
// cluster's bridge (cpNetwork), their files in its directory.
type hostPlacement struct {
	uid        string
	dir        clusterDir
	net        cpNetwork
	apiServers int
}

func newHostPlacement(dataDir, uid string, netIndex, apiServers int) hostPlacement {
	return hostPlacement{uid: uid, dir: clusterDir(filepath.Join(dataDir, uid)), net: newNetwork(netIndex), apiServers: apiServers}
}

func (p hostPlacement) EtcdMembers() []string { return etcdMembers(p.net) }
func (p hostPlacement) APIServers() []string  { return apiServerAddrs(p.net, p.apiServers) }
func (p hostPlacement) Endpoint() string      { return p.net.endpoint() }
func (p hostPlacement) KeksSource() string    { return p.net.keksSource() }
func (p hostPlacement) Network() string       { return p.net.prefix.String() }

// Bind and Advertise: a member listens on, and announces, its own address
// on the bridge.
func (p hostPlacement) Bind(address string) string      { return address }
func (p hostPlacement) Advertise(address string) string { return address }

// EgressProxy: the bridge routes to the VPCs' instances and pods.
func (p hostPlacement) EgressProxy() string { return "" }

// PeerSources: peers dial out from whichever address of the bridge the
// kernel picks (the bridge's own among them), or from loopback.
func (p hostPlacement) PeerSources() []string { return []string{p.net.addr(1), "127.0.0.1"} }

func (p hostPlacement) PKI(name string) string         { return p.dir.pki(name) }
func (p hostPlacement) Kubeconfig(user string) string  { return p.dir.kubeconfig(user) }
func (p hostPlacement) File(parts ...string) string    { return p.dir.path(parts...) }
func (p hostPlacement) Log(instance string) string     { return p.dir.log(instance) }
func (p hostPlacement) KMSSocket(suffix string) string { return kmsSocket(p.uid, suffix) }
