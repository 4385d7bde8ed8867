package ebs

import (
	"context"

	"github.com/keksdev/keks/internal/ec2"
)

// A volume attached to an instance on an agent host has its bytes on that
// host (ec2.Volume.Host): keks's host keeps no device of it, takes none of
// its snapshots (the agent uploads them) and grows nothing (the agent
// does, and reports it). What stays here is the record's bookkeeping.

// away tells whether a volume's bytes are on an agent host.
func (w *world) away(volumeID string) bool {
	for i := range w.volumes {
		if w.volumes[i].ID == volumeID {
			return w.volumes[i].Host != ""
		}
	}
	return false
}

// onAgent tells whether an instance runs on an agent host; an instance
// that is gone runs nowhere, and its attachment is keks's to end.
func (w *world) onAgent(instanceID string) bool {
	in := w.instances[instanceID]
	return in != nil && in.Host != ""
}

// anyLocal tells whether an attachment is to an instance of keks's host.
func (w *world) anyLocal(attachments []ec2.VolumeAttachment) bool {
	for _, a := range attachments {
		if !w.onAgent(a.InstanceID) {
			return true
		}
	}
	return false
}

// awayVolume keeps the record of a volume an agent host holds: what is
// attached to an instance that is gone is detached (forced, so the agent
// returns the bytes at once), and a modification the agent made moves from
// optimizing to completed as on keks's host.
func (c *Controller) awayVolume(ctx context.Context, w *world, v *ec2.Volume) error {
	if err := c.detachFromGoneInstances(ctx, w, v); err != nil {
		return err
	}
	if m := v.Modification; m != nil && m.State == ec2.ModificationOptimizing {
		return c.ec2.ModificationCompleted(ctx, v.ID)
	}
	return nil
}
