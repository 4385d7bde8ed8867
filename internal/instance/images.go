package instance

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/keksdev/keks/internal/images"
)

// importImages loads the images every node needs into its containerd.
func importImages(ctx context.Context, s *Spec) error {
	tarPath, err := pauseTarball(filepath.Dir(s.Dir))
	if err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, filepath.Join(s.RuntimeDir, "ctr"), "--address", s.socket(), "--namespace", "k8s.io", "images", "import", "--no-unpack=false", tarPath).CombinedOutput()
	if err != nil {
		return fmt.Errorf("import pause image into %s: %w: %s", s.ID, err, out)
	}
	return nil
}

var pauseBuild struct {
	once sync.Once
	img  v1.Image
	id   string
	err  error
}

// pauseTarball writes the pause image once per build of it: the file is
// named by the image's digest, so a keks whose pause changed never imports an
// older one left in dir.
func pauseTarball(dir string) (string, error) {
	pauseBuild.once.Do(func() {
		pauseBuild.img, pauseBuild.err = images.Pause()
		if pauseBuild.err == nil {
			var d v1.Hash
			d, pauseBuild.err = pauseBuild.img.Digest()
			pauseBuild.id = d.Hex[:12]
		}
	})
	if pauseBuild.err != nil {
		return "", fmt.Errorf("build the pause image: %w", pauseBuild.err)
	}
	tarPath := filepath.Join(dir, "pause-"+pauseBuild.id+".tar")
	if _, err := os.Stat(tarPath); err == nil {
		return tarPath, nil
	}
	ref, err := name.ParseReference(PauseImage)
	if err != nil {
		return "", err
	}
	if err := tarball.WriteToFile(tarPath+".tmp", ref, pauseBuild.img); err != nil {
		return "", fmt.Errorf("write pause image: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "pause*.tar"))
	for _, o := range old {
		_ = os.Remove(o)
	}
	return tarPath, os.Rename(tarPath+".tmp", tarPath)
}
