package ec2

import (
	"context"
	"time"

	"github.com/keksdev/keks/internal/awserr"
)

// Modification states, as EC2 names them.
const (
	ModificationModifying  = "modifying"
	ModificationOptimizing = "optimizing"
	ModificationCompleted  = "completed"
	ModificationFailed     = "failed"
)

// VolumeModification is a ModifyVolume in progress or done: the volume
// takes Target once the host has grown it (optimizing).
type VolumeModification struct {
	State         string     `json:"state"`
	StatusMessage string     `json:"statusMessage,omitempty"`
	Progress      int        `json:"progress"` // percent
	StartTime     time.Time  `json:"startTime"`
	EndTime       time.Time  `json:"endTime,omitzero"`
	Original      VolumeSpec `json:"original"`
	Target        VolumeSpec `json:"target"`
}

// InProgress tells whether the modification is still under way.
func (m *VolumeModification) InProgress() bool {
	return m != nil && (m.State == ModificationModifying || m.State == ModificationOptimizing)
}

// ModifyVolume starts changing a volume's size, type, IOPS, throughput or
// multi-attach; the host's reconciler grows it. As on EC2, a request that
// changes nothing still makes a modification.
func (s *Service) ModifyVolume(ctx context.Context, region, id string, req VolumeRequest) (*VolumeModification, error) {
	if req.Size == nil && req.Type == "" && req.Iops == nil && req.Throughput == nil && req.MultiAttach == nil {
		return nil, awserr.Errorf(CodeMissingParameter, "The request must contain at least one of the parameters size, volumeType, iops, throughput or multiAttachEnabled")
	}
	var out VolumeModification
	_, err := s.UpdateVolume(ctx, region, id, func(v *Volume) error {
		if v.State != VolumeAvailable {
			return awserr.Errorf(CodeIncorrectState, "Volume '%s' is in the '%s' state.", v.ID, v.State)
		}
		if v.Modification.InProgress() {
			return awserr.Errorf(CodeIncorrectModificationState, "Volume %s is already being modified (%s).", v.ID, v.Modification.State)
		}
		target, err := modifiedSpec(v.Spec(), req)
		if err != nil {
			return err
		}
		if target.MultiAttach != v.MultiAttach && len(v.Attachments) > 0 {
			return awserr.Errorf(CodeIncorrectState, "Multi-Attach can be changed only while volume '%s' is detached.", v.ID)
		}
		out = VolumeModification{State: ModificationModifying, StartTime: time.Now().UTC(), Original: v.Spec(), Target: target}
		v.Modification = &out
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
