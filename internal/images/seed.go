package images

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// PauseTag is the sandbox image's tag; nodes pull it by the name upstream uses.
const PauseTag = "3.10"

// Platform lists the images keks seeds: repository:tag in keks's registry.
// docker.io's library/busybox and registry.k8s.io's pause are served under
// the names those registries use, as the nodes' mirrors ask for them.
func Platform(coreDNSBinary, coreDNSTag string) map[string]func() (v1.Image, error) {
	return map[string]func() (v1.Image, error){
		"pause:" + PauseTag:         Pause,
		"eks/pause:" + PauseTag:     Pause,
		"library/busybox:latest":    Busybox,
		"library/busybox:1.35":      Busybox,
		"keks/shell:latest":         Shell,
		"keks/hello:latest":         Hello,
		"eks/coredns:" + coreDNSTag: func() (v1.Image, error) { return CoreDNS(coreDNSBinary) },
	}
}

// Seed pushes each image the registry lacks or holds in another build,
// through transport. The builds are reproducible (no timestamps), so an
// unchanged image is not pushed again.
func Seed(ctx context.Context, host string, transport http.RoundTripper, images map[string]func() (v1.Image, error), log *slog.Logger) error {
	for ref, build := range images {
		tag, err := name.NewTag(host+"/"+ref, name.Insecure)
		if err != nil {
			return err
		}
		img, err := build()
		if err != nil {
			log.Warn("image not built", "image", ref, "err", err)
			continue
		}
		digest, err := img.Digest()
		if err != nil {
			return err
		}
		if d, err := remote.Head(tag, remote.WithTransport(transport), remote.WithContext(ctx)); err == nil && d.Digest == digest {
			continue
		}
		if err := remote.Write(tag, img, remote.WithTransport(transport), remote.WithContext(ctx)); err != nil {
			return fmt.Errorf("seed %s: %w", ref, err)
		}
		log.Info("image seeded", "image", tag.String())
	}
	return nil
}
