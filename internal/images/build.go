// Package images builds the images keks provides, locally and with no
// download: the pod sandbox (pause), CoreDNS, busybox, a shell image with a
// working HTTP client and a sample web application, from Debian's and
// keks's own binaries; and pushes them into keks's registry. An image seeded
// under an upstream name is laid out and configured as upstream's is, so
// that what the Kubernetes docs run in it works the same.
package images

import (
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// defaultPath is the PATH docker-library's images set, and the one
// BuildKit gives every image that sets none.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// image makes a one-layer image for the host's platform (its binaries are
// the host's), dated created, with one history entry saying what it holds:
// `docker history` and `crane config` show it.
func image(l *layer, created time.Time, createdBy string, configure func(*v1.Config)) (v1.Image, error) {
	ly, err := l.build(created)
	if err != nil {
		return nil, err
	}
	return imageOf([]v1.Layer{ly}, created, []string{createdBy}, configure)
}

// imageOf makes an image of layers, one history entry per layer saying
// what it holds.
func imageOf(layers []v1.Layer, created time.Time, createdBy []string, configure func(*v1.Config)) (v1.Image, error) {
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", runtime.GOARCH
	cfg.Created = v1.Time{Time: created}
	cfg.History = nil
	for _, by := range createdBy {
		cfg.History = append(cfg.History, v1.History{Created: v1.Time{Time: created}, CreatedBy: by})
	}
	cfg.Config.Env = []string{defaultPath}
	configure(&cfg.Config)
	return mutate.ConfigFile(img, cfg)
}

// epoch dates what keks compiles itself, as distroless and ko date theirs:
// nothing in such an image has a release date of its own to carry.
var epoch = time.Unix(0, 0).UTC()
