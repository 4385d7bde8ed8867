package ec2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// deviceName is what EC2 takes as an EBS device name on Linux (/dev/sdf,
// /dev/xvdba, /dev/sdf1) and Windows (xvdf). On Nitro the name lives only
// in the API: the instance finds the volume by its id, and so does keks's.
var deviceName = regexp.MustCompile(`^(/dev/(sd|xvd|hd)[a-z]{1,2}[0-9]{0,2}|xvd[a-z]{1,2})$`)

// AttachVolume attaches an available volume to a running instance of its
// zone as device; the host's reconciler makes the device and marks the
// attachment attached. The instance is written back with the volume, so
// that two attachments to one instance are decided one after the other and
// never share a device name.
func (s *Service) AttachVolume(ctx context.Context, region, volumeID, instanceID, device string) (*VolumeAttachment, error) {
	if !deviceName.MatchString(device) {
		return nil, awserr.Errorf(CodeInvalidParameterValue, "Value (%s) for parameter device is invalid. %s is not a valid EBS device name.", device, device)
	}
	var out VolumeAttachment
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		v, rev, err := s.volumeAt(ctx, region, volumeID)
		if err != nil {
			return err
		}
		in, irev, err := s.instanceAt(ctx, region, instanceID)
		if err != nil {
			return err
		}
		if in.State != StateRunning {
			return awserr.Errorf(CodeIncorrectInstanceState, "Instance '%s' is not 'running'.", instanceID)
		}
		if v.State != VolumeAvailable {
			return awserr.Errorf(CodeIncorrectState, "Volume '%s' is not 'available'.", volumeID)
		}
		if v.AttachmentTo(instanceID) != nil || (len(v.Attachments) > 0 && !v.MultiAttach) {
			return awserr.Errorf(CodeVolumeInUse, "%s is already attached to an instance", volumeID)
		}
		if v.Zone != in.Zone {
			return awserr.Errorf(CodeInvalidVolumeZoneMismatch, "The volume '%s' is not in the same availability zone as instance '%s'", volumeID, instanceID)
		}
		if err := s.sameHost(ctx, v, in); err != nil {
			return err
		}
		if err := s.deviceFree(ctx, region, instanceID, device); err != nil {
			return err
		}
		out = VolumeAttachment{InstanceID: instanceID, Device: device, State: AttachmentAttaching, AttachTime: time.Now().UTC()}
		v.Attachments = append(v.Attachments, out)
		t.Unchanged(volumeKey(v.ID), rev)
		t.Put(volumeKey(v.ID), v)
		t.Unchanged(instanceKey(in.ID), irev)
		t.Put(instanceKey(in.ID), in)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// deviceFree refuses a device name another volume holds on the instance,
// until that volume is detached.
func (s *Service) deviceFree(ctx context.Context, region, instanceID, device string) error {
	all, err := s.Volumes(ctx, region)
	if err != nil {
		return err
	}
	for i := range all {
		if a := all[i].AttachmentTo(instanceID); a != nil && a.Device == device {
			return awserr.Errorf(CodeInvalidParameterValue, "Invalid value '%s' for unixDevice. Attachment point %s is already in use", device, device)
		}
	}
	return nil
}

// instanceAt reads an instance of a region with its revision.
func (s *Service) instanceAt(ctx context.Context, region, id string) (*Instance, int64, error) {
	var in Instance
	rev, err := s.Store.Get(ctx, instanceKey(id), &in)
	if errors.Is(err, store.ErrNotFound) || (err == nil && region != "" && in.Region != region) {
		return nil, 0, awserr.Errorf(CodeInvalidInstanceNotFound, "The instance ID '%s' does not exist", id)
	} else if err != nil {
		return nil, 0, fmt.Errorf("read instance %s: %w", id, err)
	}
	return &in, rev, nil
}

// DetachVolume starts detaching a volume from an instance (the one it is
// attached to when instanceID is empty); the host's reconciler removes the
// device, waiting for it to be unused unless force, and then the
// attachment. Asking again while it detaches is no error, and may force it.
func (s *Service) DetachVolume(ctx context.Context, region, volumeID, instanceID, device string, force bool) (*VolumeAttachment, error) {
	var out VolumeAttachment
	_, err := s.UpdateVolume(ctx, region, volumeID, func(v *Volume) error {
		a, err := s.attachmentToDetach(ctx, region, v, instanceID, device)
		if err != nil {
			return err
		}
		a.State = AttachmentDetaching
		a.Force = a.Force || force
		out = *a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *Service) attachmentToDetach(ctx context.Context, region string, v *Volume, instanceID, device string) (*VolumeAttachment, error) {
	if len(v.Attachments) == 0 {
		return nil, awserr.Errorf(CodeIncorrectState, "Volume '%s' is in the '%s' state.", v.ID, v.Status())
	}
	a := &v.Attachments[0]
	switch {
	case instanceID != "":
		if a = v.AttachmentTo(instanceID); a == nil {
			if _, _, err := s.instanceAt(ctx, region, instanceID); err != nil {
				return nil, err
			}
			return nil, awserr.Errorf(CodeInvalidAttachmentNotFound, "Volume '%s' can not be detached from '%s' because it is not attached", v.ID, instanceID)
		}
	case len(v.Attachments) > 1:
		return nil, awserr.Errorf(CodeMissingParameter, "The request must contain the parameter instanceId")
	}
	if device != "" && a.Device != device {
		return nil, awserr.Errorf(CodeInvalidAttachmentNotFound, "The volume %s is not attached to instance %s as device %s", v.ID, a.InstanceID, device)
	}
	return a, nil
}

// detachFromTerminating adds to t the detachment of every volume attached
// to the instances that are terminating, forced since the instance lets
// go of everything; a volume attached with DeleteOnTermination is deleted
// once detached. It returns how many writes it added.
func (s *Service) detachFromTerminating(ctx context.Context, t *store.Txn, terminating map[string]bool) (int, error) {
	raws, err := s.Store.ListRaw(ctx, volumePrefix)
	if err != nil {
		return 0, err
	}
	writes := 0
	for _, r := range raws {
		var v Volume
		if err := json.Unmarshal(r.Value, &v); err != nil {
			return 0, fmt.Errorf("decode volume %s: %w", r.Key, err)
		}
		changed := false
		for i := range v.Attachments {
			a := &v.Attachments[i]
			if !terminating[a.InstanceID] || (a.State == AttachmentDetaching && a.Force) {
				continue
			}
			a.State, a.Force, changed = AttachmentDetaching, true, true
			if a.DeleteOnTermination {
				v.DeleteWhenDetached = true
			}
		}
		if changed {
			t.Unchanged(r.Key, r.Rev)
			t.Put(r.Key, &v)
			writes++
		}
	}
	return writes, nil
}
