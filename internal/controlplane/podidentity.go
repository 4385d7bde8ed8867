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

// writePodIdentityFiles writes what the pod identity webhooks of a
// cluster share: their client certificate and the file of the service
// accounts with a Pod Identity association.
func (c *Controller) writePodIdentityFiles(pl Placement, cl *eks.Cluster, ca *pki.CA) error {
	if err := ca.IssueFiles(pl.File("pki"), "pod-identity-webhook", pki.Leaf{CommonName: podidentity.User, Client: true}); err != nil {
		return err
	}
	var identities []podidentity.Identity
	if c.cfg.PodIdentities != nil {
		var err error
		if identities, err = c.cfg.PodIdentities(context.Background(), cl.UID); err != nil {
			return fmt.Errorf("list the pod identity associations: %w", err)
		}
	}
	return writeAssociationsFile(associationsFile(pl), identities)
}

// associationsFile is in a directory of its own: the webhook watches the
// file's directory.
func associationsFile(pl Placement) string { return pl.File("pod-identity", "associations.json") }

// podIdentityWebhook configures the pod identity webhook the authenticator
// at ip serves: its client of the API server beside it, and what it gives
// pods to reach keks's STS.
func (c *Controller) podIdentityWebhook(pl Placement, cl *eks.Cluster, ip, suffix string) (*podidentity.Config, error) {
	name := "pod-identity-webhook-" + suffix
	if err := writeKubeconfig(pl.Kubeconfig(name), "https://"+net.JoinHostPort(ip, "443"), pl.PKI("ca.crt"), pl.PKI("pod-identity-webhook.crt"), pl.PKI("pod-identity-webhook.key")); err != nil {
		return nil, err
	}
	endpoint := c.cfg.IssuerURL
	if endpoint == "" {
		endpoint = c.cfg.KeksURL
	}
	return &podidentity.Config{Listen: net.JoinHostPort(ip, podidentity.Port), Kubeconfig: pl.Kubeconfig(name), Region: cl.Region,
		Endpoint: endpoint, CAFile: c.cfg.KeksCAFile, Associations: associationsFile(pl)}, nil
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

// writeAssociationsFile writes the Pod Identity associations the webhooks
// read, in upstream's format; an unchanged file is left alone.
func writeAssociationsFile(path string, identities []podidentity.Identity) error {
	if identities == nil {
		identities = []podidentity.Identity{}
	}
	data, _ := json.MarshalIndent(map[string]any{"identities": identities}, "", "  ")
	return pki.WriteFileIfChanged(path, data, 0o644)
}
