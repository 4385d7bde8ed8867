package server

import (
	"context"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/fargate"
)

// fargateProfilesForWebhooks are the profiles a cluster's Fargate webhook
// matches new pods to: those CREATING (so that one is matched as soon as it
// is ACTIVE) and ACTIVE; a DELETING profile takes no new pods.
func fargateProfilesForWebhooks(ctx context.Context, e *eks.Service, clusterUID string) ([]fargate.Profile, error) {
	all, err := e.FargateProfiles(ctx, clusterUID)
	var out []fargate.Profile
	for _, fp := range all {
		if fp.Status != eks.FargateProfileCreating && fp.Status != eks.FargateProfileActive {
			continue
		}
		p := fargate.Profile{Name: fp.Name}
		for _, s := range fp.Selectors {
			p.Selectors = append(p.Selectors, fargate.Selector{Namespace: s.Namespace, Labels: s.Labels})
		}
		out = append(out, p)
	}
	return out, err
}
