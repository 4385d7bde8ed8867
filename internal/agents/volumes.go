package agents

import "regexp"

// EBS volumes of instances on agents. No block device reaches across
// hosts here (no NBD, NVMe-oF or iSCSI), so a volume's bytes travel: the
// host of the instance that attaches it downloads them (VolumeDataPath),
// makes the loop device and by-id link the EBS CSI driver finds, and
// reports it (VolumeStatusPath); once no instance of the host wants it,
// the host lets the device go, uploads the bytes back (a check-in, PUT
// VolumeDataPath) and deletes its copy. Snapshots of a volume a host holds
// are taken by that host and uploaded (SnapshotDataPath). Data travels as
// internal/ebs's sparse stream (ebs.SendSparse, ebs.ReceiveSparse).
const (
	// VolumeDataPath + <volume id>: GET downloads the bytes of a volume
	// attached or attaching to an instance of the host; PUT checks in the
	// bytes of a volume the host holds (the answer means keks has them:
	// the host may delete its copy).
	VolumeDataPath = "/keks/agents/v1/volume-data/"
	// SnapshotDataPath + <snapshot id>: PUT the bytes of a pending
	// snapshot of a volume the host holds; the answer completes it.
	SnapshotDataPath = "/keks/agents/v1/snapshot-data/"
	// VolumeStatusPath: POST VolumeStatus.
	VolumeStatusPath = "/keks/agents/v1/volume-status"
)

// What an agent is asked to do with an assigned volume.
const (
	// WantAttached: hold the bytes (download them once), with the loop
	// device and by-id link, grown to SizeBytes; report VolumeAttached.
	WantAttached = "attached"
	// WantReturned: once the device is unused (or at once with Force),
	// remove the link and loop device, check the bytes in, delete the
	// local copy.
	WantReturned = "returned"
)

// AssignedVolume is a volume the host holds, or is to hold.
type AssignedVolume struct {
	ID        string `json:"id"`
	Want      string `json:"want"` // WantAttached or WantReturned
	SizeBytes int64  `json:"sizeBytes"`
	// Held: keks records the host as holding the bytes. Until then a
	// local copy is not the volume's (it may be older than keks's) and is
	// downloaded again.
	Held bool `json:"held,omitempty"`
	// Force lets the device go even while it is in use (DetachVolume's
	// Force, or the instance terminated).
	Force bool `json:"force,omitempty"`
	// Snapshots are pending snapshots of the volume whose bytes the host
	// must upload (SnapshotDataPath), as the volume is when it takes them.
	Snapshots []string `json:"snapshots,omitempty"`
}

// Volume states an agent reports.
const (
	// VolumeAttached: the host holds the bytes, and the device and link
	// are made, SizeBytes long.
	VolumeAttached = "attached"
)

// VolumeStatus is an agent's report on an assigned volume.
type VolumeStatus struct {
	ID        string `json:"id"`
	State     string `json:"state"` // VolumeAttached
	SizeBytes int64  `json:"sizeBytes"`
}

// VolumeIDPattern and SnapshotIDPattern are the ids a volume or snapshot
// may have before it names a file or a URL path.
var (
	VolumeIDPattern   = regexp.MustCompile(`^vol-[0-9a-f]{8,17}$`)
	SnapshotIDPattern = regexp.MustCompile(`^snap-[0-9a-f]{8,17}$`)
)
