package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/keksdev/keks/internal/hostcheck"
	"github.com/keksdev/keks/internal/k8sbuild"
)

// ensureHost makes sure the host has what nodes and keks's own network need:
// it installs what is missing when it may, and otherwise stops keks at once
// with one message naming each missing piece and the command that installs it.
func ensureHost(ctx context.Context, install bool) error {
	if err := hostcheck.Ensure(ctx, install, os.Stderr, hostcheck.Server, hostcheck.Nodes); err != nil {
		return fmt.Errorf("keks cannot run nodes here: %w", err)
	}
	return nil
}

// ensureNodeBuilds builds what nodes and their images are made of unless
// it is built: containerd and runc of the release keks runs (seconds once
// the Go build cache has them) and busybox.
func ensureNodeBuilds(ctx context.Context, k8s k8sbuild.Dir, log *slog.Logger) error {
	if k8s.NodeRuntimeBuilt() && k8s.BusyboxBuilt() {
		return nil
	}
	log.Info("building the node runtime and busybox", "dir", string(k8s))
	if err := k8s.BuildNodeRuntime(ctx, os.Stderr); err != nil {
		return fmt.Errorf("keks cannot run nodes here: build containerd and runc: %w", err)
	}
	if err := k8s.BuildBusybox(ctx, os.Stderr); err != nil {
		return fmt.Errorf("keks cannot build its images here: build busybox: %w", err)
	}
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
