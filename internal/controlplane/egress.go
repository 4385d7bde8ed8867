package controlplane

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/netip"
	"os"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/egress"
	"github.com/keksdev/keks/internal/pki"
)

// egressSelectorDoc is kube-apiserver's egress selector configuration.
const egressSelectorDoc = "egress-selector.yaml"

// keksCADoc is keks's CA, in the bundle of members that are not on keks's host.
const keksCADoc = "keks-ca.crt"

// addEgressDocs gives API servers that do not share keks's network (the
// kubernetes runtime's) the way to their cluster's kubelets, pods and
// webhooks: keks's egress proxy, reached with a client certificate of the
// cluster's CA that names the cluster, over TLS verified with keks's CA.
func (c *Controller) addEgressDocs(b *Bundle, pl Placement, clusterUID string, ca *pki.CA) error {
	proxy := pl.EgressProxy()
	if proxy == "" {
		return nil
	}
	keksCA, err := os.ReadFile(c.cfg.KeksCAFile)
	if err != nil {
		return fmt.Errorf("read keks's CA for the egress proxy: %w", err)
	}
	b.add(pkiDoc(keksCADoc), keksCA, 0o644)
	b.issue(ca, "egress-client", pki.Leaf{CommonName: "keks:egress", Organization: []string{egress.ClusterPrefix + clusterUID}, Client: true})
	cfg := fmt.Sprintf(`apiVersion: apiserver.k8s.io/v1beta1
kind: EgressSelectorConfiguration
egressSelections:
- name: cluster
  connection:
    proxyProtocol: HTTPConnect
    transport:
      tcp:
        url: %s
        tlsConfig:
          caBundle: %s
          clientCert: %s
          clientKey: %s
`, proxy, pl.PKI(keksCADoc), pl.PKI("egress-client.crt"), pl.PKI("egress-client.key"))
	b.add(egressSelectorDoc, []byte(cfg), 0o644)
	return nil
}

// EgressTargets is what a cluster's API servers may reach through keks's
// egress proxy: the cluster's CA verifies them; its VPC, its pods'
// network and its endpoint (the webhooks behind it) are what they reach.
func (c *Controller) EgressTargets(ctx context.Context, clusterUID string) (egress.Targets, error) {
	sec, err := LoadSecrets(ctx, c.store, clusterUID)
	if err != nil {
		return egress.Targets{}, err
	}
	var st State
	if _, err := c.store.Get(ctx, stateKey(clusterUID), &st); err != nil {
		return egress.Targets{}, fmt.Errorf("control-plane state of %s: %w", clusterUID, err)
	}
	cl, err := c.eks.GetCluster(ctx, st.Region, st.ClusterName)
	if err != nil {
		return egress.Targets{}, err
	}
	if cl.UID != clusterUID {
		return egress.Targets{}, fmt.Errorf("cluster %s was replaced", st.ClusterName)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(sec.CACert) {
		return egress.Targets{}, fmt.Errorf("the CA of %s does not parse", st.ClusterName)
	}
	t := egress.Targets{CA: pool}
	if c.cfg.VPCCIDR != nil {
		if cidr := c.cfg.VPCCIDR(cl.Spec.VPCID); cidr != "" {
			for _, p := range []string{cidr, ec2.PodNetworkOf(cidr)} {
				if pf, err := netip.ParsePrefix(p); err == nil {
					t.Allowed = append(t.Allowed, pf)
				}
			}
		}
	}
	if a, err := netip.ParseAddr(st.Endpoint); err == nil {
		t.Allowed = append(t.Allowed, netip.PrefixFrom(a, 32))
	}
	return t, nil
}
