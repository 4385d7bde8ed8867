package controlplane

import (
	"context"
	"fmt"
	"slices"

	"github.com/keksdev/keks/internal/fargate"
)

// fargateProfilesDoc is what the Fargate webhooks beside each API server
// match pods against, in a directory of its own like the associations.
const fargateProfilesDoc = "fargate/profiles.json"

// addFargateProfiles adds the profiles new pods may be matched to.
func (c *Controller) addFargateProfiles(b *Bundle, clusterUID string) error {
	var profiles []fargate.Profile
	if c.cfg.FargateProfiles != nil {
		var err error
		if profiles, err = c.cfg.FargateProfiles(context.Background(), clusterUID); err != nil {
			return fmt.Errorf("list the Fargate profiles: %w", err)
		}
	}
	b.add(fargateProfilesDoc, fargate.WriteProfiles(profiles), 0o644)
	return nil
}

// ProfilesServed: the authenticators reread the profiles file when it
// changes, so a profile is served once it is in the file.
func (h *hostRuntime) ProfilesServed(st *State, profile string) bool {
	got, err := fargate.ReadProfiles(h.placement(st).File(fargateProfilesDoc))
	return err == nil && slices.ContainsFunc(got, func(p fargate.Profile) bool { return p.Name == profile })
}
