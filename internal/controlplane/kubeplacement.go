package controlplane

import (
	"fmt"
	"path"
	"strings"
)

// Where a member pod of the kubernetes runtime finds its inputs: the
// control plane's documents from its Secret at kubeDocs (each under its
// bundle name), an etcd member's data on its volume, logs on a scratch
// volume, the KMS plugin's socket on one the API server shares.
const (
	kubeDocs    = "/etc/keks"
	kubeEtcdDir = "/var/lib/etcd"
	kubeLogs    = "/var/log/keks"
	kubeRun     = "/run/keks"
)

// kubePlacement places a control plane in a namespace of the management
// cluster: etcd members as pods of a headless Service, reached by their DNS
// names; each API server pod's components beside one another on loopback;
// the endpoint a LoadBalancer Service's address, which every API server
// announces (the kubernetes Service of the cluster leads there).
type kubePlacement struct {
	namespace string
	endpoint  string // the endpoint Service's load-balancer address; empty until it has one
	egress    string // keks's egress proxy, through which the API servers reach the VPC
	// apiServers is how many API server pods the layout has.
	apiServers int
}

// etcdService is the headless Service that names the etcd members.
const etcdService = "etcd"

func (p kubePlacement) EtcdMembers() []string {
	out := make([]string, etcdCount)
	for i := range out {
		// The StatefulSet of member etcd-a is etcd-a, whose only pod is etcd-a-0.
		out[i] = fmt.Sprintf("etcd-%c-0.%s.%s.svc.cluster.local", 'a'+i, etcdService, p.namespace)
	}
	return out
}

// APIServers: each API server pod's components reach their API server,
// and it its authenticator, on the pod's loopback.
func (p kubePlacement) APIServers() []string {
	out := make([]string, max(p.apiServers, apiServerCount))
	for i := range out {
		out[i] = "127.0.0.1"
	}
	return out
}

func (p kubePlacement) Endpoint() string { return p.endpoint }

// KeksSource: keks reaches the cluster through its endpoint from wherever
// it runs; no address of its own is reserved.
func (p kubePlacement) KeksSource() string { return "" }

// Network: the API servers reach the webhooks through the endpoint from
// the management cluster's pod network, whatever it is.
func (p kubePlacement) Network() string { return "0.0.0.0/0" }

func (p kubePlacement) EgressProxy() string     { return p.egress }
func (p kubePlacement) Bind(string) string      { return "0.0.0.0" }
func (p kubePlacement) Advertise(string) string { return p.endpoint }

// PeerSources: a peer dials from its pod's address, which its name resolves to.
func (p kubePlacement) PeerSources() []string { return nil }

func (p kubePlacement) PKI(name string) string { return path.Join(kubeDocs, pkiDoc(name)) }
func (p kubePlacement) Kubeconfig(user string) string {
	return path.Join(kubeDocs, kubeconfigDoc(user))
}

// File: a member's data ("etcd-a", "data") is on its own volume; logs
// ("logs", ...) on the pod's scratch volume; documents where the Secret is.
func (p kubePlacement) File(parts ...string) string {
	switch {
	case len(parts) == 2 && parts[1] == "data" && strings.HasPrefix(parts[0], "etcd-"):
		return path.Join(kubeEtcdDir, "data")
	case len(parts) == 2 && parts[0] == "logs" && strings.HasPrefix(parts[1], "audit-"):
		return "-" // the API server's output, which keks mirrors (logMirror)
	case len(parts) > 0 && parts[0] == "logs":
		return path.Join(append([]string{kubeLogs}, parts[1:]...)...)
	}
	return path.Join(append([]string{kubeDocs}, parts...)...)
}

func (p kubePlacement) Log(instance string) string { return path.Join(kubeLogs, instance+".log") }
func (p kubePlacement) KMSSocket(string) string    { return path.Join(kubeRun, "kms.sock") }
