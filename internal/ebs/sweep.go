package ebs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/keksdev/keks/internal/ec2"
)

// sweep removes what no record wants: files of volumes and snapshots that
// are gone (and copies a crash left half made), loop devices over such
// files, and links to this keks's devices for volumes it no longer has.
// Links and devices of other keks servers on the host (files outside this
// data directory) are left alone.
func (c *Controller) sweep(w *world) error {
	volumes, snapshots := map[string]bool{}, map[string]bool{}
	for _, v := range w.volumes {
		volumes[v.ID] = true
		if v.State == ec2.VolumeCreating && v.SnapshotID != "" {
			snapshots[v.SnapshotID] = true // still to be copied from
		}
	}
	for _, s := range w.snapshots {
		snapshots[s.ID] = true
	}
	ours := c.ownDevices(w)
	var errs []error
	for file, devs := range w.loops {
		path := strings.TrimSuffix(file, deletedSuffix)
		if filepath.Dir(path) != c.volumeDir() || (path == file && volumes[idOfFile(path)]) {
			continue
		}
		for _, dev := range devs {
			errs = append(errs, DetachLoop(dev))
		}
		delete(w.loops, file)
	}
	errs = append(errs, c.sweepDir(w, c.volumeDir(), volumes, true), c.sweepDir(w, c.snapshotDir(), snapshots, false))
	errs = append(errs, c.sweepLinks(ours, volumes))
	return errors.Join(errs...)
}

// ownDevices are the names (loopN) of the loop devices over files of this
// keks's volume directory.
func (c *Controller) ownDevices(w *world) map[string]bool {
	ours := map[string]bool{}
	for file, devs := range w.loops {
		if filepath.Dir(strings.TrimSuffix(file, deletedSuffix)) == c.volumeDir() {
			for _, dev := range devs {
				ours[filepath.Base(dev)] = true
			}
		}
	}
	return ours
}

// idOfFile is the id a volume or snapshot file is named for ("" for a
// name that is not one of theirs).
func idOfFile(path string) string {
	id, ok := strings.CutSuffix(filepath.Base(path), ".img")
	if !ok {
		return ""
	}
	return id
}

// sweepDir removes the files of dir that no known id owns, and, for
// volumes, their devices and links first.
func (c *Controller) sweepDir(w *world, dir string, known map[string]bool, volumes bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, err)
	}
	var errs []error
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		id := idOfFile(path)
		if id != "" && known[id] {
			continue
		}
		if volumes && id != "" {
			if err := c.release(w, id, path); err != nil {
				errs = append(errs, err)
			}
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove %s: %w", path, err))
			continue
		}
		c.log.Info("removed what no EBS record wants", "file", path)
	}
	return errors.Join(errs...)
}

// sweepLinks removes the links of volumes this keks does not have that
// point at one of its devices (ours, as the pass began).
func (c *Controller) sweepLinks(ours map[string]bool, volumes map[string]bool) error {
	var errs []error
	for name, id := range VolumeLinks(c.cfg.ByID) {
		if volumes[id] {
			continue // its volume's own pass keeps or removes it
		}
		if target, err := os.Readlink(filepath.Join(c.cfg.ByID, name)); err == nil && ours[filepath.Base(target)] {
			errs = append(errs, RemoveLink(c.cfg.ByID, id))
		}
	}
	return errors.Join(errs...)
}
