package images

import (
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// UpstreamProgram is an upstream add-on program's image as EKS Distro
// builds such images: the static binary at /<name> on EKS Distro's minimal
// base, ENTRYPOINT ["/<name>"], running as nonroot (65532) unless the
// add-on's pod says otherwise.
func UpstreamProgram(binary string) (v1.Image, error) {
	name := filepath.Base(binary)
	return onEKSDistroBase(binary, "65532", name+" (keks build from the Go module proxy): /"+name+" on EKS Distro's minimal base layout", nil)
}

// onEKSDistroBase is EKS Distro's minimal base with binary at /<its name>
// as the entrypoint, run as user.
func onEKSDistroBase(binary, user, createdBy string, config func(*v1.Config)) (v1.Image, error) {
	data, err := os.ReadFile(binary)
	if err != nil {
		return nil, fmt.Errorf("read %s (run keks build-kubernetes): %w", binary, err)
	}
	l, err := eksDistroBase()
	if err != nil {
		return nil, err
	}
	name := filepath.Base(binary)
	l.file(name, data, 0o755)
	return image(l, epoch, createdBy, func(c *v1.Config) {
		c.Entrypoint = []string{"/" + name}
		c.User = user
		if config != nil {
			config(c)
		}
	})
}
