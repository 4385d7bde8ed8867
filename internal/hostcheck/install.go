package hostcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// Ensure installs what this host lacks of the requirements when it may
// (install asked for, root and apt-get), its output going to progress;
// otherwise it returns one error naming each missing piece and the command
// that installs it.
func Ensure(ctx context.Context, install bool, progress io.Writer, requirements ...[]Requirement) error {
	missing := Host{}.Missing(requirements...)
	if len(missing) == 0 {
		return nil
	}
	if !install || !CanInstall() {
		return errors.New(Describe(missing))
	}
	return Install(ctx, Host{}, missing, progress)
}

// Install installs the packages of the missing requirements with apt-get,
// its output going to progress, and checks again afterwards.
func Install(ctx context.Context, h Host, missing []Requirement, progress io.Writer) error {
	pkgs := Packages(missing)
	fmt.Fprintf(progress, "installing what the host lacks: %v\n", pkgs)
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	// keks wants the packages' programs, not their services: openssh-server
	// would otherwise start the host's sshd on port 22 of every address.
	if restore, err := holdServices(); err != nil {
		return err
	} else {
		defer restore()
	}
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

// policyRCD is Debian's hook that invoke-rc.d and deb-systemd-invoke ask
// before starting a service a package installs; exit status 101 says no.
const policyRCD = "/usr/sbin/policy-rc.d"

// holdServices keeps packages being installed from starting services,
// unless the host has its own policy, which is then left as it is.
func holdServices() (restore func(), err error) {
	if _, err := os.Lstat(policyRCD); err == nil {
		return func() {}, nil
	}
	if err := os.WriteFile(policyRCD, []byte("#!/bin/sh\n# keks: installing packages, starting no services\nexit 101\n"), 0o755); err != nil {
		return nil, fmt.Errorf("hold services while installing: %w", err)
	}
	return func() { _ = os.Remove(policyRCD) }, nil
}
