package images

import (
	"compress/gzip"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// ControlPlaneComponents are the programs of a control-plane image, each a
// name of the one multi-call Kubernetes binary (at /usr/local/bin/kube).
var ControlPlaneComponents = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"}

// ControlPlane is the image the kubernetes runtime runs a control plane's
// members from: a Kubernetes version's multi-call binary under each
// component's name, and keks (its authenticator and KMS plugin) at
// /usr/local/bin/keks, on EKS Distro's minimal base with the C library
// both are linked with. Two layers: the version's (shared by every image of
// that version) and keks's (which changes with each keks build), dated at
// the epoch so that the same binaries always make the same digest, which is
// how a registry that already has the image is told.
func ControlPlane(kubeBinary, keksBinary string) (v1.Image, error) {
	base, err := eksDistroBase()
	if err != nil {
		return nil, err
	}
	if err := base.addLibrariesFlat(kubeBinary); err != nil {
		return nil, err
	}
	if err := base.addLibrariesFlat(keksBinary); err != nil {
		return nil, err
	}
	if err := base.addHostFile(kubeBinary, "usr/local/bin/kube", 0o755); err != nil {
		return nil, fmt.Errorf("%w (run keks build-kubernetes)", err)
	}
	for _, c := range ControlPlaneComponents {
		base.symlink("usr/local/bin/"+c, "kube")
	}
	keks := newLayer()
	if err := keks.addHostFile(keksBinary, "usr/local/bin/keks", 0o755); err != nil {
		return nil, err
	}
	// The fastest compression: the image is pushed once per build over
	// loopback or a local network, where bytes are cheap and a core is not.
	fast := tarball.WithCompressionLevel(gzip.BestSpeed)
	var layers []v1.Layer
	for _, l := range []*layer{base, keks} {
		ly, err := l.build(epoch, fast)
		if err != nil {
			return nil, err
		}
		layers = append(layers, ly)
	}
	return imageOf(layers, epoch, []string{
		"Kubernetes control-plane components (keks build from the Go module proxy) on EKS Distro's minimal base layout",
		"keks (authenticator, KMS plugin, etcd member start)",
	}, func(c *v1.Config) { c.User = "0" })
}
