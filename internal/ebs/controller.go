// Package ebs makes the host match the EBS volume and snapshot records of
// internal/ec2. A volume is a sparse file of its size; attached, it is a
// loop device over that file with the link the EBS CSI driver looks for
// (/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol...); a snapshot is
// a sparse copy of the volume's file. Everything it makes on the host is
// found again from the host itself (files by name, loop devices by their
// backing file in sysfs), so a restarted keks adopts what it made and
// removes what no record wants.
package ebs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/loop"
)

// Config is where the controller keeps volumes on the host.
type Config struct {
	// Dir holds volumes (Dir/volumes/<id>.img) and snapshots
	// (Dir/snapshots/<id>.img).
	Dir string
	// ByID is where volume links go; DefaultByID when empty.
	ByID string
}

// Pacing: store changes wake the controller; otherwise it passes rarely,
// more often only while it waits on the host.
const (
	idlePeriod  = 10 * time.Minute
	waitPeriod  = 2 * time.Second  // a detach waits for its device to be unused
	retryPeriod = 10 * time.Second // something failed: try again
	// Client tokens are kept a day, as EC2 keeps them; pruned hourly.
	tokenAge    = 24 * time.Hour
	prunePeriod = time.Hour
)

// Controller converges the host to the EBS records.
type Controller struct {
	*loop.Loop
	cfg      Config
	ec2      *ec2.Service
	log      *slog.Logger
	prunedAt time.Time
}

// New makes an EBS controller.
func New(e *ec2.Service, cfg Config, log *slog.Logger) *Controller {
	if cfg.ByID == "" {
		cfg.ByID = DefaultByID
	}
	return &Controller{Loop: loop.New(), cfg: cfg, ec2: e, log: log}
}

// Run converges until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	return c.Loop.RunPaced(ctx, c.pass)
}

// world is what one pass decides on: the records, and the host's loop
// devices by backing file (kept up to date as the pass changes them).
type world struct {
	volumes   []ec2.Volume
	snapshots []ec2.Snapshot
	instances map[string]*ec2.Instance
	loops     map[string][]string
}

func (c *Controller) pass(ctx context.Context) time.Duration {
	w, err := c.look(ctx)
	if err != nil {
		c.log.Warn("read EBS state", "err", err)
		return retryPeriod
	}
	next := idlePeriod
	for i := range w.snapshots {
		if s := &w.snapshots[i]; s.State == ec2.SnapshotPending && !w.away(s.VolumeID) {
			if err := c.snapshot(ctx, w, s); err != nil && ctx.Err() == nil {
				c.log.Warn("snapshot not made", "snapshot", s.ID, "err", err)
				next = retryPeriod
			}
		}
	}
	for i := range w.volumes {
		v := &w.volumes[i]
		waiting, err := c.volume(ctx, w, v)
		switch {
		case err != nil && ctx.Err() == nil:
			c.log.Warn("volume not converged", "volume", v.ID, "err", err)
			next = retryPeriod
		case waiting:
			next = min(next, waitPeriod)
		}
	}
	if err := c.sweep(w); err != nil {
		c.log.Warn("remove what no EBS record wants", "err", err)
		next = retryPeriod
	}
	if time.Since(c.prunedAt) > prunePeriod {
		if err := c.ec2.PruneClientTokens(ctx, tokenAge); err != nil {
			c.log.Warn("prune client tokens", "err", err)
		} else {
			c.prunedAt = time.Now()
		}
	}
	return next
}

func (c *Controller) look(ctx context.Context) (*world, error) {
	for _, dir := range []string{c.volumeDir(), c.snapshotDir()} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("make %s: %w", dir, err)
		}
	}
	// sysfs names backing files by their real path.
	if real, err := filepath.EvalSymlinks(c.cfg.Dir); err == nil {
		c.cfg.Dir = real
	}
	w := &world{instances: map[string]*ec2.Instance{}}
	var err error
	if w.volumes, err = c.ec2.Volumes(ctx, ""); err != nil {
		return nil, err
	}
	if w.snapshots, err = c.ec2.Snapshots(ctx, ""); err != nil {
		return nil, err
	}
	instances, err := c.ec2.Instances(ctx, "")
	if err != nil {
		return nil, err
	}
	for i := range instances {
		w.instances[instances[i].ID] = &instances[i]
	}
	if w.loops, err = LoopDevices(); err != nil {
		return nil, err
	}
	return w, nil
}

func (c *Controller) volumeDir() string   { return filepath.Dir(c.VolumeFile("x")) }
func (c *Controller) snapshotDir() string { return filepath.Dir(c.SnapshotFile("x")) }

// VolumeFile is where a volume's bytes live.
func (c *Controller) VolumeFile(id string) string { return VolumePath(c.cfg.Dir, id) }

// SnapshotFile is where a snapshot's bytes live.
func (c *Controller) SnapshotFile(id string) string { return SnapshotPath(c.cfg.Dir, id) }

// VolumePath is where a volume's bytes live under a controller's Dir.
func VolumePath(dir, id string) string { return filepath.Join(dir, "volumes", id+".img") }

// SnapshotPath is where a snapshot's bytes live under a controller's Dir.
func SnapshotPath(dir, id string) string { return filepath.Join(dir, "snapshots", id+".img") }

// gib is a size in GiB in bytes.
func gib(n int) int64 { return int64(n) << 30 }

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// snapshot copies a pending snapshot's volume as it is now: what the
// instance wrote to its device, synced, then the file's first VolumeSize.
func (c *Controller) snapshot(ctx context.Context, w *world, s *ec2.Snapshot) error {
	dst := c.SnapshotFile(s.ID)
	if !exists(dst) {
		src := c.VolumeFile(s.VolumeID)
		if !exists(src) {
			if v, err := c.ec2.GetVolume(ctx, "", s.VolumeID); err == nil && v.Host != "" {
				return nil // its bytes left for an agent host since the pass began: the agent takes it
			}
			c.log.Error("snapshot failed: its volume's data is gone", "snapshot", s.ID, "volume", s.VolumeID)
			return c.ec2.SnapshotFailed(ctx, s.ID, "The volume's data is no longer available.")
		}
		for _, dev := range w.loops[src] {
			if err := SyncDevice(dev); err != nil {
				return err
			}
		}
		if err := copySparse(src, dst, gib(s.VolumeSize)); err != nil {
			return err
		}
	}
	c.log.Info("snapshot completed", "snapshot", s.ID, "volume", s.VolumeID)
	return c.ec2.SnapshotCompleted(ctx, s.ID)
}

// volume converges one volume; waiting reports a detach that waits for
// its device to be unused.
func (c *Controller) volume(ctx context.Context, w *world, v *ec2.Volume) (waiting bool, err error) {
	if v.Host != "" {
		return false, c.awayVolume(ctx, w, v)
	}
	file := c.VolumeFile(v.ID)
	switch v.State {
	case ec2.VolumeCreating:
		return false, c.create(ctx, v, file)
	case ec2.VolumeDeleting:
		if err := c.release(w, v.ID, file); err != nil {
			return false, err
		}
		if err := os.Remove(file); err != nil && !errors.Is(err, os.ErrNotExist) {
			return false, fmt.Errorf("remove %s: %w", file, err)
		}
		c.log.Info("volume deleted", "volume", v.ID)
		return false, c.ec2.ForgetVolume(ctx, v.ID)
	case ec2.VolumeError:
		return false, c.release(w, v.ID, file)
	}
	if !exists(file) {
		if now, err := c.ec2.GetVolume(ctx, "", v.ID); err == nil && now.Host != "" {
			return false, nil // its bytes left for an agent host since the pass began
		}
		return false, fmt.Errorf("the data of volume %s is gone: %s does not exist", v.ID, file)
	}
	if err := c.modify(ctx, w, v, file); err != nil {
		return false, err
	}
	return c.attachments(ctx, w, v, file)
}

// create makes a volume's file: empty, or a copy of its snapshot's. One
// the host cannot hold (larger than its file system's largest file) fails,
// as EC2 puts a volume it cannot make in its error state.
func (c *Controller) create(ctx context.Context, v *ec2.Volume, file string) error {
	if !exists(file) {
		var err error
		if v.SnapshotID == "" {
			err = createEmpty(file, gib(v.Size))
		} else {
			src := c.SnapshotFile(v.SnapshotID)
			if !exists(src) {
				c.log.Error("volume failed: its snapshot's data is gone", "volume", v.ID, "snapshot", v.SnapshotID)
				return c.ec2.VolumeFailed(ctx, v.ID)
			}
			err = copySparse(src, file, gib(v.Size))
		}
		if errors.Is(err, syscall.EFBIG) {
			c.log.Error("volume failed: the host cannot hold a file of its size", "volume", v.ID, "size", v.Size, "err", err)
			return c.ec2.VolumeFailed(ctx, v.ID)
		} else if err != nil {
			return err
		}
	}
	c.log.Info("volume created", "volume", v.ID, "size", v.Size, "snapshot", v.SnapshotID)
	return c.ec2.VolumeCreated(ctx, v.ID)
}

// modify grows a volume being modified, and moves its modification on:
// optimizing once the file and any device have the new size, then completed.
func (c *Controller) modify(ctx context.Context, w *world, v *ec2.Volume, file string) error {
	m := v.Modification
	switch {
	case m == nil:
		return nil
	case m.State == ec2.ModificationModifying:
		if err := Grow(file, gib(m.Target.Size)); errors.Is(err, syscall.EFBIG) {
			c.log.Error("modification failed: the host cannot hold a file of its size", "volume", v.ID, "size", m.Target.Size, "err", err)
			return c.ec2.ModificationFailed(ctx, v.ID, "The volume cannot grow to the requested size on this host.")
		} else if err != nil {
			return err
		}
		for _, dev := range w.loops[file] {
			if err := RefreshCapacity(dev); err != nil {
				return err
			}
		}
		c.log.Info("volume modified", "volume", v.ID, "size", m.Target.Size, "type", m.Target.Type)
		return c.ec2.ModificationOptimizing(ctx, v.ID)
	case m.State == ec2.ModificationOptimizing:
		return c.ec2.ModificationCompleted(ctx, v.ID)
	}
	return nil
}
