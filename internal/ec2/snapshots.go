package ec2

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// Snapshot states, as EC2 names them.
const (
	SnapshotPending   = "pending"
	SnapshotCompleted = "completed"
	SnapshotError     = "error"
)

// maxDescription is EC2's limit on a snapshot's description.
const maxDescription = 255

// Snapshot is a point-in-time copy of a volume's bytes (internal/ebs makes
// it on the host).
type Snapshot struct {
	ID             string            `json:"id"`
	Region         string            `json:"region"`
	OwnerID        string            `json:"ownerId"`
	VolumeID       string            `json:"volumeId"`
	VolumeSize     int               `json:"volumeSize"` // GiB
	Description    string            `json:"description,omitempty"`
	State          string            `json:"state"`
	StateMessage   string            `json:"stateMessage,omitempty"`
	Progress       int               `json:"progress"` // percent
	StartTime      time.Time         `json:"startTime"`
	CompletionTime time.Time         `json:"completionTime,omitzero"`
	Encrypted      bool              `json:"encrypted"`
	KMSKeyID       string            `json:"kmsKeyId,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
}

// ARN is the snapshot's ARN: snapshots name no account in theirs.
func (s *Snapshot) ARN() string { return SnapshotARN(s.Region, s.ID) }

// SnapshotARN names a snapshot of a region.
func SnapshotARN(region, id string) string {
	return fmt.Sprintf("arn:aws:ec2:%s::snapshot/%s", region, id)
}

func snapshotNotFound(id string) error {
	return awserr.Errorf(CodeInvalidSnapshotNotFound, "The snapshot '%s' does not exist.", id)
}

// CreateSnapshot records a pending snapshot of a volume as it is now; the
// host's reconciler copies its bytes and completes it.
func (s *Service) CreateSnapshot(ctx context.Context, region, volumeID, description string, tags map[string]string) (*Snapshot, error) {
	if len(description) > maxDescription {
		return nil, awserr.Errorf(CodeInvalidParameterValue, "Value for parameter description is longer than %d characters.", maxDescription)
	}
	if err := ValidateTags(tags); err != nil {
		return nil, err
	}
	var out *Snapshot
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		v, rev, err := s.volumeAt(ctx, region, volumeID)
		if err != nil {
			return err
		}
		if v.State != VolumeAvailable {
			return awserr.Errorf(CodeIncorrectState, "Volume '%s' is in the '%s' state.", v.ID, v.State)
		}
		// Depending on the volume orders the snapshot before any change of
		// it (a modification, a delete) that commits later.
		t.Unchanged(volumeKey(v.ID), rev)
		out = &Snapshot{ID: newResourceID("snap"), Region: region, OwnerID: v.OwnerID, VolumeID: v.ID, VolumeSize: v.Size, Description: description,
			State: SnapshotPending, StartTime: time.Now().UTC(), Encrypted: v.Encrypted, KMSKeyID: v.KMSKeyID, Tags: tags}
		t.Create(snapshotKey(out.ID), out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Snapshots lists a region's snapshots, or every snapshot when region is empty.
func (s *Service) Snapshots(ctx context.Context, region string) ([]Snapshot, error) {
	all, err := store.List[Snapshot](ctx, s.Store, snapshotPrefix)
	if region == "" || err != nil {
		return all, err
	}
	return inRegion(all, region, func(v Snapshot) string { return v.Region }), nil
}

// GetSnapshot reads a snapshot of a region (any region when region is empty).
func (s *Service) GetSnapshot(ctx context.Context, region, id string) (*Snapshot, error) {
	if err := CheckSnapshotID(id); err != nil {
		return nil, err
	}
	var snap Snapshot
	_, err := s.Store.Get(ctx, snapshotKey(id), &snap)
	if errors.Is(err, store.ErrNotFound) || (err == nil && region != "" && snap.Region != region) {
		return nil, snapshotNotFound(id)
	} else if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", id, err)
	}
	return &snap, nil
}

// DeleteSnapshot removes a snapshot's record; the host's reconciler then
// removes its bytes (once no volume being made from it needs them).
func (s *Service) DeleteSnapshot(ctx context.Context, region, id string) error {
	if _, err := s.GetSnapshot(ctx, region, id); err != nil {
		return err
	}
	return s.Store.Delete(ctx, snapshotKey(id))
}

// UpdateSnapshot changes a snapshot record.
func (s *Service) UpdateSnapshot(ctx context.Context, id string, change func(*Snapshot) error) (*Snapshot, error) {
	snap, err := store.Mutate(ctx, s.Store, snapshotKey(id), change)
	if errors.Is(err, store.ErrNotFound) {
		return nil, snapshotNotFound(id)
	}
	return snap, err
}
