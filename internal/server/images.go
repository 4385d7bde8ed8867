package server

import (
	"context"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/keksdev/keks/internal/images"
	"github.com/keksdev/keks/internal/k8sbuild"
	"github.com/keksdev/keks/internal/kubeversions"
	"github.com/keksdev/keks/internal/registry"
)

// imageBuilder makes the public images keks does not seed at start when a
// node first pulls one: the test images of every Kubernetes version whose
// conformance suite is built (that build may come after the server
// started), and a platform image whose seeding has not finished yet.
type imageBuilder struct {
	k8s      k8sbuild.Dir
	caFile   string // keks's CA, which the test images trust
	platform map[string]func() (v1.Image, error)
	host     string
	reg      *registry.Registry
	log      *slog.Logger

	mu sync.Mutex // one build at a time: three nodes pulling agnhost at once build it once
}

// publicRepositories are every repository the builder may fill.
func (b *imageBuilder) publicRepositories() map[string]bool {
	return registry.PublicRepositories(append(slices.Collect(maps.Keys(b.platform)), images.TestImageRepositories()...)...)
}

// build is registry.Registry's Build.
func (b *imageBuilder) build(ctx context.Context, repository, tag string) bool {
	ref := repository + ":" + tag
	b.mu.Lock()
	defer b.mu.Unlock()
	buildImage, ok := b.platform[ref]
	if !ok {
		buildImage, ok = b.testImages()[ref]
	}
	if !ok {
		return false
	}
	b.log.Info("building image on its first pull", "image", ref)
	// Seed skips an image a concurrent pull has already had built.
	if err := images.Seed(ctx, b.host, b.reg.Transport(), map[string]func() (v1.Image, error){ref: buildImage}, b.log); err != nil {
		b.log.Error("build image", "image", ref, "err", err)
		return false
	}
	return true
}

// testImages are the conformance suites' images, of every version built.
func (b *imageBuilder) testImages() map[string]func() (v1.Image, error) {
	out := map[string]func() (v1.Image, error){}
	ca, err := os.ReadFile(b.caFile)
	if err != nil {
		b.log.Warn("test images will not trust keks's CA", "err", err)
	}
	for _, v := range kubeversions.All() {
		if !b.k8s.ConformanceBuilt(v) {
			continue
		}
		listed, err := b.k8s.TestImageList(v)
		if err != nil {
			continue
		}
		src := images.TestImageSource{
			Program: func(name string) string { return b.k8s.TestImageProgram(v, name) },
			File:    func(name string) string { return b.k8s.TestImageFile(v, name) },
			CACert:  ca,
			Busybox: images.BusyboxBinary(b.k8s.BusyboxPath()),
		}
		// The newest version's build of a shared name wins: All lists oldest first.
		maps.Copy(out, images.TestImages(src, listed))
	}
	return out
}

// refresh rebuilds, at start, the test images an earlier run of the suite
// left in the registry, so that one built by an older keks or for another
// CA is not served on: Seed pushes only those whose build has changed.
func (b *imageBuilder) refresh(ctx context.Context) error {
	stale := map[string]func() (v1.Image, error){}
	for ref, build := range b.testImages() {
		tag, err := name.NewTag(b.host+"/"+ref, name.Insecure)
		if err != nil {
			continue
		}
		if _, err := remote.Head(tag, remote.WithTransport(b.reg.Transport()), remote.WithContext(ctx)); err == nil {
			stale[ref] = build
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return images.Seed(ctx, b.host, b.reg.Transport(), stale, b.log)
}

// upstreamImages are the images of the upstream add-on programs keks
// builds that run alone in theirs (the EBS CSI driver has its own).
func upstreamImages(k8s k8sbuild.Dir) map[string]string {
	out := map[string]string{}
	for _, p := range k8sbuild.AddonPrograms {
		if p.Name != k8sbuild.EBSCSIDriver.Name {
			out[p.Image()] = k8s.AddonProgramPath(p)
		}
	}
	return out
}
