package ebs

import (
	"context"
	"errors"

	"github.com/keksdev/keks/internal/ec2"
)

// attachments makes the host hold a volume's device while an attachment
// wants it, and lets it go once none does. A detach waits while the device
// is in use (a file system mounted from it: the instance has not let go),
// as EC2's detach waits for the instance, unless it was forced.
func (c *Controller) attachments(ctx context.Context, w *world, v *ec2.Volume, file string) (waiting bool, err error) {
	if err := c.detachFromGoneInstances(ctx, w, v); err != nil {
		return false, err
	}
	// Attachments of instances on agent hosts want no device here: their
	// host downloads the bytes (internal/agents). While the bytes are
	// still home, such a detach has nothing to wait for.
	var live, detaching []ec2.VolumeAttachment
	forced, agentWants := false, false
	for _, a := range v.Attachments {
		remote := w.onAgent(a.InstanceID)
		switch {
		case a.State == ec2.AttachmentDetaching:
			detaching = append(detaching, a)
			forced = forced || (a.Force && !remote)
		case !remote:
			live = append(live, a)
		default:
			agentWants = true
		}
	}
	if !w.anyLocal(detaching) {
		forced = true
	}
	if len(live) > 0 {
		dev, err := c.ensureDevice(w, file)
		if err != nil {
			return false, err
		}
		if err := EnsureLink(c.cfg.ByID, v.ID, dev); err != nil {
			return false, err
		}
		for _, a := range live {
			if a.State == ec2.AttachmentAttaching {
				c.log.Info("volume attached", "volume", v.ID, "instance", a.InstanceID, "device", a.Device, "host device", dev)
				if err := c.ec2.AttachmentMade(ctx, v.ID, a.InstanceID); err != nil {
					return false, err
				}
			}
		}
	} else {
		// No attachment wants the device (any more): it goes, unless a
		// detach must wait for it to be unused.
		if len(detaching) > 0 && !forced && inUse(w.loops[file]) {
			return true, nil
		}
		release := c.release
		if agentWants {
			// The link is the agent's to make (an agent beside keks
			// shares its /dev); only keks's own devices go.
			release = c.releaseDevices
		}
		if err := release(w, v.ID, file); err != nil {
			return false, err
		}
	}
	for _, a := range detaching {
		c.log.Info("volume detached", "volume", v.ID, "instance", a.InstanceID, "forced", a.Force)
		if err := c.ec2.DetachmentDone(ctx, v.ID, a.InstanceID); err != nil {
			return false, err
		}
	}
	return false, nil
}

// detachFromGoneInstances detaches, forced, what is attached to an instance
// that terminated or is gone: the instance no longer holds anything.
// TerminateInstances does it too; this covers what happened without it.
func (c *Controller) detachFromGoneInstances(ctx context.Context, w *world, v *ec2.Volume) error {
	for i := range v.Attachments {
		a := &v.Attachments[i]
		in, ok := w.instances[a.InstanceID]
		if (ok && in.State != ec2.StateTerminated) || (a.State == ec2.AttachmentDetaching && a.Force) {
			continue
		}
		if _, err := c.ec2.DetachVolume(ctx, "", v.ID, a.InstanceID, "", true); err != nil {
			return err
		}
		a.State, a.Force = ec2.AttachmentDetaching, true
	}
	return nil
}

func inUse(devs []string) bool {
	for _, dev := range devs {
		if LoopInUse(dev) {
			return true
		}
	}
	return false
}

// ensureDevice is the loop device over a volume's file: the one the host
// has (made before a restart, say), or a new one. Of several (a crash
// between binding and recording) one stays; one being cleared (a forced
// detach the old instance still holds) is never taken.
func (c *Controller) ensureDevice(w *world, file string) (string, error) {
	var keep string
	for _, dev := range w.loops[file] {
		switch {
		case Clearing(dev):
		case keep == "":
			keep = dev
		case !LoopInUse(dev):
			if err := DetachLoop(dev); err != nil {
				return "", err
			}
		}
	}
	if keep == "" {
		dev, err := AttachLoop(file)
		if err != nil {
			return "", err
		}
		keep = dev
		w.loops[file] = append(w.loops[file], dev)
	}
	return keep, nil
}

// release removes a volume's link and its loop devices.
func (c *Controller) release(w *world, volumeID, file string) error {
	return errors.Join(RemoveLink(c.cfg.ByID, volumeID), c.releaseDevices(w, volumeID, file))
}

// releaseDevices removes a volume's loop devices.
func (c *Controller) releaseDevices(w *world, _, file string) error {
	var err error
	for _, dev := range w.loops[file] {
		err = errors.Join(err, DetachLoop(dev))
	}
	delete(w.loops, file)
	return err
}
