package ec2api

import (
	"net/http"

	"strconv"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// modificationNode is a VolumeModification in EC2's XML.
func modificationNode(volumeID string, m *ec2.VolumeModification) awsproto.Node {
	o, t := m.Original, m.Target
	n := awsproto.El("", awsproto.Tx("volumeId", volumeID), awsproto.Tx("modificationState", m.State),
		awsproto.Int("targetSize", t.Size), awsproto.Tx("targetVolumeType", t.Type), awsproto.Bool("targetMultiAttachEnabled", t.MultiAttach),
		awsproto.Int("originalSize", o.Size), awsproto.Tx("originalVolumeType", o.Type), awsproto.Bool("originalMultiAttachEnabled", o.MultiAttach),
		awsproto.Int("progress", m.Progress), awsproto.Time("startTime", m.StartTime))
	for _, v := range []struct {
		name  string
		value int
	}{{"targetIops", t.Iops}, {"targetThroughput", t.Throughput}, {"originalIops", o.Iops}, {"originalThroughput", o.Throughput}} {
		if v.value > 0 {
			n.Kids = append(n.Kids, awsproto.Int(v.name, v.value))
		}
	}
	if !m.EndTime.IsZero() {
		n.Kids = append(n.Kids, awsproto.Time("endTime", m.EndTime))
	}
	if m.StatusMessage != "" {
		n.Kids = append(n.Kids, awsproto.Tx("statusMessage", m.StatusMessage))
	}
	return n
}

func (h *Handler) modifyVolume(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, err := required(c, "VolumeId", "volumeId")
	if err != nil {
		return nil, err
	}
	req, err := volumeRequest(c)
	if err != nil {
		return nil, err
	}
	m, err := h.EC2.ModifyVolume(r.Context(), c.Region, id, req)
	if err != nil {
		return nil, err
	}
	n := modificationNode(id, m)
	n.Name = "volumeModification"
	return []awsproto.Node{n}, nil
}

// describeVolumesModifications answers each volume's latest modification;
// a volume named by id that was never modified is an error, as on EC2.
func (h *Handler) describeVolumesModifications(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeVolumesModifications", false)
	if err != nil {
		return nil, err
	}
	pg, err := pageParamsUpTo(c, "", "", modificationPageLimit)
	if err != nil {
		return nil, err
	}
	all, named, err := h.requestedVolumes(r.Context(), c)
	if err != nil {
		return nil, err
	}
	var found []ec2.Volume
	for i := range all {
		v := &all[i]
		if v.Modification == nil {
			if named {
				return nil, awserr.Errorf(ec2.CodeInvalidModificationNotFound, "Modification for volume '%s' does not exist.", v.ID)
			}
			continue
		}
		if matches(fs, modificationFields(v.ID, v.Modification), nil) {
			found = append(found, *v)
		}
	}
	found, next := page(found, func(v ec2.Volume) string { return v.ID }, pg)
	items := make([]awsproto.Node, 0, len(found))
	for i := range found {
		items = append(items, modificationNode(found[i].ID, found[i].Modification))
	}
	return append([]awsproto.Node{awsproto.List("volumeModificationSet", "item", items)}, nextToken(next)...), nil
}

// modificationFields are the filterable fields of a modification.
func modificationFields(volumeID string, m *ec2.VolumeModification) map[string]string {
	return map[string]string{"volume-id": volumeID, "modification-state": m.State, "start-time": m.StartTime.UTC().Format(filterTime),
		"original-size": strconv.Itoa(m.Original.Size), "original-volume-type": m.Original.Type, "original-iops": strconv.Itoa(m.Original.Iops),
		"original-multi-attach-enabled": strconv.FormatBool(m.Original.MultiAttach),
		"target-size":                   strconv.Itoa(m.Target.Size), "target-volume-type": m.Target.Type, "target-iops": strconv.Itoa(m.Target.Iops),
		"target-throughput": strconv.Itoa(m.Target.Throughput), "target-multi-attach-enabled": strconv.FormatBool(m.Target.MultiAttach)}
}
