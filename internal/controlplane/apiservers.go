package controlplane

import (
	"context"
	"fmt"

	"k8s.io/client-go/rest"
)

// APIServerConfigs is keks's admin client configuration of each of a
// cluster's API servers, for what each counts on its own (the insights
// scrape apiserver_requested_deprecated_apis, a per-process gauge): on the
// host runtime each server at its own address (its certificate names it,
// as the health probes rely on), from keks's source address. On the
// kubernetes runtime the servers' pods are not reachable from keks: the
// endpoint only, which reaches one of them.
func (c *Controller) APIServerConfigs(ctx context.Context, clusterUID string) ([]*rest.Config, error) {
	admin, err := c.AdminConfig(clusterUID)
	if err != nil {
		return nil, err
	}
	var st State
	if _, err := c.store.Get(ctx, stateKey(clusterUID), &st); err != nil {
		return nil, fmt.Errorf("control-plane state of %s: %w", clusterUID, err)
	}
	if st.Runtime == RuntimeKubernetes {
		return []*rest.Config{admin}, nil
	}
	var out []*rest.Config
	for _, inst := range st.Instances {
		if inst.Role != RoleAPIServer || inst.Address == "" {
			continue
		}
		out = append(out, apiServerConfig(admin, inst.Address))
	}
	if len(out) == 0 {
		return []*rest.Config{admin}, nil
	}
	return out, nil
}

// apiServerConfig is admin's config aimed at the one API server at
// address, past the endpoint's load balancer.
func apiServerConfig(admin *rest.Config, address string) *rest.Config {
	rc := rest.CopyConfig(admin)
	rc.Host = "https://" + address + ":443"
	return rc
}
