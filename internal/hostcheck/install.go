package hostcheck

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// Install installs the packages of the missing requirements with apt-get,
// its output going to progress, and checks again afterwards.
func Install(ctx context.Context, h Host, missing []Requirement, progress io.Writer) error {
	pkgs := Packages(missing)
	fmt.Fprintf(progress, "installing what the host lacks: %v\n", pkgs)
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	for _, args := range [][]string{{"update", "-q"}, append([]string{"install", "-y", "-q", "--no-install-recommends"}, pkgs...)} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, progress, progress
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("apt-get %s: %w", args[0], err)
		}
	}
	if still := h.Missing(missing); len(still) > 0 {
		return fmt.Errorf("after installing, %s", Describe(still))
	}
	return nil
}
