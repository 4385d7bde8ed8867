package controlplane

import (
	"context"
	"encoding/json"
	"fmt"
	"net"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/lb"
	"github.com/keksdev/keks/internal/pki"
	"github.com/keksdev/keks/internal/podidentity"
)

// addPodIdentityDocs adds what the pod identity webhooks of a cluster
// share: their client certificate and the file of the service accounts
// with a Pod Identity association.
func (c *Controller) addPodIdentityDocs(b *Bundle, cl *eks.Cluster, ca *pki.CA) error {
	b.issue(ca, "pod-identity-webhook", pki.Leaf{CommonName: podidentity.User, Client: true})
	var identities []podidentity.Identity
	if c.cfg.PodIdentities != nil {
		var err error
		if identities, err = c.cfg.PodIdentities(context.Background(), cl.UID); err != nil {
			return fmt.Errorf("list the pod identity associations: %w", err)
		}
	}
	b.add(associationsDoc, associationsFile(identities), 0o644)
	return nil
}

// associationsDoc is in a directory of its own: the webhook watches the
// file's directory.
const associationsDoc = "pod-identity/associations.json"

// podIdentityWebhook configures the pod identity webhook the authenticator
// at ip serves: its client of the API server beside it, and what it gives
// pods to reach keks's STS.
func (c *Controller) podIdentityWebhook(b *Bundle, pl Placement, cl *eks.Cluster, ip, suffix string) *podidentity.Config {
	name := "pod-identity-webhook-" + suffix
	addKubeconfig(b, pl, name, "https://"+net.JoinHostPort(ip, "443"), "pod-identity-webhook")
	endpoint := c.cfg.IssuerURL
	if endpoint == "" {
		endpoint = c.cfg.KeksURL
	}
	caFile := c.cfg.KeksCAFile
	if _, ok := b.Documents[pkiDoc(keksCADoc)]; ok {
		caFile = pl.PKI(keksCADoc) // the members are not on this host: the bundle carries it
	}
	return &podidentity.Config{Listen: net.JoinHostPort(pl.Bind(ip), podidentity.Port), Kubeconfig: pl.Kubeconfig(name), Region: cl.Region,
		Endpoint: endpoint, CAFile: caFile, Associations: pl.File(associationsDoc)}
}

// podIdentityWebhookListener is the endpoint's listener in front of the
// webhooks. Only the control-plane network (the API servers) may call it.
func podIdentityWebhookListener(pl Placement) lb.Config {
	var backends []string
	for _, ip := range pl.APIServers() {
		backends = append(backends, net.JoinHostPort(ip, podidentity.Port))
	}
	return lb.Config{Listen: net.JoinHostPort(pl.Endpoint(), podidentity.Port), Backends: backends, HealthPath: "/healthz",
		CAFile: pl.PKI("ca.crt"), Allow: []string{pl.Network()}, Interval: lb.Duration(endpointProbeInterval)}
}

// associationsFile is the Pod Identity associations the webhooks read, in
// upstream's format.
func associationsFile(identities []podidentity.Identity) []byte {
	if identities == nil {
		identities = []podidentity.Identity{}
	}
	data, _ := json.MarshalIndent(map[string]any{"identities": identities}, "", "  ")
	return data
}
