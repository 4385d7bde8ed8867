package instance

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// busybox is Debian's busybox-static: the only binary the pause image needs.
const busybox = "/bin/busybox"

// pauseImage builds the sandbox image locally: busybox sleeping forever,
// since no registry can be reached to pull registry.k8s.io/pause.
func pauseImage() (v1.Image, error) {
	bin, err := os.ReadFile(busybox)
	if err != nil {
		return nil, fmt.Errorf("read %s (install busybox-static): %w", busybox, err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
		return nil, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "bin/busybox", Mode: 0o755, Size: int64(len(bin))}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Config.Entrypoint = []string{"/bin/busybox", "sleep", "2147483647"}
	cfg.Config.StopSignal = "SIGKILL"
	return mutate.ConfigFile(img, cfg)
}

// importImages loads the images every node needs into its containerd.
func importImages(ctx context.Context, s *Spec) error {
	tarPath := filepath.Join(filepath.Dir(s.Dir), "pause.tar")
	if _, err := os.Stat(tarPath); err != nil {
		img, err := pauseImage()
		if err != nil {
			return err
		}
		ref, err := name.ParseReference(PauseImage)
		if err != nil {
			return err
		}
		if err := tarball.WriteToFile(tarPath+".tmp", ref, img); err != nil {
			return fmt.Errorf("write pause image: %w", err)
		}
		if err := os.Rename(tarPath+".tmp", tarPath); err != nil {
			return err
		}
	}
	out, err := exec.CommandContext(ctx, "ctr", "--address", s.socket(), "--namespace", "k8s.io", "images", "import", "--no-unpack=false", tarPath).CombinedOutput()
	if err != nil {
		return fmt.Errorf("import pause image into %s: %w: %s", s.ID, err, out)
	}
	return nil
}
