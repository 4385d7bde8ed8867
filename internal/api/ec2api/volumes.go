package ec2api

import (
	"context"
	"net/http"
	"slices"
	"strconv"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// EC2's page limits of the EBS Describe actions: a larger MaxResults
// answers this many.
const (
	volumePageLimit       = 500
	modificationPageLimit = 500
	snapshotPageLimit     = 1000
)

// filterTime is how EC2 filters compare times.
const filterTime = "2006-01-02T15:04:05.000Z"

// volumeNode is a Volume in EC2's XML: an item of volumeSet, or with its
// kids at the top of CreateVolume's answer.
func volumeNode(v *ec2.Volume) awsproto.Node {
	var attachments []awsproto.Node
	for i := range v.Attachments {
		attachments = append(attachments, attachmentNode(v.ID, &v.Attachments[i]))
	}
	n := awsproto.El("", awsproto.Tx("volumeId", v.ID), awsproto.Int("size", v.Size), awsproto.Tx("snapshotId", v.SnapshotID),
		awsproto.Tx("availabilityZone", v.Zone), awsproto.Tx("availabilityZoneId", zoneID(v.Region, v.Zone)), awsproto.Tx("status", v.Status()),
		awsproto.Time("createTime", v.CreateTime), awsproto.List("attachmentSet", "item", attachments), awsproto.Tx("volumeType", v.Type),
		awsproto.Bool("encrypted", v.Encrypted), awsproto.Bool("multiAttachEnabled", v.MultiAttach), awsproto.Bool("fastRestored", false), tagSet(v.Tags))
	if v.Iops > 0 {
		n.Kids = append(n.Kids, awsproto.Int("iops", v.Iops))
	}
	if v.Throughput > 0 {
		n.Kids = append(n.Kids, awsproto.Int("throughput", v.Throughput))
	}
	if v.Encrypted && v.KMSKeyID != "" {
		n.Kids = append(n.Kids, awsproto.Tx("kmsKeyId", v.KMSKeyID))
	}
	return n
}

// attachmentNode is a VolumeAttachment: an item of attachmentSet, or the
// answer of AttachVolume and DetachVolume.
func attachmentNode(volumeID string, a *ec2.VolumeAttachment) awsproto.Node {
	return awsproto.El("", awsproto.Tx("volumeId", volumeID), awsproto.Tx("instanceId", a.InstanceID), awsproto.Tx("device", a.Device),
		awsproto.Tx("status", a.State), awsproto.Time("attachTime", a.AttachTime), awsproto.Bool("deleteOnTermination", a.DeleteOnTermination))
}

func (h *Handler) createVolume(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	tags, err := tagSpecs(c, "volume")
	if err != nil {
		return nil, err
	}
	req, err := volumeRequest(c)
	if err != nil {
		return nil, err
	}
	encrypted, err := boolParam(c, "Encrypted")
	if err != nil {
		return nil, err
	}
	zone := c.Form.Get("AvailabilityZone")
	if id := c.Form.Get("AvailabilityZoneId"); id != "" {
		if zone != "" {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterCombo, "AvailabilityZone and AvailabilityZoneId can't be used together. Specify only one of these parameters.")
		}
		zone = id
	}
	v, err := h.EC2.CreateVolume(r.Context(), ec2.CreateVolumeInput{Region: c.Region, Account: c.Principal.Account, Zone: zone, VolumeRequest: req,
		SnapshotID: c.Form.Get("SnapshotId"), Encrypted: encrypted, KMSKeyID: c.Form.Get("KmsKeyId"), Tags: tags, ClientToken: c.Form.Get("ClientToken")})
	if err != nil {
		return nil, err
	}
	return volumeNode(v).Kids, nil
}

// volumeRequest reads what CreateVolume and ModifyVolume ask of a volume's
// size and performance.
func volumeRequest(c *awsproto.Call) (ec2.VolumeRequest, error) {
	var req ec2.VolumeRequest
	var err error
	if req.Size, err = optionalInt(c, "Size"); err != nil {
		return req, err
	}
	if req.Iops, err = optionalInt(c, "Iops"); err != nil {
		return req, err
	}
	if req.Throughput, err = optionalInt(c, "Throughput"); err != nil {
		return req, err
	}
	if c.Form.Has("MultiAttachEnabled") {
		on, err := boolParam(c, "MultiAttachEnabled")
		if err != nil {
			return req, err
		}
		req.MultiAttach = &on
	}
	req.Type = c.Form.Get("VolumeType")
	return req, nil
}

// optionalInt reads an integer parameter; nil when it is absent.
func optionalInt(c *awsproto.Call, name string) (*int, error) {
	n, ok, err := intParam(c, name)
	if err != nil || !ok {
		return nil, err
	}
	return &n, nil
}

func (h *Handler) describeVolumes(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeVolumes", true)
	if err != nil {
		return nil, err
	}
	pg, err := pageParamsUpTo(c, "VolumeId", "volumeIds", volumePageLimit)
	if err != nil {
		return nil, err
	}
	all, _, err := h.requestedVolumes(r.Context(), c)
	if err != nil {
		return nil, err
	}
	var found []ec2.Volume
	for i := range all {
		if matchesEach(fs, volumeFields(&all[i]), all[i].Tags) {
			found = append(found, all[i])
		}
	}
	found, next := page(found, func(v ec2.Volume) string { return v.ID }, pg)
	items := make([]awsproto.Node, 0, len(found))
	for i := range found {
		items = append(items, volumeNode(&found[i]))
	}
	return append([]awsproto.Node{awsproto.List("volumeSet", "item", items)}, nextToken(next)...), nil
}

// requestedVolumes are the region's volumes a Describe call names by
// VolumeId, all of them when it names none; a malformed or unknown id is
// an error, as on EC2. named says whether the call named any.
func (h *Handler) requestedVolumes(ctx context.Context, c *awsproto.Call) (vols []ec2.Volume, named bool, err error) {
	ids := listParam(c, "VolumeId")
	for _, id := range ids {
		if err := ec2.CheckVolumeID(id); err != nil {
			return nil, false, err
		}
	}
	all, err := h.EC2.Volumes(ctx, c.Region)
	if err != nil {
		return nil, false, err
	}
	if len(ids) == 0 {
		return all, false, nil
	}
	for _, id := range ids {
		i := slices.IndexFunc(all, func(v ec2.Volume) bool { return v.ID == id })
		if i < 0 {
			return nil, false, awserr.Errorf(ec2.CodeInvalidVolumeNotFound, "The volume '%s' does not exist.", id)
		}
	}
	return slices.DeleteFunc(all, func(v ec2.Volume) bool { return !slices.Contains(ids, v.ID) }), true, nil
}

// volumeFields are the filterable fields of a volume; attachment.* has a
// value per attachment.
func volumeFields(v *ec2.Volume) map[string][]string {
	f := map[string][]string{"volume-id": {v.ID}, "status": {v.Status()}, "availability-zone": {v.Zone}, "availability-zone-id": {zoneID(v.Region, v.Zone)},
		"size": {strconv.Itoa(v.Size)}, "volume-type": {v.Type}, "encrypted": {strconv.FormatBool(v.Encrypted)}, "snapshot-id": {v.SnapshotID},
		"create-time": {v.CreateTime.UTC().Format(filterTime)}, "multi-attach-enabled": {strconv.FormatBool(v.MultiAttach)}, "fast-restored": {"false"},
		"operator.managed": {"false"}}
	for _, a := range v.Attachments {
		f["attachment.instance-id"] = append(f["attachment.instance-id"], a.InstanceID)
		f["attachment.device"] = append(f["attachment.device"], a.Device)
		f["attachment.status"] = append(f["attachment.status"], a.State)
		f["attachment.attach-time"] = append(f["attachment.attach-time"], a.AttachTime.UTC().Format(filterTime))
		f["attachment.delete-on-termination"] = append(f["attachment.delete-on-termination"], strconv.FormatBool(a.DeleteOnTermination))
	}
	return f
}

func (h *Handler) deleteVolume(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, err := required(c, "VolumeId", "volumeId")
	if err != nil {
		return nil, err
	}
	if err := h.EC2.DeleteVolume(r.Context(), c.Region, id); err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Bool("return", true)}, nil
}

func (h *Handler) attachVolume(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	volumeID, err := required(c, "VolumeId", "volumeId")
	if err != nil {
		return nil, err
	}
	instanceID, err := required(c, "InstanceId", "instanceId")
	if err != nil {
		return nil, err
	}
	device, err := required(c, "Device", "device")
	if err != nil {
		return nil, err
	}
	a, err := h.EC2.AttachVolume(r.Context(), c.Region, volumeID, instanceID, device)
	if err != nil {
		return nil, err
	}
	return attachmentNode(volumeID, a).Kids, nil
}

func (h *Handler) detachVolume(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	volumeID, err := required(c, "VolumeId", "volumeId")
	if err != nil {
		return nil, err
	}
	force, err := boolParam(c, "Force")
	if err != nil {
		return nil, err
	}
	a, err := h.EC2.DetachVolume(r.Context(), c.Region, volumeID, c.Form.Get("InstanceId"), c.Form.Get("Device"), force)
	if err != nil {
		return nil, err
	}
	return attachmentNode(volumeID, a).Kids, nil
}
