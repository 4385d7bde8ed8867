package ec2api

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// snapshotNode is a Snapshot in EC2's XML: an item of snapshotSet, or with
// its kids at the top of CreateSnapshot's answer.
func snapshotNode(s *ec2.Snapshot) awsproto.Node {
	n := awsproto.El("", awsproto.Tx("snapshotId", s.ID), awsproto.Tx("volumeId", s.VolumeID), awsproto.Tx("status", s.State),
		awsproto.Time("startTime", s.StartTime), awsproto.Tx("progress", progress(s.Progress)), awsproto.Tx("ownerId", s.OwnerID),
		awsproto.Int("volumeSize", s.VolumeSize), awsproto.Tx("description", s.Description), awsproto.Bool("encrypted", s.Encrypted),
		awsproto.Tx("storageTier", "standard"), tagSet(s.Tags))
	if s.Encrypted && s.KMSKeyID != "" {
		n.Kids = append(n.Kids, awsproto.Tx("kmsKeyId", s.KMSKeyID))
	}
	if s.StateMessage != "" {
		n.Kids = append(n.Kids, awsproto.Tx("statusMessage", s.StateMessage))
	}
	if !s.CompletionTime.IsZero() {
		n.Kids = append(n.Kids, awsproto.Time("completionTime", s.CompletionTime))
	}
	return n
}

func progress(percent int) string { return strconv.Itoa(percent) + "%" }

func (h *Handler) createSnapshot(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	volumeID, err := required(c, "VolumeId", "volumeId")
	if err != nil {
		return nil, err
	}
	tags, err := tagSpecs(c, "snapshot")
	if err != nil {
		return nil, err
	}
	s, err := h.EC2.CreateSnapshot(r.Context(), c.Region, volumeID, c.Form.Get("Description"), tags)
	if err != nil {
		return nil, err
	}
	return snapshotNode(s).Kids, nil
}

// describeSnapshots answers the snapshots of the caller's account: keks
// has no public or shared ones. OwnerId.N narrows them to owners
// ("self", an account id; "amazon" owns none here).
func (h *Handler) describeSnapshots(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeSnapshots", true)
	if err != nil {
		return nil, err
	}
	pg, err := pageParamsUpTo(c, "SnapshotId", "snapshotIds", snapshotPageLimit)
	if err != nil {
		return nil, err
	}
	ids, owners := listParam(c, "SnapshotId"), listParam(c, "Owner")
	for i, o := range owners {
		if o == "self" {
			owners[i] = c.Principal.Account
		}
	}
	all, err := h.EC2.Snapshots(r.Context(), c.Region)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := ec2.CheckSnapshotID(id); err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(all, func(s ec2.Snapshot) bool { return s.ID == id && s.OwnerID == c.Principal.Account }) {
			return nil, awserr.Errorf(ec2.CodeInvalidSnapshotNotFound, "The snapshot '%s' does not exist.", id)
		}
	}
	var found []ec2.Snapshot
	for i := range all {
		s := &all[i]
		if s.OwnerID != c.Principal.Account || (len(ids) > 0 && !slices.Contains(ids, s.ID)) || (len(owners) > 0 && !slices.Contains(owners, s.OwnerID)) {
			continue
		}
		if matches(fs, snapshotFields(s), s.Tags) {
			found = append(found, *s)
		}
	}
	found, next := page(found, func(s ec2.Snapshot) string { return s.ID }, pg)
	items := make([]awsproto.Node, 0, len(found))
	for i := range found {
		items = append(items, snapshotNode(&found[i]))
	}
	return append([]awsproto.Node{awsproto.List("snapshotSet", "item", items)}, nextToken(next)...), nil
}

// snapshotFields are the filterable fields of a snapshot.
func snapshotFields(s *ec2.Snapshot) map[string]string {
	return map[string]string{"snapshot-id": s.ID, "volume-id": s.VolumeID, "status": s.State, "owner-id": s.OwnerID,
		"description": s.Description, "encrypted": strconv.FormatBool(s.Encrypted), "progress": progress(s.Progress),
		"start-time": s.StartTime.UTC().Format(filterTime), "volume-size": strconv.Itoa(s.VolumeSize), "storage-tier": "standard",
		"transfer-type": "standard"}
}

func (h *Handler) deleteSnapshot(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, err := required(c, "SnapshotId", "snapshotId")
	if err != nil {
		return nil, err
	}
	if err := h.EC2.DeleteSnapshot(r.Context(), c.Region, id); err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Bool("return", true)}, nil
}
