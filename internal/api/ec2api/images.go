package ec2api

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// Image error codes.
const (
	codeAMINotFound  = "InvalidAMIID.NotFound"
	codeAMIMalformed = "InvalidAMIID.Malformed"
)

func init() {
	awserr.RegisterStatus(codeAMINotFound, http.StatusBadRequest)
	awserr.RegisterStatus(codeAMIMalformed, http.StatusBadRequest)
}

// amiID is the shape of an AMI id EC2 accepts; keks's own ami-keks-... ids
// are known by the model.
var amiID = regexp.MustCompile(`^ami-[0-9a-f]{8}([0-9a-f]{9})?$`)

// imageTime is how EC2 writes an image's dates.
func imageTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

const (
	imageRootDevice = "/dev/xvda"
	imageOwnerAlias = "amazon"
)

func imageDescription(img ec2.NodeImage) string {
	return "EKS-optimized Kubernetes node based on Amazon Linux 2023, (k8s: " + img.Patch + ", containerd: 2.1.*)"
}

// imageFields are the filterable fields of a node image.
func imageFields(img ec2.NodeImage) map[string]string {
	return map[string]string{"image-id": img.ID, "name": img.Name, "state": "available", "architecture": "x86_64",
		"owner-alias": imageOwnerAlias, "owner-id": ec2.NodeImageOwner, "is-public": "true", "image-type": "machine",
		"platform-details": "Linux/UNIX", "usage-operation": "RunInstances", "root-device-type": "ebs", "root-device-name": imageRootDevice,
		"virtualization-type": "hvm", "hypervisor": "xen", "description": imageDescription(img), "creation-date": imageTime(img.Created),
		"ena-support": "true", "sriov-net-support": "simple", "block-device-mapping.device-name": imageRootDevice,
		"block-device-mapping.snapshot-id": img.SnapshotID, "block-device-mapping.volume-size": "20",
		"block-device-mapping.volume-type": "gp3", "block-device-mapping.delete-on-termination": "true", "block-device-mapping.encrypted": "false",
		"image-allowed": "true", "imds-support": "v2.0"}
}

func imageNode(img ec2.NodeImage) awsproto.Node {
	ebs := awsproto.El("ebs", awsproto.Tx("snapshotId", img.SnapshotID), awsproto.Int("volumeSize", 20), awsproto.Bool("deleteOnTermination", true),
		awsproto.Tx("volumeType", "gp3"), awsproto.Int("iops", 3000), awsproto.Bool("encrypted", false), awsproto.Int("throughput", 125))
	return awsproto.El("", awsproto.Tx("imageId", img.ID), awsproto.Tx("imageLocation", imageOwnerAlias+"/"+img.Name), awsproto.Tx("imageState", "available"),
		awsproto.Tx("imageOwnerId", ec2.NodeImageOwner), awsproto.Tx("creationDate", imageTime(img.Created)), awsproto.Bool("isPublic", true),
		awsproto.Tx("architecture", "x86_64"), awsproto.Tx("imageType", "machine"), awsproto.Tx("platformDetails", "Linux/UNIX"),
		awsproto.Tx("usageOperation", "RunInstances"), awsproto.Tx("imageOwnerAlias", imageOwnerAlias), awsproto.Tx("name", img.Name),
		awsproto.Tx("description", imageDescription(img)), awsproto.Tx("rootDeviceType", "ebs"), awsproto.Tx("rootDeviceName", imageRootDevice),
		awsproto.List("blockDeviceMapping", "item", []awsproto.Node{awsproto.El("", awsproto.Tx("deviceName", imageRootDevice), ebs)}),
		awsproto.Tx("virtualizationType", "hvm"), awsproto.Tx("hypervisor", "xen"), awsproto.Bool("enaSupport", true),
		awsproto.Tx("sriovNetSupport", "simple"), awsproto.Tx("bootMode", "uefi-preferred"), awsproto.Tx("imdsSupport", "v2.0"),
		awsproto.Tx("deprecationTime", imageTime(img.Deprecates)), awsproto.El("tagSet"))
}

func (h *Handler) describeImages(_ *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeImages", true)
	if err != nil {
		return nil, err
	}
	pg, err := pageParams(c, "ImageId", "imageIds")
	if err != nil {
		return nil, err
	}
	includeDeprecated, err := boolParam(c, "IncludeDeprecated")
	if err != nil {
		return nil, err
	}
	if _, err := boolParam(c, "IncludeDisabled"); err != nil {
		return nil, err
	}
	ids := listParam(c, "ImageId")
	images := ec2.NodeImages()
	var missing []string
	for _, id := range ids {
		if img, ok := ec2.LookupNodeImage(id); ok {
			if !slices.ContainsFunc(images, func(i ec2.NodeImage) bool { return i.ID == id }) {
				images = append(images, img) // an older build, still described by id
			}
			continue
		}
		if !amiID.MatchString(id) && !strings.HasPrefix(id, "ami-keks-") {
			return nil, awserr.Errorf(codeAMIMalformed, "Invalid id: \"%s\" (expecting \"ami-...\")", id)
		}
		missing = append(missing, id)
	}
	if len(missing) > 0 {
		return nil, awserr.Errorf(codeAMINotFound, "The image id '[%s]' does not exist", strings.Join(missing, ", "))
	}
	owners := listParam(c, "Owner")
	ownerOK := len(owners) == 0 || slices.ContainsFunc(owners, func(o string) bool {
		return o == imageOwnerAlias || o == ec2.NodeImageOwner
	})
	now := time.Now()
	var found []ec2.NodeImage
	for _, img := range images {
		if len(ids) > 0 && !slices.Contains(ids, img.ID) {
			continue
		}
		// A deprecated image shows when asked for by id, or with IncludeDeprecated.
		if !ownerOK || (now.After(img.Deprecates) && !includeDeprecated && len(ids) == 0) {
			continue
		}
		if matches(fs, imageFields(img), nil) {
			found = append(found, img)
		}
	}
	found, next := page(found, func(i ec2.NodeImage) string { return i.ID }, pg)
	out := make([]awsproto.Node, 0, len(found))
	for _, img := range found {
		out = append(out, imageNode(img))
	}
	return append([]awsproto.Node{awsproto.List("imagesSet", "item", out)}, nextToken(next)...), nil
}
