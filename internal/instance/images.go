package instance

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/keksdev/keks/internal/images"
)

// importImages loads the images every node needs into its containerd.
func importImages(ctx context.Context, s *Spec) error {
	tarPath := filepath.Join(filepath.Dir(s.Dir), "pause.tar")
	if _, err := os.Stat(tarPath); err != nil {
		img, err := images.Pause()
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
