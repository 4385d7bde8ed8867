package ec2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// What the host's reconciler (internal/ebs) reports as it makes volumes and
// snapshots real. Each step moves a record on only from the state it was
// made for, so a report that comes late (the user changed the record in
// between) changes nothing.

// VolumeCreated marks a creating volume available: its bytes exist.
func (s *Service) VolumeCreated(ctx context.Context, id string) error {
	return s.hostUpdate(ctx, id, func(v *Volume) {
		if v.State == VolumeCreating {
			v.State = VolumeAvailable
		}
	})
}

// VolumeFailed marks a creating volume as failed (EC2's error state): its
// bytes cannot be made.
func (s *Service) VolumeFailed(ctx context.Context, id string) error {
	return s.hostUpdate(ctx, id, func(v *Volume) {
		if v.State == VolumeCreating {
			v.State = VolumeError
		}
	})
}

// AttachmentMade marks an attaching attachment attached: the device exists.
func (s *Service) AttachmentMade(ctx context.Context, volumeID, instanceID string) error {
	return s.hostUpdate(ctx, volumeID, func(v *Volume) {
		if a := v.AttachmentTo(instanceID); a != nil && a.State == AttachmentAttaching {
			a.State = AttachmentAttached
		}
	})
}

// DetachmentDone removes a detaching attachment: the host let the device
// go. A volume whose instance terminated with DeleteOnTermination starts
// deleting once it has no attachment left.
func (s *Service) DetachmentDone(ctx context.Context, volumeID, instanceID string) error {
	return s.hostUpdate(ctx, volumeID, func(v *Volume) {
		if v.Host != "" {
			return // its bytes are away: only their return ends the detach
		}
		v.detachmentDone(instanceID)
	})
}

// detachmentDone removes a detaching attachment from the record.
func (v *Volume) detachmentDone(instanceID string) {
	v.Attachments = slices.DeleteFunc(v.Attachments, func(a VolumeAttachment) bool {
		return a.InstanceID == instanceID && a.State == AttachmentDetaching
	})
	if len(v.Attachments) == 0 {
		v.Attachments = nil
		if v.DeleteWhenDetached && v.State == VolumeAvailable {
			v.State = VolumeDeleting
		}
	}
}

// ModificationOptimizing moves a modification from modifying to
// optimizing: the host has grown the volume, which now has the target's
// size and performance.
func (s *Service) ModificationOptimizing(ctx context.Context, id string) error {
	return s.hostUpdate(ctx, id, func(v *Volume) {
		if m := v.Modification; m != nil && m.State == ModificationModifying {
			m.State, m.Progress = ModificationOptimizing, 50
			v.setSpec(m.Target)
		}
	})
}

// ModificationFailed ends a modification the host could not make; the
// volume keeps what it had.
func (s *Service) ModificationFailed(ctx context.Context, id, reason string) error {
	return s.hostUpdate(ctx, id, func(v *Volume) {
		if m := v.Modification; m != nil && m.State == ModificationModifying {
			m.State, m.StatusMessage, m.EndTime = ModificationFailed, reason, time.Now().UTC()
		}
	})
}

// ModificationCompleted completes an optimizing modification.
func (s *Service) ModificationCompleted(ctx context.Context, id string) error {
	return s.hostUpdate(ctx, id, func(v *Volume) {
		if m := v.Modification; m != nil && m.State == ModificationOptimizing {
			m.State, m.Progress, m.EndTime = ModificationCompleted, 100, time.Now().UTC()
		}
	})
}

// ForgetVolume removes a deleting volume's record: its bytes are gone.
func (s *Service) ForgetVolume(ctx context.Context, id string) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		v, rev, err := s.volumeAt(ctx, "", id)
		if err != nil || v.State != VolumeDeleting {
			return ignoreNotFound(err)
		}
		t.Unchanged(volumeKey(id), rev)
		t.Delete(volumeKey(id))
		return nil
	})
}

// SnapshotCompleted completes a pending snapshot: its bytes are copied.
func (s *Service) SnapshotCompleted(ctx context.Context, id string) error {
	_, err := s.UpdateSnapshot(ctx, id, func(snap *Snapshot) error {
		if snap.State == SnapshotPending {
			snap.State, snap.Progress, snap.CompletionTime = SnapshotCompleted, 100, time.Now().UTC()
		}
		return nil
	})
	return ignoreNotFound(err)
}

// SnapshotFailed marks a pending snapshot failed, with why.
func (s *Service) SnapshotFailed(ctx context.Context, id, reason string) error {
	_, err := s.UpdateSnapshot(ctx, id, func(snap *Snapshot) error {
		if snap.State == SnapshotPending {
			snap.State, snap.StateMessage = SnapshotError, reason
		}
		return nil
	})
	return ignoreNotFound(err)
}

// PruneClientTokens forgets CreateVolume client tokens older than maxAge
// (EC2 keeps them for at least a day).
func (s *Service) PruneClientTokens(ctx context.Context, maxAge time.Duration) error {
	raws, err := s.Store.ListRaw(ctx, tokenPrefix)
	if err != nil {
		return err
	}
	for _, r := range raws {
		var tok clientToken
		if err := json.Unmarshal(r.Value, &tok); err != nil || time.Since(tok.CreatedAt) > maxAge {
			if err := s.Store.Delete(ctx, r.Key); err != nil {
				return fmt.Errorf("forget client token: %w", err)
			}
		}
	}
	return nil
}

// hostUpdate applies a host report to a volume record; a volume that is
// gone has nothing to report to.
func (s *Service) hostUpdate(ctx context.Context, id string, change func(*Volume)) error {
	_, err := s.UpdateVolume(ctx, "", id, func(v *Volume) error { change(v); return nil })
	return ignoreNotFound(err)
}

func ignoreNotFound(err error) error {
	var ae *awserr.Error
	if errors.As(err, &ae) && (ae.Code == CodeInvalidVolumeNotFound || ae.Code == CodeInvalidSnapshotNotFound) {
		return nil
	}
	return err
}
