package ec2

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// Volume states, as EC2 names them. A volume with attachments is "in-use"
// (Status); its lifecycle state stays available underneath.
const (
	VolumeCreating  = "creating"
	VolumeAvailable = "available"
	VolumeInUse     = "in-use"
	VolumeDeleting  = "deleting"
	VolumeError     = "error"
)

// Attachment states, as EC2 names them.
const (
	AttachmentAttaching = "attaching"
	AttachmentAttached  = "attached"
	AttachmentDetaching = "detaching"
)

// Volume is an EBS volume. Its bytes live on the host (internal/ebs); the
// record is what the host is made to match.
type Volume struct {
	ID          string             `json:"id"`
	Region      string             `json:"region"`
	Zone        string             `json:"zone"`
	OwnerID     string             `json:"ownerId"`
	Size        int                `json:"size"` // GiB
	Type        string             `json:"type"`
	Iops        int                `json:"iops,omitempty"`       // 0 for types that report none
	Throughput  int                `json:"throughput,omitempty"` // MiB/s, gp3 only
	Encrypted   bool               `json:"encrypted"`
	KMSKeyID    string             `json:"kmsKeyId,omitempty"`
	SnapshotID  string             `json:"snapshotId,omitempty"`
	MultiAttach bool               `json:"multiAttach,omitempty"`
	State       string             `json:"state"`
	CreateTime  time.Time          `json:"createTime"`
	Tags        map[string]string  `json:"tags,omitempty"`
	Attachments []VolumeAttachment `json:"attachments,omitempty"`
	// Modification is the volume's latest ModifyVolume, kept after it completes.
	Modification *VolumeModification `json:"modification,omitempty"`
	// DeleteWhenDetached marks a volume whose instance terminated with
	// DeleteOnTermination: it goes once the host has let it go.
	DeleteWhenDetached bool `json:"deleteWhenDetached,omitempty"`
	// Host is the agent host that holds the volume's bytes while an
	// instance of it has the volume attached ("": keks's own host). They
	// travel there on attach and come back on detach (internal/agents).
	Host string `json:"host,omitempty"`
}

// VolumeAttachment is a volume's attachment to one instance.
type VolumeAttachment struct {
	InstanceID          string    `json:"instanceId"`
	Device              string    `json:"device"`
	State               string    `json:"state"`
	AttachTime          time.Time `json:"attachTime"`
	DeleteOnTermination bool      `json:"deleteOnTermination,omitempty"`
	// Force lets the host detach the device even while it is in use, as
	// DetachVolume's Force does on EC2.
	Force bool `json:"force,omitempty"`
}

// Status is the volume's state as DescribeVolumes reports it.
func (v *Volume) Status() string {
	if v.State == VolumeAvailable && len(v.Attachments) > 0 {
		return VolumeInUse
	}
	return v.State
}

// AttachmentTo is the volume's attachment to an instance, or nil.
func (v *Volume) AttachmentTo(instanceID string) *VolumeAttachment {
	for i := range v.Attachments {
		if v.Attachments[i].InstanceID == instanceID {
			return &v.Attachments[i]
		}
	}
	return nil
}

// EBS records live under EBSPrefix, each kind under a prefix of its own, so
// that the host's reconciler watches them alone.
const (
	EBSPrefix      = "ec2/ebs/"
	volumePrefix   = EBSPrefix + "volumes/"
	snapshotPrefix = EBSPrefix + "snapshots/"
	tokenPrefix    = EBSPrefix + "tokens/"
)

func volumeKey(id string) string   { return volumePrefix + id }
func snapshotKey(id string) string { return snapshotPrefix + id }

// EBS error codes.
const (
	CodeInvalidVolumeNotFound       = "InvalidVolume.NotFound"
	CodeInvalidVolumeMalformed      = "InvalidVolumeID.Malformed"
	CodeInvalidVolumeZoneMismatch   = "InvalidVolume.ZoneMismatch"
	CodeInvalidSnapshotNotFound     = "InvalidSnapshot.NotFound"
	CodeInvalidSnapshotMalformed    = "InvalidSnapshotID.Malformed"
	CodeInvalidAttachmentNotFound   = "InvalidAttachment.NotFound"
	CodeInvalidZoneNotFound         = "InvalidZone.NotFound"
	CodeVolumeInUse                 = "VolumeInUse"
	CodeIncorrectState              = "IncorrectState"
	CodeIncorrectInstanceState      = "IncorrectInstanceState"
	CodeIncorrectModificationState  = "IncorrectModificationState"
	CodeIdempotentParameterMismatch = "IdempotentParameterMismatch"
	CodeInvalidParameterDependency  = "InvalidParameterDependency"
	CodeUnknownVolumeType           = "UnknownVolumeType"
	CodeInvalidModificationNotFound = "InvalidVolumeModification.NotFound"
)

var (
	volumeIDPattern   = regexp.MustCompile(`^vol-[0-9a-f]{8,17}$`)
	snapshotIDPattern = regexp.MustCompile(`^snap-[0-9a-f]{8,17}$`)
)

// CheckVolumeID refuses what cannot be a volume id, as EC2 does.
func CheckVolumeID(id string) error {
	if !volumeIDPattern.MatchString(id) {
		return awserr.Errorf(CodeInvalidVolumeMalformed, "Invalid id: \"%s\" (expecting \"vol-...\")", id)
	}
	return nil
}

// CheckSnapshotID refuses what cannot be a snapshot id, as EC2 does.
func CheckSnapshotID(id string) error {
	if !snapshotIDPattern.MatchString(id) {
		return awserr.Errorf(CodeInvalidSnapshotMalformed, "Invalid id: \"%s\" (expecting \"snap-...\")", id)
	}
	return nil
}

func volumeNotFound(id string) error {
	return awserr.Errorf(CodeInvalidVolumeNotFound, "The volume '%s' does not exist.", id)
}

// Volumes lists a region's volumes, or every volume when region is empty.
func (s *Service) Volumes(ctx context.Context, region string) ([]Volume, error) {
	all, err := store.List[Volume](ctx, s.Store, volumePrefix)
	if region == "" || err != nil {
		return all, err
	}
	return inRegion(all, region, func(v Volume) string { return v.Region }), nil
}

// GetVolume reads a volume of a region (any region when region is empty).
func (s *Service) GetVolume(ctx context.Context, region, id string) (*Volume, error) {
	v, _, err := s.volumeAt(ctx, region, id)
	return v, err
}

// volumeAt reads a volume with its revision; a volume of another region
// does not exist here.
func (s *Service) volumeAt(ctx context.Context, region, id string) (*Volume, int64, error) {
	if err := CheckVolumeID(id); err != nil {
		return nil, 0, err
	}
	var v Volume
	rev, err := s.Store.Get(ctx, volumeKey(id), &v)
	if errors.Is(err, store.ErrNotFound) || (err == nil && region != "" && v.Region != region) {
		return nil, 0, volumeNotFound(id)
	} else if err != nil {
		return nil, 0, fmt.Errorf("read volume %s: %w", id, err)
	}
	return &v, rev, nil
}

// changeVolume reads a volume, lets change decide on it and records the
// write in t, depending on the volume being as it was read.
func (s *Service) changeVolume(ctx context.Context, t *store.Txn, region, id string, change func(*Volume) error) (*Volume, error) {
	v, rev, err := s.volumeAt(ctx, region, id)
	if err != nil {
		return nil, err
	}
	before, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode volume %s: %w", id, err)
	}
	if err := change(v); err != nil {
		return nil, err
	}
	// An unchanged volume is not written: the write would wake the host's
	// reconciler for nothing, and its own reports would wake it forever.
	if after, err := json.Marshal(v); err == nil && bytes.Equal(before, after) {
		return v, nil
	}
	t.Unchanged(volumeKey(id), rev)
	t.Put(volumeKey(id), v)
	return v, nil
}

// UpdateVolume changes a volume record in a transaction of its own.
func (s *Service) UpdateVolume(ctx context.Context, region, id string, change func(*Volume) error) (*Volume, error) {
	var out *Volume
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		var err error
		out, err = s.changeVolume(ctx, t, region, id, change)
		return err
	})
	return out, err
}

// DeleteVolume starts deleting an available volume; the host's reconciler
// removes its bytes and then the record.
func (s *Service) DeleteVolume(ctx context.Context, region, id string) error {
	_, err := s.UpdateVolume(ctx, region, id, func(v *Volume) error {
		switch {
		case len(v.Attachments) > 0:
			return awserr.Errorf(CodeVolumeInUse, "Volume %s is currently attached to %s", v.ID, v.Attachments[0].InstanceID)
		case v.State == VolumeDeleting:
			return nil // asked again while it goes: as EC2, no error
		case v.State != VolumeAvailable && v.State != VolumeError:
			return awserr.Errorf(CodeIncorrectState, "The volume '%s' is in the '%s' state.", v.ID, v.State)
		}
		v.State = VolumeDeleting
		return nil
	})
	return err
}
