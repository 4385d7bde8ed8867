package controlplane

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/keksdev/keks/internal/authn"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/lb"
	"github.com/keksdev/keks/internal/pki"
)

// clusterDir holds everything on disk of one cluster.
type clusterDir string

func (d clusterDir) pki(name string) string { return filepath.Join(string(d), "pki", name) }
func (d clusterDir) path(parts ...string) string {
	return filepath.Join(append([]string{string(d)}, parts...)...)
}
func (d clusterDir) log(instance string) string    { return d.path("logs", instance+".log") }
func (d clusterDir) kubeconfig(user string) string { return d.path("kubeconfig", user+".kubeconfig") }

// bundle makes every certificate request, key, kubeconfig and config
// document the control plane needs. published reads back what the runtime
// published before (the identity snapshot's aws-auth mappings and the KMS
// plugins' role session are carried on from it).
func (c *Controller) bundle(pl Placement, cl *eks.Cluster, sec *Secrets, published Published) (*Bundle, error) {
	ca, err := pki.LoadCA(sec.CACert, sec.CAKey)
	if err != nil {
		return nil, err
	}
	etcdCA, err := pki.LoadCA(sec.EtcdCACert, sec.EtcdCAKey)
	if err != nil {
		return nil, err
	}
	fpCA, err := pki.LoadCA(sec.FrontProxyCert, sec.FrontProxyKey)
	if err != nil {
		return nil, err
	}
	saPub, err := pki.PublicPEM(sec.ServiceAcctKey)
	if err != nil {
		return nil, err
	}
	b := newBundle()
	for name, data := range map[string][]byte{
		"ca.crt": sec.CACert, "ca.key": sec.CAKey, "etcd-ca.crt": sec.EtcdCACert, "front-proxy-ca.crt": sec.FrontProxyCert,
		"sa.key": sec.ServiceAcctKey, "sa.pub": saPub,
	} {
		b.add(pkiDoc(name), data, 0o600)
	}
	// Peers dial out from whichever address of the bridge the kernel picks, and
	// etcd checks a peer's source address against its certificate, so every
	// member's certificate names every address of the control-plane network.
	// Members placed by name (pods behind a headless Service) are named in
	// every certificate by that name, which etcd resolves to check a peer.
	var memberIPs []net.IP
	var memberNames []string
	for _, addr := range append(pl.PeerSources(), pl.EtcdMembers()...) {
		if ip := net.ParseIP(addr); ip != nil {
			memberIPs = append(memberIPs, ip)
		} else {
			memberNames = append(memberNames, addr)
		}
	}
	for _, ip := range pl.EtcdMembers() {
		name := memberName(pl, ip)
		b.issue(etcdCA, name, pki.Leaf{CommonName: name, DNSNames: append([]string{name, "localhost"}, memberNames...), IPs: memberIPs, Server: true, Client: true})
	}
	b.issue(etcdCA, "apiserver-etcd-client", pki.Leaf{CommonName: "kube-apiserver-etcd-client", Client: true})
	svcIP, err := firstServiceIP(cl.Spec.ServiceIPv4CIDR)
	if err != nil {
		return nil, err
	}
	for i, ip := range pl.APIServers() {
		b.issue(ca, fmt.Sprintf("apiserver-%c", 'a'+i), pki.Leaf{
			CommonName: "kube-apiserver",
			DNSNames:   []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "localhost"},
			IPs:        []net.IP{net.ParseIP(ip), net.ParseIP(pl.Endpoint()), svcIP, net.ParseIP("127.0.0.1")},
			Server:     true,
		})
	}
	clients := map[string]pki.Leaf{
		"apiserver-kubelet-client": {CommonName: "kube-apiserver-kubelet-client", Organization: []string{"system:masters"}, Client: true},
		"controller-manager":       {CommonName: "system:kube-controller-manager", Client: true},
		"scheduler":                {CommonName: "system:kube-scheduler", Client: true},
		"keks-admin":               {CommonName: "keks:admin", Organization: []string{"system:masters"}, Client: true},
	}
	for name, leaf := range clients {
		b.issue(ca, name, leaf)
	}
	b.issue(fpCA, "front-proxy-client", pki.Leaf{CommonName: "front-proxy-client", Client: true})
	for i, ip := range pl.APIServers() {
		for _, user := range []string{"controller-manager", "scheduler"} {
			addKubeconfig(b, pl, fmt.Sprintf("%s-%c", user, 'a'+i), "https://"+ip+":443", user)
		}
	}
	addKubeconfig(b, pl, "keks-admin", "https://"+pl.Endpoint()+":443", "keks-admin")
	// Before the authenticators' documents, which name keks's CA as the
	// bundle carries it when the members are not on this host.
	if err := c.addEgressDocs(b, pl, cl.UID, ca); err != nil {
		return nil, err
	}
	if err := c.addAuthenticatorDocs(b, pl, cl, ca, published); err != nil {
		return nil, err
	}
	if err := c.addEncryptionDocs(b, pl, cl, published); err != nil {
		return nil, err
	}
	if err := c.addOIDCCA(b); err != nil {
		return nil, err
	}
	b.add("audit-policy.yaml", []byte(auditPolicy), 0o644)
	c.addLBConfig(b, pl, cl)
	return b, nil
}

func memberName(pl Placement, ip string) string {
	for i, m := range pl.EtcdMembers() {
		if m == ip {
			return fmt.Sprintf("etcd-%c", 'a'+i)
		}
	}
	return "etcd"
}

func firstServiceIP(cidr string) (net.IP, error) {
	ip, _, err := net.ParseCIDR(cidr)
	if err != nil {
		return nil, fmt.Errorf("service CIDR %q: %w", cidr, err)
	}
	ip = ip.To4()
	out := make(net.IP, 4)
	copy(out, ip)
	out[3]++
	return out, nil
}

// addKubeconfig adds the kubeconfig name, with which a client with the
// certificate of leaf reaches server.
func addKubeconfig(b *Bundle, pl Placement, name, server, leaf string) {
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: cluster
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: user
  user:
    client-certificate: %s
    client-key: %s
contexts:
- name: default
  context:
    cluster: cluster
    user: user
current-context: default
`, server, pl.PKI("ca.crt"), pl.PKI(leaf+".crt"), pl.PKI(leaf+".key"))
	b.add(kubeconfigDoc(name), []byte(cfg), 0o600)
}

// addAuthenticatorDocs configures the authenticator beside each API
// server (serving certificate, config, kube-apiserver's webhook kubeconfig)
// and refreshes the identity snapshot they verify tokens with.
func (c *Controller) addAuthenticatorDocs(b *Bundle, pl Placement, cl *eks.Cluster, ca *pki.CA, published Published) error {
	if err := c.addPodIdentityDocs(b, cl, ca); err != nil {
		return err
	}
	if err := c.addFargateProfiles(b, cl.UID); err != nil {
		return err
	}
	for i, ip := range pl.APIServers() {
		suffix := string(rune('a' + i))
		name := "authenticator-" + suffix
		// API servers reach the pod identity webhooks through the endpoint.
		b.issue(ca, name, pki.Leaf{CommonName: name, IPs: []net.IP{net.ParseIP(ip), net.ParseIP(pl.Endpoint())}, Server: true})
		webhook := c.podIdentityWebhook(b, pl, cl, ip, suffix)
		cfg, _ := json.MarshalIndent(authn.ProcessConfig{Listen: ip + ":" + authn.Port, CertFile: pl.PKI(name + ".crt"), KeyFile: pl.PKI(name + ".key"),
			Snapshot: pl.File(identitySnapshotDoc), PodIdentityWebhook: webhook, FargateProfiles: pl.File(fargateProfilesDoc)}, "", "  ")
		b.add(name+".json", cfg, 0o600)
		// kube-apiserver asks the authenticator beside it who a token is,
		// and, when RBAC does not allow a request, whether an access policy does.
		for _, hook := range []string{"authenticate", "authorize"} {
			addWebhookConfig(b, hook+"-webhook-"+suffix, "https://"+ip+":"+authn.Port+"/"+hook, pl.PKI("ca.crt"))
		}
	}
	return c.addIdentitySnapshot(b, cl, published)
}

// addIdentitySnapshot gives the authenticators the signing keys they need,
// derived per day and region, never the secrets.
func (c *Controller) addIdentitySnapshot(b *Bundle, cl *eks.Cluster, published Published) error {
	if c.cfg.Credentials == nil {
		return nil
	}
	creds, err := c.cfg.Credentials(context.Background())
	if err != nil {
		return fmt.Errorf("list credentials for the authenticator: %w", err)
	}
	regions := []string{cl.Region}
	if cl.Region != "us-east-1" {
		regions = append(regions, "us-east-1") // the global STS endpoint signs for us-east-1
	}
	id := authn.ClusterIdentity{Name: cl.Name, CreatorARN: cl.Spec.CreatorARN, BootstrapAdmin: cl.Spec.BootstrapCreatorAdmin}
	if c.cfg.NodeIdentities != nil {
		if id.NodeRoles, id.Instances, err = c.cfg.NodeIdentities(context.Background(), cl.Region, cl.Name); err != nil {
			return err
		}
	}
	if c.cfg.Access != nil {
		if err := c.cfg.Access(context.Background(), cl, &id); err != nil {
			return fmt.Errorf("access entries and aws-auth of %s: %w", cl.Name, err)
		}
	}
	if id.AWSAuth == nil {
		// Not known yet (keks just started, the API server is down): the
		// mappings the authenticators have stay until it is.
		var old authn.Snapshot
		if data, err := published(identitySnapshotDoc); err == nil && json.Unmarshal(data, &old) == nil {
			id.AWSAuth = old.Cluster.AWSAuth
		}
	}
	var hosts []string
	if c.cfg.STSHosts != nil {
		hosts = c.cfg.STSHosts(context.Background())
	}
	snap := authn.NewSnapshot(id, hosts, creds, regions, time.Now())
	data, err := json.Marshal(snap)
	if err != nil {
		return err
	}
	b.add(identitySnapshotDoc, data, 0o600)
	return nil
}

// identitySnapshotDoc is the authenticators' identity snapshot.
const identitySnapshotDoc = "identities.json"

// endpointSources are the sources a cluster's endpoint accepts: keks's
// own address always; the public side (the host and beyond) from
// publicAccessCidrs when public access is on; the VPC's instances and
// their pods when private access is.
func endpointSources(cfg Config, cl *eks.Cluster, keksSource string) []string {
	allow := []string{keksSource + "/32"}
	if cl.Spec.EndpointPublicAccess {
		allow = append(allow, cl.Spec.PublicAccessCIDRs...)
	}
	if cl.Spec.EndpointPrivateAccess && cfg.VPCCIDR != nil {
		if cidr := cfg.VPCCIDR(cl.Spec.VPCID); cidr != "" {
			allow = append(allow, cidr)
			if pods := ec2.PodNetworkOf(cidr); pods != "" {
				allow = append(allow, pods)
			}
		}
	}
	return allow
}

// addLBConfig adds the endpoint's configuration: which API servers it
// fronts and which sources it accepts (endpointSources).
func (c *Controller) addLBConfig(b *Bundle, pl Placement, cl *eks.Cluster) {
	allow := endpointSources(c.cfg, cl, pl.KeksSource())
	var backends []string
	for _, ip := range pl.APIServers() {
		backends = append(backends, ip+":443")
	}
	// Every 2 s is soon enough: a stopping API server fails /readyz but keeps
	// serving for its shutdown delay, and a backend that refuses a connect is
	// failed over at once.
	cfg := lb.Config{Listen: pl.Endpoint() + ":443", Backends: backends, HealthPath: apiServerReadyPath, CAFile: pl.PKI("ca.crt"), Allow: allow, Interval: lb.Duration(endpointProbeInterval),
		Also: []lb.Config{podIdentityWebhookListener(pl)}}
	data, _ := json.MarshalIndent(cfg, "", "  ")
	b.add(endpointDoc, data, 0o644)
}

// endpointDoc is the endpoint's configuration, which it rereads on SIGHUP.
const endpointDoc = "endpoint.json"

// apiServerReadyPath is the readiness check of an API server, as the
// endpoint and keks probe it. It leaves out the etcd checks: each costs an
// etcd read per probe (up to one a second per API server, most of what an
// idle etcd serves), all API servers share the one etcd cluster so those
// checks cannot tell one backend from another, and keks watches the etcd
// members itself.
const apiServerReadyPath = "/readyz?exclude=etcd&exclude=etcd-readiness"

// endpointProbeInterval paces the endpoint's health checks of its API servers;
// apiServerShutdownDelay must exceed it.
const endpointProbeInterval = 2 * time.Second

const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: None
  nonResourceURLs: ["/healthz*", "/readyz*", "/livez*", "/version"]
- level: Metadata
`

// addWebhookConfig adds the kubeconfig kube-apiserver reaches a webhook with.
func addWebhookConfig(b *Bundle, name, server, caFile string) {
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: webhook
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: kube-apiserver
  user: {}
contexts:
- name: webhook
  context:
    cluster: webhook
    user: kube-apiserver
current-context: webhook
`, server, caFile)
	b.add(kubeconfigDoc(name), []byte(cfg), 0o600)
}
