package server

import (
	"context"
	"errors"
	"log/slog"
	"os"

	"github.com/keksdev/keks/internal/hostcheck"
)

// ensureHost makes sure the host has what nodes and keks's own network need:
// it installs what is missing when it may, and otherwise stops keks at once
// with one message naming each missing piece and the command that installs it.
func ensureHost(ctx context.Context, install bool, log *slog.Logger) error {
	missing := hostcheck.Host{}.Missing(hostcheck.Server, hostcheck.Nodes)
	if len(missing) == 0 {
		return nil
	}
	msg := hostcheck.Describe(missing)
	if !install || !hostcheck.CanInstall() {
		return errors.New("keks cannot run nodes here: " + msg)
	}
	log.Info("installing host prerequisites", "packages", hostcheck.Packages(missing))
	if err := hostcheck.Install(ctx, hostcheck.Host{}, missing, os.Stderr); err != nil {
		return errors.New("keks cannot run nodes here: " + err.Error())
	}
	log.Info("host prerequisites installed", "packages", hostcheck.Packages(missing))
	return nil
}

// hostLacks says what the host is missing to start instances, with the
// command that installs it; "" when nothing is.
func hostLacks() string {
	if missing := (hostcheck.Host{}).Missing(hostcheck.Nodes); len(missing) > 0 {
		return hostcheck.Describe(missing)
	}
	return ""
}
