package ec2

import (
	"github.com/keksdev/keks/internal/awserr"
)

// volumeType is what EC2 allows of one EBS volume type.
type volumeType struct {
	minSize, maxSize int // GiB
	// IOPS a user may provision (0: the type takes none), and at most how
	// many per GiB.
	minIops, maxIops, iopsPerGiB int
	iopsRequired                 bool // io1, io2: IOPS must be given
	multiAttach                  bool // io1, io2 may be attached to several instances
}

// volumeTypes are EBS's volume types with their limits.
var volumeTypes = map[string]volumeType{
	"gp2":      {minSize: 1, maxSize: 16384},
	"gp3":      {minSize: 1, maxSize: 16384, minIops: gp3BaselineIops, maxIops: 16000, iopsPerGiB: 500},
	"io1":      {minSize: 4, maxSize: 16384, minIops: 100, maxIops: 64000, iopsPerGiB: 50, iopsRequired: true, multiAttach: true},
	"io2":      {minSize: 4, maxSize: 65536, minIops: 100, maxIops: 256000, iopsPerGiB: 1000, iopsRequired: true, multiAttach: true},
	"st1":      {minSize: 125, maxSize: 16384},
	"sc1":      {minSize: 125, maxSize: 16384},
	"standard": {minSize: 1, maxSize: 1024},
}

// DefaultVolumeType is the type of a volume created without one.
const DefaultVolumeType = "gp2"

// gp2's IOPS follow its size; gp3 has a baseline that any size gets, and
// throughput that is provisioned apart from IOPS.
const (
	gp2IopsPerGiB         = 3
	gp2MinIops            = 100
	gp2MaxIops            = 16000
	gp3BaselineIops       = 3000
	gp3BaselineThroughput = 125
	gp3MaxThroughput      = 1000
	gp3ThroughputPerIops  = 0.25 // MiB/s per IOPS
)

// VolumeRequest is what CreateVolume or ModifyVolume asks of a volume's
// size and performance; nil members and an empty Type were not given.
type VolumeRequest struct {
	Size        *int
	Type        string
	Iops        *int
	Throughput  *int
	MultiAttach *bool
}

// VolumeSpec is a volume's size and performance as EC2 reports them.
type VolumeSpec struct {
	Size        int    `json:"size"`
	Type        string `json:"type"`
	Iops        int    `json:"iops,omitempty"`       // 0 for types that report none
	Throughput  int    `json:"throughput,omitempty"` // 0 but for gp3
	MultiAttach bool   `json:"multiAttach,omitempty"`
}

// Spec is the volume's size and performance.
func (v *Volume) Spec() VolumeSpec {
	return VolumeSpec{Size: v.Size, Type: v.Type, Iops: v.Iops, Throughput: v.Throughput, MultiAttach: v.MultiAttach}
}

func (v *Volume) setSpec(s VolumeSpec) {
	v.Size, v.Type, v.Iops, v.Throughput, v.MultiAttach = s.Size, s.Type, s.Iops, s.Throughput, s.MultiAttach
}

// newVolumeSpec decides a new volume's size and performance from a
// CreateVolume request; snapshotSize is the size of the snapshot it is
// made from (0 for none), which it must hold.
func newVolumeSpec(req VolumeRequest, snapshotID string, snapshotSize int) (VolumeSpec, error) {
	typ := req.Type
	if typ == "" {
		typ = DefaultVolumeType
	}
	t, err := lookupVolumeType(typ)
	if err != nil {
		return VolumeSpec{}, err
	}
	if err := parametersFit(typ, t, req); err != nil {
		return VolumeSpec{}, err
	}
	if req.Iops == nil && t.iopsRequired {
		return VolumeSpec{}, awserr.Errorf(CodeInvalidParameterCombo, "The parameter iops must be specified for %s volumes.", typ)
	}
	size := snapshotSize
	switch {
	case req.Size != nil:
		size = *req.Size
		if snapshotSize > 0 && size < snapshotSize {
			return VolumeSpec{}, awserr.Errorf(CodeInvalidParameterValue, "Volume of %dGiB is smaller than snapshot '%s', expect size >= %dGiB", size, snapshotID, snapshotSize)
		}
	case snapshotSize == 0:
		return VolumeSpec{}, awserr.Errorf(CodeMissingParameter, "The request must contain the parameter size/snapshot")
	}
	spec := VolumeSpec{Size: size, Type: typ, MultiAttach: req.MultiAttach != nil && *req.MultiAttach}
	if typ == "gp3" {
		spec.Iops, spec.Throughput = gp3BaselineIops, gp3BaselineThroughput
	}
	if req.Iops != nil {
		spec.Iops = *req.Iops
	}
	if req.Throughput != nil {
		spec.Throughput = *req.Throughput
	}
	return completeSpec(spec, t)
}

// modifiedSpec decides what ModifyVolume makes of a volume: what the
// request gives, what the volume has for the rest, and the new type's
// defaults where the old type's values do not carry over.
func modifiedSpec(cur VolumeSpec, req VolumeRequest) (VolumeSpec, error) {
	typ := req.Type
	if typ == "" {
		typ = cur.Type
	}
	t, err := lookupVolumeType(typ)
	if err != nil {
		return VolumeSpec{}, err
	}
	if err := parametersFit(typ, t, req); err != nil {
		return VolumeSpec{}, err
	}
	next := VolumeSpec{Size: cur.Size, Type: typ, MultiAttach: cur.MultiAttach && t.multiAttach}
	if req.Size != nil {
		if *req.Size < cur.Size {
			return VolumeSpec{}, awserr.Errorf(CodeInvalidParameterValue, "New size cannot be smaller than existing size")
		}
		next.Size = *req.Size
	}
	switch {
	case req.Iops != nil:
		next.Iops = *req.Iops
	case t.minIops == 0:
		// The type's IOPS follow from its size (gp2) or are not provisioned.
	case typ == "gp3" && cur.Type != "gp3":
		next.Iops = gp3BaselineIops
	case volumeTypes[cur.Type].minIops > 0:
		next.Iops = cur.Iops // provisioned IOPS carry over between provisioned types
	default:
		return VolumeSpec{}, awserr.Errorf(CodeInvalidParameterCombo, "The parameter iops must be specified for %s volumes.", typ)
	}
	switch {
	case req.Throughput != nil:
		next.Throughput = *req.Throughput
	case typ == "gp3" && cur.Type == "gp3":
		next.Throughput = cur.Throughput
	case typ == "gp3":
		next.Throughput = gp3BaselineThroughput
	}
	if req.MultiAttach != nil {
		next.MultiAttach = *req.MultiAttach
	}
	return completeSpec(next, t)
}

func lookupVolumeType(typ string) (volumeType, error) {
	t, ok := volumeTypes[typ]
	if !ok {
		return volumeType{}, awserr.Errorf(CodeUnknownVolumeType, "Unsupported volume type '%s' for volume creation.", typ)
	}
	return t, nil
}

// parametersFit refuses parameters the volume type does not take.
func parametersFit(typ string, t volumeType, req VolumeRequest) error {
	switch {
	case req.Iops != nil && t.minIops == 0:
		return awserr.Errorf(CodeInvalidParameterCombo, "The parameter iops is not supported for %s volumes.", typ)
	case req.Throughput != nil && typ != "gp3":
		return awserr.Errorf(CodeInvalidParameterCombo, "The parameter throughput is not supported for %s volumes.", typ)
	case req.MultiAttach != nil && *req.MultiAttach && !t.multiAttach:
		return awserr.Errorf(CodeInvalidParameterCombo, "The parameter multiAttachEnabled is not supported for %s volumes.", typ)
	}
	return nil
}

// completeSpec checks a spec against its type's limits and fills in what
// the type derives from its size: gp2's IOPS.
func completeSpec(s VolumeSpec, t volumeType) (VolumeSpec, error) {
	if s.Size < t.minSize {
		return s, awserr.Errorf(CodeInvalidParameterValue, "The volume size is invalid for %s volumes: %d GiB. %s volumes must be at least %d GiB in size. Please specify a volume size above the minimum limit.",
			s.Type, s.Size, s.Type, t.minSize)
	}
	if s.Size > t.maxSize {
		return s, awserr.Errorf(CodeInvalidParameterValue, "Volume of %dGiB is too large for volume type %s; maximum is %dGiB", s.Size, s.Type, t.maxSize)
	}
	if s.Type == "gp2" {
		s.Iops = min(max(s.Size*gp2IopsPerGiB, gp2MinIops), gp2MaxIops)
	}
	if t.minIops > 0 {
		if err := checkIops(s, t); err != nil {
			return s, err
		}
	}
	if s.Type == "gp3" {
		if err := checkThroughput(s); err != nil {
			return s, err
		}
	}
	return s, nil
}

func checkIops(s VolumeSpec, t volumeType) error {
	switch {
	case s.Iops < t.minIops:
		return awserr.Errorf(CodeInvalidParameterValue, "Volume iops of %d is too low; minimum is %d.", s.Iops, t.minIops)
	case s.Iops > t.maxIops:
		return awserr.Errorf(CodeInvalidParameterValue, "Volume iops of %d is too high; maximum is %d.", s.Iops, t.maxIops)
	// gp3's baseline is every size's; the ratio binds only above it.
	case s.Iops > s.Size*t.iopsPerGiB && !(s.Type == "gp3" && s.Iops <= gp3BaselineIops):
		return awserr.Errorf(CodeInvalidParameterValue, "Iops to volume size ratio of %.6f is too high; maximum is %.6f",
			float64(s.Iops)/float64(s.Size), float64(t.iopsPerGiB))
	}
	return nil
}

func checkThroughput(s VolumeSpec) error {
	switch {
	case s.Throughput < gp3BaselineThroughput:
		return awserr.Errorf(CodeInvalidParameterValue, "Volume throughput of %d is too low; minimum is %d.", s.Throughput, gp3BaselineThroughput)
	case s.Throughput > gp3MaxThroughput:
		return awserr.Errorf(CodeInvalidParameterValue, "Volume throughput of %d is too high; maximum is %d.", s.Throughput, gp3MaxThroughput)
	case float64(s.Throughput) > float64(s.Iops)*gp3ThroughputPerIops:
		return awserr.Errorf(CodeInvalidParameterValue, "Throughput (MiBps) to iops ratio of %.6f is too high; maximum is %.6f MiBps per iops.",
			float64(s.Throughput)/float64(s.Iops), gp3ThroughputPerIops)
	}
	return nil
}
