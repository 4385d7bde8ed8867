package images

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// PauseTag is the sandbox image's tag; nodes pull it by the name upstream uses.
const PauseTag = "3.10"

// Sources says where the images' programs are built.
type Sources struct {
	CoreDNS, CoreDNSTag string        // keks's CoreDNS build and its add-on version
	Busybox             BusyboxBinary // keks's busybox build
	// Programs is the directory of keks's own programs (aws-check,
	// eks-pod-identity-agent), beside keks; AgentTag the agent add-on's version.
	Programs, AgentTag string
	// Upstream maps an image (repository:tag) to an upstream add-on
	// program's build (metrics-server...), its image's only program.
	Upstream map[string]string
	// EBSCSIDriver is the aws-ebs-csi-driver build, seeded as
	// EBSCSIDriverImage with the node plugin's block tools.
	EBSCSIDriver, EBSCSIDriverImage string
}

// Platform lists the images keks seeds from src: repository:tag in keks's registry.
// docker.io's library/busybox and registry.k8s.io's pause and busybox are
// served under the names those registries use, as the nodes' mirrors ask
// for them, with the tags the Kubernetes docs pull (busybox:1.28 in most
// task pages, registry.k8s.io/busybox:1.27.2 and untagged for probes and
// the downward API): every busybox tag is the one build of busybox.
func Platform(src Sources) map[string]func() (v1.Image, error) {
	bb := src.Busybox
	busyboxImage := sync.OnceValues(func() (v1.Image, error) { return Busybox(bb) })
	images := map[string]func() (v1.Image, error){
		"pause:" + PauseTag:     Pause,
		"eks/pause:" + PauseTag: EKSPause,
		"keks/shell:latest":     func() (v1.Image, error) { return Shell(bb) },
		"keks/hello:latest":     func() (v1.Image, error) { return Hello(bb) },
		"keks/aws-check:latest": func() (v1.Image, error) { return AWSCheck(bb, filepath.Join(src.Programs, "aws-check")) },
		"eks/eks-pod-identity-agent:" + src.AgentTag: func() (v1.Image, error) {
			return PodIdentityAgent(bb, filepath.Join(src.Programs, "eks-pod-identity-agent"))
		},
		"eks/coredns:" + src.CoreDNSTag: func() (v1.Image, error) { return CoreDNS(src.CoreDNS) },
	}
	images["keks/csi-sidecars:latest"] = func() (v1.Image, error) { return CSISidecars(filepath.Join(src.Programs, "csi-sidecars")) }
	if src.EBSCSIDriverImage != "" {
		images[src.EBSCSIDriverImage] = func() (v1.Image, error) { return EBSCSIDriver(src.EBSCSIDriver) }
	}
	for ref, binary := range src.Upstream {
		images[ref] = func() (v1.Image, error) { return UpstreamProgram(binary) }
	}
	for _, tag := range []string{"latest", "stable", "1", "1.28", "1.35", "1.36", "1.37"} {
		images["library/busybox:"+tag] = busyboxImage
	}
	for _, tag := range []string{"latest", "1.24", "1.27.2"} {
		images["busybox:"+tag] = busyboxImage
	}
	return images
}

// Seed pushes each image the registry lacks or holds in another build,
// through transport. The builds are reproducible (dated by their packages'
// builds or the epoch, never the clock), so an unchanged image is not
// pushed again.
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
