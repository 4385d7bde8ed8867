package controlplane

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/kubeversions"
)

// Member is one process of a control plane as the controller describes
// it, whatever runs it: what it is (name, role, zone, address), which
// program it runs (a Kubernetes component of Version, or keks with a
// subcommand), with which flags and environment. A runtime turns it into a
// process (host) or a container.
type Member struct {
	plannedInstance
	Version   kubeversions.Version
	Component string   // a Kubernetes component's program ("etcd", "kube-apiserver"...), or keksComponent
	Command   []string // keks's subcommand ("lb", "authenticator", "kms-plugin")
	Flags     map[string]string
	Env       []string
	// ReloadDigest is set for a member that rereads its document on
	// SIGHUP (the endpoint): a digest of that document, so that a change
	// of it alone has the member reload (see reloadOnly) rather than restart.
	ReloadDigest string
}

// keksComponent is a member that runs keks's own binary.
const keksComponent = "keks"

// members are the control plane's members, as planFor lays them out.
func (c *Controller) members(pl Placement, cl *eks.Cluster, v kubeversions.Version, b *Bundle) []Member {
	var out []Member
	for _, p := range planFor(pl, cl) {
		out = append(out, c.member(pl, cl, v, p, b))
	}
	return out
}

func (c *Controller) member(pl Placement, cl *eks.Cluster, v kubeversions.Version, p plannedInstance, b *Bundle) Member {
	m := Member{plannedInstance: p, Version: v, Env: []string{"GOMAXPROCS=2"}}
	switch p.role {
	case RoleEtcd:
		m.Component, m.Flags = "etcd", etcdFlags(pl, cl, p)
		m.Env = append(m.Env, "GOGC=50")
	case RoleAPIServer:
		m.Component, m.Flags = "kube-apiserver", c.apiServerFlags(pl, cl, p)
		m.Env = append(m.Env, "GOGC=50")
	case RoleControllerManager:
		m.Component, m.Flags = "kube-controller-manager", controllerManagerFlags(pl, cl, p)
		m.Env = append(m.Env, "GOGC=50")
	case RoleScheduler:
		m.Component, m.Flags = "kube-scheduler", schedulerFlags(pl, p)
		m.Env = append(m.Env, "GOGC=50")

	case RoleEndpoint:
		m.Component, m.Command = keksComponent, []string{"lb"}
		m.Flags = map[string]string{"config": pl.File(endpointDoc)}
		// Its document changes with the endpoint's access (public CIDRs,
		// private access) and API servers: a change of that part alone has
		// the balancer reread it; a new binary restarts it.
		var doc []byte
		if b != nil {
			doc = b.Documents[endpointDoc].Data
		}
		sum := sha256.Sum256(doc)
		m.ReloadDigest = hex.EncodeToString(sum[:])[:8]
	case RoleAuthenticator:
		m.Component, m.Command = keksComponent, []string{"authenticator"}
		m.Flags = map[string]string{"config": pl.File(p.name + ".json")}
	case RoleKMSPlugin:
		m.Component, m.Command = keksComponent, []string{"kms-plugin"}
		m.Flags = map[string]string{"config": pl.File(p.name + ".json")}
	}
	addTierFlags(m.Flags, p.role, cl.Spec.Tier())
	return m
}

// reloadOnly reports whether an endpoint going from hash was to hash now
// differs only in its configuration file, which it rereads without a
// restart.
func reloadOnly(was, now string) bool {
	process, _, ok := strings.Cut(now, "/")
	wasProcess, _, wasOK := strings.Cut(was, "/")
	return ok && wasOK && process == wasProcess
}

// apiServerShutdownDelay is how long a stopping API server keeps serving
// while failing /readyz: long enough for the endpoint's next probe
// (endpointProbeInterval) to stop sending it new connections.
const apiServerShutdownDelay = 5 * time.Second

// keksProcess reports the roles that run the keks binary rather than a Kubernetes component.
func keksProcess(role string) bool {
	return role == RoleEndpoint || role == RoleAuthenticator || role == RoleKMSPlugin
}

// repeatFlag separates the values of a flag given once per value
// (--oidc-required-claim takes one key=value each time).
const repeatFlag = "\x00"

func sortedFlags(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		for _, v := range strings.Split(m[k], repeatFlag) {
			out = append(out, "--"+k+"="+v)
		}
	}
	return out
}

func etcdFlags(pl Placement, cl *eks.Cluster, p plannedInstance) map[string]string {
	var initial []string
	for _, ip := range pl.EtcdMembers() {
		initial = append(initial, fmt.Sprintf("%s=https://%s:2380", memberName(pl, ip), ip))
	}
	ip := p.address
	return map[string]string{
		"name":                        p.name,
		"data-dir":                    pl.File(p.name, "data"),
		"listen-client-urls":          "https://" + pl.Bind(ip) + ":2379",
		"advertise-client-urls":       "https://" + ip + ":2379",
		"listen-peer-urls":            "https://" + pl.Bind(ip) + ":2380",
		"initial-advertise-peer-urls": "https://" + ip + ":2380",
		"listen-metrics-urls":         "http://" + pl.Bind(ip) + ":2381",
		"initial-cluster":             strings.Join(initial, ","),
		"initial-cluster-state":       "new",
		"initial-cluster-token":       cl.UID,
		"cert-file":                   pl.PKI(p.name + ".crt"),
		"key-file":                    pl.PKI(p.name + ".key"),
		"trusted-ca-file":             pl.PKI("etcd-ca.crt"),
		"client-cert-auth":            "true",
		"peer-cert-file":              pl.PKI(p.name + ".crt"),
		"peer-key-file":               pl.PKI(p.name + ".key"),
		"peer-trusted-ca-file":        pl.PKI("etcd-ca.crt"),
		"peer-client-cert-auth":       "true",
		"snapshot-count":              "10000",
		// The members share one host, so round trips take microseconds:
		// heartbeats every 250 ms (etcd's default is 100 ms, for networks)
		// cost an idle member half as much CPU, and a lost leader is still
		// replaced within 2.5 s.
		"heartbeat-interval": "250",
		"election-timeout":   "2500",
		"log-level":          "warn",
		"logger":             "zap",
	}
}

func (c *Controller) apiServerFlags(pl Placement, cl *eks.Cluster, p plannedInstance) map[string]string {
	var etcd []string
	for _, ip := range pl.EtcdMembers() {
		etcd = append(etcd, "https://"+ip+":2379")
	}
	suffix := p.name[len(p.name)-1:]
	f := map[string]string{
		"advertise-address":                            pl.Advertise(p.address),
		"bind-address":                                 pl.Bind(p.address),
		"secure-port":                                  "443",
		"etcd-servers":                                 strings.Join(etcd, ","),
		"etcd-cafile":                                  pl.PKI("etcd-ca.crt"),
		"etcd-certfile":                                pl.PKI("apiserver-etcd-client.crt"),
		"etcd-keyfile":                                 pl.PKI("apiserver-etcd-client.key"),
		"client-ca-file":                               pl.PKI("ca.crt"),
		"tls-cert-file":                                pl.PKI("apiserver-" + suffix + ".crt"),
		"tls-private-key-file":                         pl.PKI("apiserver-" + suffix + ".key"),
		"kubelet-client-certificate":                   pl.PKI("apiserver-kubelet-client.crt"),
		"kubelet-client-key":                           pl.PKI("apiserver-kubelet-client.key"),
		"kubelet-preferred-address-types":              "InternalIP,InternalDNS,Hostname,ExternalIP",
		"service-account-issuer":                       cl.Status.OIDCIssuer,
		"service-account-jwks-uri":                     cl.Status.OIDCIssuer + "/keys",
		"service-account-key-file":                     pl.PKI("sa.pub"),
		"service-account-signing-key-file":             pl.PKI("sa.key"),
		"api-audiences":                                "https://kubernetes.default.svc," + cl.Status.OIDCIssuer,
		"service-cluster-ip-range":                     cl.Spec.ServiceIPv4CIDR,
		"authorization-mode":                           "Node,RBAC,Webhook",
		"authorization-webhook-config-file":            pl.Kubeconfig("authorize-webhook-" + suffix),
		"authorization-webhook-version":                "v1",
		"authorization-webhook-cache-authorized-ttl":   "10s",
		"authorization-webhook-cache-unauthorized-ttl": "5s",
		"enable-admission-plugins":                     "NodeRestriction,ExtendedResourceToleration",
		// Webhooks, CRD conversion and aggregated APIs are reached at their
		// Services' endpoints, the pods' own addresses, which the host routes
		// to as EKS's control plane reaches pods through its ENIs in the VPC:
		// no kube-proxy runs beside the API servers to answer Service IPs.
		"enable-aggregator-routing":                "true",
		"allow-privileged":                         "true",
		"authentication-token-webhook-config-file": pl.Kubeconfig("authenticate-webhook-" + suffix),
		"authentication-token-webhook-version":     "v1",
		"requestheader-client-ca-file":             pl.PKI("front-proxy-ca.crt"),
		"requestheader-allowed-names":              "front-proxy-client",
		"requestheader-extra-headers-prefix":       "X-Remote-Extra-",
		"requestheader-group-headers":              "X-Remote-Group",
		"requestheader-username-headers":           "X-Remote-User",
		"proxy-client-cert-file":                   pl.PKI("front-proxy-client.crt"),
		"proxy-client-key-file":                    pl.PKI("front-proxy-client.key"),
		"shutdown-delay-duration":                  apiServerShutdownDelay.String(),
		"profiling":                                "false",
		"endpoint-reconciler-type":                 "lease",
		"enable-bootstrap-token-auth":              "true",
	}
	if cl.Spec.Logging["audit"] {
		f["audit-policy-file"] = pl.File("audit-policy.yaml")
		f["audit-log-path"] = pl.File("logs", "audit-"+suffix+".log")
		f["audit-log-maxsize"] = "100"
		f["audit-log-maxbackup"] = "2"
	}
	if pl.EgressProxy() != "" {
		f["egress-selector-config-file"] = pl.File(egressSelectorDoc)
	}
	addEncryptionFlags(f, pl, cl, suffix)
	addOIDCFlags(f, pl, cl)
	return f
}

func controllerManagerFlags(pl Placement, cl *eks.Cluster, p plannedInstance) map[string]string {
	kc := pl.Kubeconfig("controller-manager-" + p.name[len(p.name)-1:])
	return withLeaderElection(map[string]string{
		"kubeconfig":                       kc,
		"authentication-kubeconfig":        kc,
		"authorization-kubeconfig":         kc,
		"bind-address":                     pl.Bind(p.address),
		"secure-port":                      "10257",
		"leader-elect":                     "true",
		"cluster-name":                     cl.Name,
		"cluster-signing-cert-file":        pl.PKI("ca.crt"),
		"cluster-signing-key-file":         pl.PKI("ca.key"),
		"root-ca-file":                     pl.PKI("ca.crt"),
		"service-account-private-key-file": pl.PKI("sa.key"),
		"use-service-account-credentials":  "true",
		"service-cluster-ip-range":         cl.Spec.ServiceIPv4CIDR,
		"controllers":                      "*,bootstrapsigner,tokencleaner",
		"requestheader-client-ca-file":     pl.PKI("front-proxy-ca.crt"),
		"client-ca-file":                   pl.PKI("ca.crt"),
		"profiling":                        "false",
	})
}

func schedulerFlags(pl Placement, p plannedInstance) map[string]string {
	kc := pl.Kubeconfig("scheduler-" + p.name[len(p.name)-1:])
	return withLeaderElection(map[string]string{
		"kubeconfig":                kc,
		"authentication-kubeconfig": kc,
		"authorization-kubeconfig":  kc,
		"bind-address":              pl.Bind(p.address),
		"secure-port":               "10259",
		"leader-elect":              "true",
		"profiling":                 "false",
	})
}

// withLeaderElection adds the leader election timing of the controller
// manager and the scheduler. Upstream's defaults (renew every 2 s, 15 s
// lease) cost an idle cluster a lease write per component every 2 s and a
// read by each standby as often: most of what its API servers and etcd do.
// Every 5 s with a 30 s lease cuts that by 60 %; a leader that dies without
// releasing its lease is replaced within 30 s instead of 15 s.
func withLeaderElection(flags map[string]string) map[string]string {
	flags["leader-elect-lease-duration"] = "30s"
	flags["leader-elect-renew-deadline"] = "20s"
	flags["leader-elect-retry-period"] = "5s"
	return flags
}

// binaryStamp identifies a build of an executable by its size and time.
func binaryStamp(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%d-%d", st.Size(), st.ModTime().UnixNano())
}
