package ec2

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// A volume attached to an instance on an agent host has its bytes on that
// host: no network block device reaches across hosts here, so the bytes
// travel. The agent downloads them when it is asked to hold the volume
// (an attachment of its host's instance), and reports the device made
// (VolumeHeld); a detach ends when the bytes are back (VolumeReturned).
// Host records where they are between the two.

// sameHost refuses an attachment whose instance runs on another host than
// the volume's bytes are, or are going to: one host holds them at a time.
func (s *Service) sameHost(ctx context.Context, v *Volume, in *Instance) error {
	if v.Host != "" && v.Host != in.Host {
		return awserr.Errorf(CodeUnsupportedOperation, "Volume '%s' is held by host %s; it can be attached only to instances of that host until it is detached and back.", v.ID, v.Host)
	}
	for _, a := range v.Attachments {
		other, _, err := s.instanceAt(ctx, "", a.InstanceID)
		if err != nil {
			continue // an instance gone holds nothing
		}
		if other.Host != in.Host {
			return awserr.Errorf(CodeUnsupportedOperation, "Volume '%s' is attached to instance '%s' on %s; keks attaches a volume to instances of one host at a time, and '%s' is on %s.",
				v.ID, other.ID, hostName(other.Host), in.ID, hostName(in.Host))
		}
	}
	return nil
}

func hostName(host string) string {
	if host == "" {
		return "keks's own host"
	}
	return "agent host " + host
}

// HostOfAttachments is the host whose instances have the volume attached,
// or are attaching or detaching it (sameHost keeps them on one); "" when
// none is an agent host's, ok false when no instance of it is recorded.
func HostOfAttachments(v *Volume, instances map[string]*Instance) (host string, ok bool) {
	for _, a := range v.Attachments {
		if in := instances[a.InstanceID]; in != nil {
			return in.Host, true
		}
	}
	return "", false
}

// VolumeHeld records that host holds a volume's bytes with its device
// made: the volume is the host's, its attachments to the host's instances
// attached, and a modification whose size the host has made optimizing.
// It fails, changing nothing, unless the volume is available and attached
// or attaching to an instance of host.
func (s *Service) VolumeHeld(ctx context.Context, id, host string, sizeBytes int64) (*Volume, error) {
	var out *Volume
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		v, rev, err := s.volumeAt(ctx, "", id)
		if err != nil {
			return err
		}
		if v.State != VolumeAvailable || (v.Host != "" && v.Host != host) {
			return awserr.Errorf(CodeIncorrectState, "Volume '%s' is %s and held by %s.", id, v.State, hostName(v.Host))
		}
		live := false
		for i := range v.Attachments {
			a := &v.Attachments[i]
			in, _, err := s.instanceAt(ctx, "", a.InstanceID)
			if err != nil || in.Host != host || a.State == AttachmentDetaching {
				continue
			}
			live = true
			if a.State == AttachmentAttaching {
				a.State = AttachmentAttached
			}
		}
		if !live && v.Host == "" {
			return awserr.Errorf(CodeIncorrectState, "Volume '%s' is not attached to an instance of host %s.", id, host)
		}
		v.Host = host
		if m := v.Modification; m != nil && m.State == ModificationModifying && sizeBytes >= int64(m.Target.Size)<<30 {
			m.State, m.Progress = ModificationOptimizing, 50
			v.setSpec(m.Target)
		}
		t.Unchanged(volumeKey(id), rev)
		t.Put(volumeKey(id), v)
		out = v
		return nil
	})
	return out, err
}

// VolumeReturned records that a volume's bytes are back on keks's host
// (the caller has put them in place): the volume is keks's again and its
// detaching attachments are done. It fails, changing nothing, unless host
// holds the volume and every attachment of it is detaching.
func (s *Service) VolumeReturned(ctx context.Context, id, host string) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		v, rev, err := s.volumeAt(ctx, "", id)
		if err != nil {
			return err
		}
		if v.Host != host {
			return awserr.Errorf(CodeIncorrectState, "Volume '%s' is not held by host %s.", id, host)
		}
		for _, a := range v.Attachments {
			if a.State != AttachmentDetaching {
				// An instance of the host may still write to it.
				return awserr.Errorf(CodeIncorrectState, "Volume '%s' is still %s to instance '%s'.", id, a.State, a.InstanceID)
			}
		}
		v.Host = ""
		for _, a := range v.Attachments {
			if a.State == AttachmentDetaching {
				v.detachmentDone(a.InstanceID)
			}
		}
		t.Unchanged(volumeKey(id), rev)
		t.Put(volumeKey(id), v)
		return nil
	})
}

// loseVolumesOn adds to t that the volumes a removed host held are lost:
// in EC2's error state, their attachments gone with the host's instances,
// and held by no host (nothing of them is anywhere; DeleteVolume takes
// them away).
func (s *Service) loseVolumesOn(ctx context.Context, t *store.Txn, host string, limit int) (more bool, err error) {
	raws, err := s.Store.ListRaw(ctx, volumePrefix)
	if err != nil {
		return false, fmt.Errorf("list the volumes of host %s: %w", host, err)
	}
	lost := 0
	for _, r := range raws {
		var v Volume
		if err := json.Unmarshal(r.Value, &v); err != nil {
			return false, fmt.Errorf("store decode %s: %w", r.Key, err)
		}
		if v.Host != host {
			continue
		}
		if lost >= limit {
			return true, nil
		}
		v.State, v.Host, v.Attachments, v.DeleteWhenDetached = VolumeError, "", nil, false
		t.Unchanged(r.Key, r.Rev)
		t.Put(r.Key, &v)
		lost++
	}
	return false, nil
}
