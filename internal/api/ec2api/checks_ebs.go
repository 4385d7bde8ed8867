package ec2api

import (
	"cmp"
	"context"
	"slices"
	"strconv"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// The EBS actions as the Service Authorization Reference lists them: a
// volume is arn:aws:ec2:<region>:<account>:volume/<id>, a snapshot
// arn:aws:ec2:<region>::snapshot/<id>; each carries its ec2: condition
// keys (ec2:VolumeSize, ec2:ParentSnapshot, ec2:SnapshotTime...).

// createVolume acts on the new volume, with what the request says of it,
// and on the snapshot it is made from.
func (e *ec2Call) createVolume() []awsproto.Check {
	form := e.c.Form
	keys := map[string][]string{
		"ec2:VolumeType": {cmp.Or(form.Get("VolumeType"), ec2.DefaultVolumeType)},
		"ec2:Encrypted":  {strconv.FormatBool(form.Get("Encrypted") == "true")},
	}
	if zone := e.zoneName(form.Get("AvailabilityZone"), form.Get("AvailabilityZoneId")); zone != "" {
		keys["ec2:AvailabilityZone"] = []string{zone}
	}
	snapshotID := form.Get("SnapshotId")
	size := form.Get("Size")
	if s := e.h.lookupSnapshot(e.ctx, e.c.Region, snapshotID); s != nil && size == "" {
		size = strconv.Itoa(s.VolumeSize)
	}
	for key, param := range map[string]string{"ec2:VolumeSize": size, "ec2:VolumeIops": form.Get("Iops"), "ec2:VolumeThroughput": form.Get("Throughput")} {
		if _, err := strconv.Atoi(param); err == nil {
			keys[key] = []string{param}
		}
	}
	if key := form.Get("KmsKeyId"); key != "" {
		keys["ec2:KmsKeyId"] = []string{key}
	}
	if arn := e.arn("snapshot", snapshotID); arn != "*" {
		keys["ec2:ParentSnapshot"] = []string{arn}
	}
	checks := e.creating("CreateVolume", "volume", keys)
	if snapshotID != "" {
		checks = append(checks, e.onSnapshot("ec2:CreateVolume", snapshotID))
	}
	return checks
}

// zoneName is the zone a request names, by name or id; "" when it names
// none of the region's.
func (e *ec2Call) zoneName(name, id string) string {
	zones := ec2.Zones(e.c.Region)
	if i := slices.IndexFunc(zones, func(z ec2.Zone) bool { return (name != "" && z.Name == name) || (name == "" && z.ID == id) }); i >= 0 {
		return zones[i].Name
	}
	return ""
}

// onVolumeNamed is an action on the volume of VolumeId.
func onVolumeNamed(action string) func(*ec2Call) []awsproto.Check {
	return func(e *ec2Call) []awsproto.Check {
		return []awsproto.Check{e.onVolume(action, e.c.Form.Get("VolumeId"))}
	}
}

// attachVolume acts on the instance and the volume.
func (e *ec2Call) attachVolume() []awsproto.Check {
	return []awsproto.Check{
		e.onInstance("ec2:AttachVolume", e.c.Form.Get("InstanceId")),
		e.onVolume("ec2:AttachVolume", e.c.Form.Get("VolumeId")),
	}
}

// detachVolume acts on the instance (the one named, or the one the volume
// is attached to) and the volume.
func (e *ec2Call) detachVolume() []awsproto.Check {
	volumeID, instanceID := e.c.Form.Get("VolumeId"), e.c.Form.Get("InstanceId")
	if instanceID == "" {
		if v := e.h.lookupVolume(e.ctx, e.c.Region, volumeID); v != nil && len(v.Attachments) == 1 {
			instanceID = v.Attachments[0].InstanceID
		}
	}
	return []awsproto.Check{e.onInstance("ec2:DetachVolume", instanceID), e.onVolume("ec2:DetachVolume", volumeID)}
}

// createSnapshot acts on the new snapshot and on the volume it copies.
func (e *ec2Call) createSnapshot() []awsproto.Check {
	volumeID := e.c.Form.Get("VolumeId")
	keys := map[string][]string{}
	if arn := e.arn("volume", volumeID); arn != "*" {
		keys["ec2:ParentVolume"] = []string{arn}
	}
	if v := e.h.lookupVolume(e.ctx, e.c.Region, volumeID); v != nil {
		keys["ec2:VolumeSize"] = []string{strconv.Itoa(v.Size)}
		keys["ec2:Encrypted"] = []string{strconv.FormatBool(v.Encrypted)}
	}
	return append(e.creating("CreateSnapshot", "snapshot", keys), e.onVolume("ec2:CreateSnapshot", volumeID))
}

func (e *ec2Call) deleteSnapshot() []awsproto.Check {
	return []awsproto.Check{e.onSnapshot("ec2:DeleteSnapshot", e.c.Form.Get("SnapshotId"))}
}

// deleteTags acts on each resource it untags, with the keys it removes
// (and the values it removes them at).
func (e *ec2Call) deleteTags() []awsproto.Check {
	keys := map[string][]string{}
	for k, v := range untagParams(e.c) {
		keys["aws:TagKeys"] = append(keys["aws:TagKeys"], k)
		if v != nil {
			keys["aws:RequestTag/"+k] = []string{*v}
		}
	}
	slices.Sort(keys["aws:TagKeys"])
	ids := listParam(e.c, "ResourceId")
	if len(ids) == 0 {
		ch := awsproto.Check{Action: "ec2:DeleteTags", Resource: "*"}
		addKeys(&ch, keys)
		return []awsproto.Check{ch}
	}
	checks := make([]awsproto.Check, 0, len(ids))
	for _, id := range ids {
		ch := e.onExisting("ec2:DeleteTags", id)
		addKeys(&ch, keys)
		checks = append(checks, ch)
	}
	return checks
}

func (e *ec2Call) onVolume(action, id string) awsproto.Check {
	ch := awsproto.Check{Action: action, Resource: e.arn("volume", id)}
	if ch.Resource == "*" {
		return ch
	}
	ch.Context = map[string][]string{"ec2:VolumeID": {id}}
	ch.ResourceTags = e.tagsOf(id)
	if v := e.h.lookupVolume(e.ctx, e.c.Region, id); v != nil {
		ch.Context["ec2:AvailabilityZone"] = []string{v.Zone}
		ch.Context["ec2:Encrypted"] = []string{strconv.FormatBool(v.Encrypted)}
		ch.Context["ec2:VolumeSize"] = []string{strconv.Itoa(v.Size)}
		ch.Context["ec2:VolumeType"] = []string{v.Type}
		if v.Iops > 0 {
			ch.Context["ec2:VolumeIops"] = []string{strconv.Itoa(v.Iops)}
		}
		if v.Throughput > 0 {
			ch.Context["ec2:VolumeThroughput"] = []string{strconv.Itoa(v.Throughput)}
		}
		if v.SnapshotID != "" {
			ch.Context["ec2:ParentSnapshot"] = []string{ec2.SnapshotARN(v.Region, v.SnapshotID)}
		}
		if v.Encrypted && v.KMSKeyID != "" {
			ch.Context["ec2:KmsKeyId"] = []string{v.KMSKeyID}
		}
	}
	return ch
}

func (e *ec2Call) onSnapshot(action, id string) awsproto.Check {
	ch := awsproto.Check{Action: action, Resource: e.arn("snapshot", id)}
	if ch.Resource == "*" {
		return ch
	}
	ch.Context = map[string][]string{"ec2:SnapshotID": {id}}
	ch.ResourceTags = e.tagsOf(id)
	if s := e.h.lookupSnapshot(e.ctx, e.c.Region, id); s != nil {
		ch.Context["ec2:Owner"] = []string{s.OwnerID}
		ch.Context["ec2:VolumeSize"] = []string{strconv.Itoa(s.VolumeSize)}
		ch.Context["ec2:Encrypted"] = []string{strconv.FormatBool(s.Encrypted)}
		ch.Context["ec2:SnapshotTime"] = []string{s.StartTime.UTC().Format("2006-01-02T15:04:05Z")}
		ch.Context["ec2:ParentVolume"] = []string{e.arnOf("volume", s.VolumeID)}
	}
	return ch
}

func (h *Handler) lookupVolume(ctx context.Context, region, id string) *ec2.Volume {
	if h.EC2 == nil || typeOfID(id) != "volume" {
		return nil
	}
	if v, err := h.EC2.GetVolume(ctx, region, id); err == nil {
		return v
	}
	return nil
}

func (h *Handler) lookupSnapshot(ctx context.Context, region, id string) *ec2.Snapshot {
	if h.EC2 == nil || typeOfID(id) != "snapshot" {
		return nil
	}
	if s, err := h.EC2.GetSnapshot(ctx, region, id); err == nil {
		return s
	}
	return nil
}
