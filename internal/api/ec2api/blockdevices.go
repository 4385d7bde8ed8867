package ec2api

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// blockDevice is a volume attached to an instance, as the instance's block
// device mapping shows it: the EBS CSI driver picks free device names from
// these.
type blockDevice struct {
	volumeID string
	ec2.VolumeAttachment
}

func (d blockDevice) node() awsproto.Node {
	return awsproto.El("", awsproto.Tx("deviceName", d.Device), awsproto.El("ebs", awsproto.Tx("volumeId", d.volumeID),
		awsproto.Tx("status", d.State), awsproto.Time("attachTime", d.AttachTime), awsproto.Bool("deleteOnTermination", d.DeleteOnTermination)))
}

// blockDevices are the attachments of a region's volumes by instance, each
// instance's by device name.
func (h *Handler) blockDevices(ctx context.Context, region string) (map[string][]blockDevice, error) {
	volumes, err := h.EC2.Volumes(ctx, region)
	if err != nil {
		return nil, err
	}
	out := map[string][]blockDevice{}
	for _, v := range volumes {
		for _, a := range v.Attachments {
			out[a.InstanceID] = append(out[a.InstanceID], blockDevice{volumeID: v.ID, VolumeAttachment: a})
		}
	}
	for _, devices := range out {
		slices.SortFunc(devices, func(a, b blockDevice) int { return strings.Compare(a.Device, b.Device) })
	}
	return out, nil
}

// withBlockDevices adds the block-device-mapping.* filter fields of an
// instance's volumes to its own fields.
func withBlockDevices(fields map[string]string, devices []blockDevice) map[string][]string {
	out := make(map[string][]string, len(fields)+5)
	for k, v := range fields {
		out[k] = []string{v}
	}
	for _, d := range devices {
		out["block-device-mapping.device-name"] = append(out["block-device-mapping.device-name"], d.Device)
		out["block-device-mapping.volume-id"] = append(out["block-device-mapping.volume-id"], d.volumeID)
		out["block-device-mapping.status"] = append(out["block-device-mapping.status"], d.State)
		out["block-device-mapping.attach-time"] = append(out["block-device-mapping.attach-time"], d.AttachTime.UTC().Format(filterTime))
		out["block-device-mapping.delete-on-termination"] = append(out["block-device-mapping.delete-on-termination"], strconv.FormatBool(d.DeleteOnTermination))
	}
	return out
}
