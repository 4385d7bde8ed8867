package kubeversions

import (
	"strings"
	"time"
)

// nodeImageDate is the build date of keks's node images: one "AMI" per
// Kubernetes patch version, which never changes within a keks release.
const nodeImageDate = "20261101"

// NodeReleaseVersion is the release of keks's node image for v, in EKS's
// AMI release form ("1.37.2-20261101"): node groups report it, and SSM's
// public release_version parameters serve it.
func (v Version) NodeReleaseVersion() string { return v.Patch + "-" + nodeImageDate }

// NodeImageID is the image id of a node image release ("ami-keks-1-37-2-20261101"):
// what node groups' instances run and SSM's public image_id parameters name.
func NodeImageID(release string) string { return "ami-keks-" + strings.ReplaceAll(release, ".", "-") }

// NodeImageDate is when keks's node images were built, as SSM dates its
// public AMI parameters.
func NodeImageDate() time.Time {
	return day(nodeImageDate[:4] + "-" + nodeImageDate[4:6] + "-" + nodeImageDate[6:])
}
