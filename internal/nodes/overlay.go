package nodes

import (
	"context"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/overlay"
)

// joinOverlay makes keks's host's part of the subnets' segments between
// hosts (internal/overlay), planned from every instance, agents' too; it
// returns the subnets whose bridges it joins, which stay while joined
// even with no local instance in them.
func (c *Controller) joinOverlay(ctx context.Context, all []ec2.Instance) map[string]bool {
	if c.Overlay == nil {
		return nil
	}
	plan, err := c.Overlay(ctx, overlay.KeksHost, all)
	if err != nil {
		c.log.Warn("plan the host's network between hosts", "err", err)
		return c.joined // as last made, until a plan comes again
	}
	d, err := overlay.Check(plan)
	if err != nil {
		c.log.Warn("the host's network between hosts does not check", "err", err)
		return c.joined
	}
	d.SourceIn = c.OverlaySource
	if _, err := overlay.Converge(d); err != nil {
		c.log.Warn("the host's network between hosts", "err", err)
	}
	joined := map[string]bool{}
	for _, s := range d.Subnets {
		joined[s.ID] = true
	}
	c.joined = joined
	return joined
}
