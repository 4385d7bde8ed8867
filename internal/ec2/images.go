package ec2

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"time"

	"github.com/keksdev/keks/internal/kubeversions"
)

// NodeImageOwner is the account EKS's optimized AMIs belong to.
const NodeImageOwner = "602401143452"

// NodeImage is an image an EKS node boots: keks's stand-in for the EKS
// optimized Amazon Linux 2023 AMI of one Kubernetes version.
type NodeImage struct {
	ID         string
	Name       string
	Minor      string // "1.37"
	Patch      string // "1.37.2"
	Build      string // "20261101"
	Created    time.Time
	Deprecates time.Time // EKS AMIs are deprecated two years after their build
	SnapshotID string
}

var nodeImageID = regexp.MustCompile(`^ami-keks-(\d+)-(\d+)-(\d+)-(\d{8})$`)

// LookupNodeImage reads a node image id: a patch of a Kubernetes minor
// keks runs and a build date. ok is false for any other id.
func LookupNodeImage(id string) (img NodeImage, ok bool) {
	m := nodeImageID.FindStringSubmatch(id)
	if m == nil {
		return NodeImage{}, false
	}
	// Any patch of a minor keks runs: an instance launched by an older keks
	// keeps the image of the patch it had then.
	v, ok := kubeversions.Lookup(m[1] + "." + m[2])
	if !ok {
		return NodeImage{}, false
	}
	created, err := time.Parse("20060102", m[4])
	if err != nil {
		return NodeImage{}, false
	}
	sum := sha256.Sum256([]byte(id))
	return NodeImage{ID: id, Name: fmt.Sprintf("amazon-eks-node-al2023-x86_64-standard-%s-v%s", v.Minor, m[4]), Minor: v.Minor, Patch: m[1] + "." + m[2] + "." + m[3],
		Build: m[4], Created: created, Deprecates: created.AddDate(2, 0, 0), SnapshotID: "snap-" + hex.EncodeToString(sum[:])[:17]}, true
}

// NodeImages are the current node images: one per Kubernetes version keks runs.
func NodeImages() []NodeImage {
	var out []NodeImage
	for _, v := range kubeversions.All() {
		if img, ok := LookupNodeImage(kubeversions.NodeImageID(v.NodeReleaseVersion())); ok {
			out = append(out, img)
		}
	}
	return out
}
