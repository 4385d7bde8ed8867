package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/vishvananda/netlink"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/ebs"
	"github.com/keksdev/keks/internal/imds"
	"github.com/keksdev/keks/internal/k8sbuild"
	"github.com/keksdev/keks/internal/network"
)

// runInstances runs the instances keks assigns this host until ctx ends:
// one goroutine long-polls the assignments, one converges the host to the
// newest of them (and every runningResync, to catch an instance that
// died), and one proxies the instances' metadata requests. Instances keep
// running when the agent stops; a restarted agent adopts them.
func runInstances(ctx context.Context, cfg Config, id *Identity, log *slog.Logger) error {
	exe := cfg.KeksBinary
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("find keks's executable for the instances' kubelets: %w", err)
		}
	}
	env := &hostEnv{instancesDir: filepath.Join(cfg.DataDir, "instances"), k8s: k8sbuild.Dir(cfg.K8sDir),
		keksBinary: exe, keksCA: filepath.Join(cfg.DataDir, keksCAFile)}
	conv := newConverger(env, hostSandboxes{}, hostRules{metadataAddress: cfg.MetadataAddress},
		func(ctx context.Context, st agents.InstanceStatus) error { return reportInstance(ctx, id, st) }, log)
	conv.volumes = newVolumes(volumesDir(cfg), hostDevices{byID: ebs.DefaultByID}, newKeksVolumes(id), log)
	g, ctx := errgroup.WithContext(ctx)
	if cfg.MetadataAddress != "" {
		p := &metadataProxy{client: id.client, server: id.Server, log: log, setHopLimit: imds.SetHopLimit}
		g.Go(func() error { return serveMetadata(ctx, cfg.MetadataAddress, p) })
	}
	updates := make(chan *agents.Assignments, 1)
	g.Go(func() error { return watchAssignments(ctx, id, cfg.Interval, log, updates) })
	g.Go(func() error {
		var last *agents.Assignments
		t := time.NewTicker(runningResync)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case as := <-updates:
				last = as
				log.Info("assignments", "revision", as.Revision, "instances", len(as.Instances))
			case <-t.C:
				if last == nil {
					continue // none taken yet: nothing is known to converge to
				}
			}
			conv.converge(ctx, last)
		}
	})
	return g.Wait()
}

// Cleanup deletes every instance this agent has on the host (by its
// directories), their subnet bridges and the host's rules for them, the
// volumes' links and loop devices, and takes the metadata proxy's address
// off the host: what `keks agent --cleanup` does before a host leaves, or
// after a test. The host stays joined; keks is not asked, so instances it
// still assigns come back when the agent runs again, and so do volumes:
// their bytes stay in the data directory (removing it loses them).
func Cleanup(ctx context.Context, cfg Config) error {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	env := &hostEnv{instancesDir: filepath.Join(cfg.DataDir, "instances"), k8s: k8sbuild.Dir(cfg.K8sDir)}
	conv := newConverger(env, hostSandboxes{}, hostRules{metadataAddress: cfg.MetadataAddress},
		func(context.Context, agents.InstanceStatus) error { return nil }, cfg.Log)
	conv.grace = 0
	// Volumes too: their links and loop devices; their bytes stay.
	conv.volumes = newVolumes(volumesDir(cfg), hostDevices{byID: ebs.DefaultByID}, nil, cfg.Log)
	conv.volumes.grace, conv.volumes.keepBytes = 0, true
	// Nothing assigned: every instance with a directory is deleted, and
	// with none left the rules go.
	conv.converge(ctx, &agents.Assignments{})
	left, err := env.local()
	if err != nil {
		return err
	}
	if cfg.MetadataAddress != "" {
		if err := imds.ReleaseAddress(cfg.MetadataAddress); err != nil {
			return err
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("instances not deleted (see the log above): %v", left)
	}
	if left, err := conv.volumes.attached(); err != nil || len(left) > 0 {
		return fmt.Errorf("volumes' devices not released (see the log above): %v %v", left, err)
	}
	if kept := conv.volumes.local(); len(kept) > 0 {
		cfg.Log.Warn("the bytes of volumes stay in the data directory: the next run returns them to keks or to their instances", "volumes", kept, "dir", volumesDir(cfg))
	}
	// Bridges of subnets joined without an instance here are not known to
	// a fresh process; the agent has its namespace to itself (its own host,
	// or its own slot), so every subnet bridge left in it is its own.
	if err := deleteSubnetBridges(); err != nil {
		return err
	}
	if conv.netFor != noRules {
		return errors.New("the host's rules for instances were not removed (see the log above)")
	}
	cfg.Log.Info("this agent's instances and the host's rules for them are gone", "dataDir", cfg.DataDir)
	return nil
}

// deleteSubnetBridges removes every subnet bridge of this network namespace.
func deleteSubnetBridges() error {
	links, err := netlink.LinkList()
	if err != nil {
		return fmt.Errorf("list the host's links: %w", err)
	}
	var errs []error
	for _, l := range links {
		if name := l.Attrs().Name; l.Type() == "bridge" && bridgeName.MatchString(name) {
			errs = append(errs, network.DeleteLink(name))
		}
	}
	return errors.Join(errs...)
}

// volumesDir holds the bytes of the volumes the host holds.
func volumesDir(cfg Config) string { return filepath.Join(cfg.DataDir, "volumes") }
