package agent

import (
	"context"
	"errors"
	"slices"

	"github.com/keksdev/keks/internal/hostnet"
	"github.com/keksdev/keks/internal/instance"
	"github.com/keksdev/keks/internal/network"
	"github.com/keksdev/keks/internal/overlay"
)

// hostSandboxes are internal/instance's: real instances on this host.
type hostSandboxes struct{}

func (hostSandboxes) Run(ctx context.Context, s *instance.Spec, p instance.Processes) (instance.Processes, error) {
	return instance.Run(ctx, s, p)
}

func (hostSandboxes) Delete(ctx context.Context, s *instance.Spec, p instance.Processes) error {
	return instance.Delete(ctx, s, p)
}

func (hostSandboxes) Alive(s *instance.Spec, p instance.Processes) bool { return instance.Alive(s, p) }

func (hostSandboxes) Firewall(ctx context.Context, id, rules string) error {
	return instance.ApplyFirewall(ctx, id, rules)
}

// hostRules are the host's rules for its instances, the same as keks's
// node controller makes on keks's own host (internal/hostnet).
type hostRules struct {
	// metadataAddress is the agent's metadata proxy (host:port); empty
	// redirects nothing, and instances get no credentials.
	metadataAddress string
}

func (h hostRules) Ensure(subnets, serviceRanges, keksRanges []string) error {
	errs := []error{
		hostnet.RaiseLimits(),
		hostnet.EnsureEgress(append(slices.Clone(subnets), hostnet.PodNetwork), keksRanges...),
		hostnet.EnsureServiceRanges(serviceRanges),
	}
	if h.metadataAddress != "" {
		errs = append(errs, hostnet.EnsureMetadataRedirect(h.metadataAddress))
	}
	return errors.Join(errs...)
}

func (hostRules) Remove() error {
	return errors.Join(hostnet.RemoveMetadataRedirect(), hostnet.RemoveEgress(), hostnet.RemoveServiceRanges())
}

func (hostRules) DeleteBridge(name string) error { return network.DeleteLink(name) }

func (hostRules) Overlay(d *overlay.Desired) ([]string, error) { return overlay.Converge(d) }
