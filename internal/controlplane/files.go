package controlplane

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/keksdev/keks/internal/authn"
	"net"
	"os"
	"path/filepath"
	"time"

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

// writeFiles makes every certificate, key, kubeconfig and config file the
// control plane needs; files that are already right are left alone.
func (c *Controller) writeFiles(pl Placement, cl *eks.Cluster, sec *Secrets) error {
	ca, err := pki.LoadCA(sec.CACert, sec.CAKey)
	if err != nil {
		return err
	}
	etcdCA, err := pki.LoadCA(sec.EtcdCACert, sec.EtcdCAKey)
	if err != nil {
		return err
	}
	fpCA, err := pki.LoadCA(sec.FrontProxyCert, sec.FrontProxyKey)
	if err != nil {
		return err
	}
	pkiDir := pl.File("pki")
	if err := os.MkdirAll(pkiDir, 0o700); err != nil {
		return err
	}
	saPub, err := pki.PublicPEM(sec.ServiceAcctKey)
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		"ca.crt": sec.CACert, "ca.key": sec.CAKey, "etcd-ca.crt": sec.EtcdCACert, "front-proxy-ca.crt": sec.FrontProxyCert,
		"sa.key": sec.ServiceAcctKey, "sa.pub": saPub,
	} {
		if err := pki.WriteFileIfChanged(filepath.Join(pkiDir, name), data, 0o600); err != nil {
			return err
		}
	}
	// Peers dial out from whichever address of the bridge the kernel picks, and
	// etcd checks a peer's source address against its certificate, so every
	// member's certificate names every address of the control-plane network.
	var memberIPs []net.IP
	for _, ip := range pl.PeerSources() {
		memberIPs = append(memberIPs, net.ParseIP(ip))
	}
	for _, ip := range pl.EtcdMembers() {
		memberIPs = append(memberIPs, net.ParseIP(ip))
	}
	for _, ip := range pl.EtcdMembers() {
		name := memberName(pl, ip)
		if err := etcdCA.IssueFiles(pkiDir, name, pki.Leaf{CommonName: name, DNSNames: []string{name, "localhost"}, IPs: memberIPs, Server: true, Client: true}); err != nil {
			return err
		}
	}
	if err := etcdCA.IssueFiles(pkiDir, "apiserver-etcd-client", pki.Leaf{CommonName: "kube-apiserver-etcd-client", Client: true}); err != nil {
		return err
	}
	svcIP, err := firstServiceIP(cl.Spec.ServiceIPv4CIDR)
	if err != nil {
		return err
	}
	for i, ip := range pl.APIServers() {
		if err := ca.IssueFiles(pkiDir, fmt.Sprintf("apiserver-%c", 'a'+i), pki.Leaf{
			CommonName: "kube-apiserver",
			DNSNames:   []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "localhost"},
			IPs:        []net.IP{net.ParseIP(ip), net.ParseIP(pl.Endpoint()), svcIP, net.ParseIP("127.0.0.1")},
			Server:     true,
		}); err != nil {
			return err
		}
	}
	clients := map[string]pki.Leaf{
		"apiserver-kubelet-client": {CommonName: "kube-apiserver-kubelet-client", Organization: []string{"system:masters"}, Client: true},
		"controller-manager":       {CommonName: "system:kube-controller-manager", Client: true},
		"scheduler":                {CommonName: "system:kube-scheduler", Client: true},
		"keks-admin":               {CommonName: "keks:admin", Organization: []string{"system:masters"}, Client: true},
	}
	for name, leaf := range clients {
		if err := ca.IssueFiles(pkiDir, name, leaf); err != nil {
			return err
		}
	}
	if err := fpCA.IssueFiles(pkiDir, "front-proxy-client", pki.Leaf{CommonName: "front-proxy-client", Client: true}); err != nil {
		return err
	}
	for i, ip := range pl.APIServers() {
		for _, user := range []string{"controller-manager", "scheduler"} {
			if err := writeKubeconfig(pl.Kubeconfig(fmt.Sprintf("%s-%c", user, 'a'+i)), "https://"+ip+":443", pl.PKI("ca.crt"), pl.PKI(user+".crt"), pl.PKI(user+".key")); err != nil {
				return err
			}
		}
	}
	if err := writeKubeconfig(pl.Kubeconfig("keks-admin"), "https://"+pl.Endpoint()+":443", pl.PKI("ca.crt"), pl.PKI("keks-admin.crt"), pl.PKI("keks-admin.key")); err != nil {
		return err
	}
	if err := c.writeAuthenticatorFiles(pl, cl, ca); err != nil {
		return err
	}
	if err := c.writeEncryptionFiles(pl, cl); err != nil {
		return err
	}
	if err := c.writeOIDCCA(pl); err != nil {
		return err
	}
	if err := pki.WriteFileIfChanged(pl.File("audit-policy.yaml"), []byte(auditPolicy), 0o644); err != nil {
		return err
	}
	return c.writeLBConfig(pl, cl)
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

func writeKubeconfig(path, server, caFile, certFile, keyFile string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
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
`, server, caFile, certFile, keyFile)
	return pki.WriteFileIfChanged(path, []byte(cfg), 0o600)
}

// writeAuthenticatorFiles configures the authenticator beside each API
// server (serving certificate, config, kube-apiserver's webhook kubeconfig)
// and refreshes the identity snapshot they verify tokens with.
func (c *Controller) writeAuthenticatorFiles(pl Placement, cl *eks.Cluster, ca *pki.CA) error {
	if err := c.writePodIdentityFiles(pl, cl, ca); err != nil {
		return err
	}
	if err := c.writeFargateProfiles(pl, cl.UID); err != nil {
		return err
	}
	for i, ip := range pl.APIServers() {
		suffix := string(rune('a' + i))
		name := "authenticator-" + suffix
		// API servers reach the pod identity webhooks through the endpoint.
		if err := ca.IssueFiles(pl.File("pki"), name, pki.Leaf{CommonName: name, IPs: []net.IP{net.ParseIP(ip), net.ParseIP(pl.Endpoint())}, Server: true}); err != nil {
			return err
		}
		webhook, err := c.podIdentityWebhook(pl, cl, ip, suffix)
		if err != nil {
			return err
		}
		cfg, _ := json.MarshalIndent(authn.ProcessConfig{Listen: ip + ":" + authn.Port, CertFile: pl.PKI(name + ".crt"), KeyFile: pl.PKI(name + ".key"),
			Snapshot: pl.File("identities.json"), PodIdentityWebhook: webhook, FargateProfiles: fargateProfilesFile(pl)}, "", "  ")
		if err := pki.WriteFileIfChanged(pl.File(name+".json"), cfg, 0o600); err != nil {
			return err
		}
		// kube-apiserver asks the authenticator beside it who a token is,
		// and, when RBAC does not allow a request, whether an access policy does.
		for _, hook := range []string{"authenticate", "authorize"} {
			if err := writeWebhookConfig(pl.Kubeconfig(hook+"-webhook-"+suffix), "https://"+ip+":"+authn.Port+"/"+hook, pl.PKI("ca.crt")); err != nil {
				return err
			}
		}
	}
	return c.writeIdentitySnapshot(pl, cl)
}

// writeIdentitySnapshot gives the authenticators the signing keys they need,
// derived per day and region, never the secrets.
func (c *Controller) writeIdentitySnapshot(pl Placement, cl *eks.Cluster) error {
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
		prev := authn.SnapshotFile{Path: pl.File("identities.json")}
		if old, err := prev.Load(); err == nil {
			id.AWSAuth = old.Cluster.AWSAuth
		}
	}
	snap := authn.NewSnapshot(id, c.cfg.STSHosts, creds, regions, time.Now())
	data, err := json.Marshal(snap)
	if err != nil {
		return err
	}
	return pki.WriteFileIfChanged(pl.File("identities.json"), data, 0o600)
}

// writeLBConfig writes the endpoint's configuration: which API servers it
// fronts and which sources it accepts: keks's own address always; the
// public side (the host and beyond) from publicAccessCidrs when public
// access is on; the VPC's instances and their pods when private access is.
func (c *Controller) writeLBConfig(pl Placement, cl *eks.Cluster) error {
	allow := []string{pl.KeksSource() + "/32"}
	if cl.Spec.EndpointPublicAccess {
		allow = append(allow, cl.Spec.PublicAccessCIDRs...)
	}
	if cl.Spec.EndpointPrivateAccess && c.cfg.VPCCIDR != nil {
		if cidr := c.cfg.VPCCIDR(cl.Spec.VPCID); cidr != "" {
			allow = append(allow, cidr)
			if pods := ec2.PodNetworkOf(cidr); pods != "" {
				allow = append(allow, pods)
			}
		}
	}
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
	return pki.WriteFileIfChanged(pl.File("endpoint.json"), data, 0o644)
}

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

// writeWebhookConfig writes the kubeconfig kube-apiserver reaches a webhook with.
func writeWebhookConfig(path, server, caFile string) error {
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
	return pki.WriteFileIfChanged(path, []byte(cfg), 0o600)
}
