package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/ebs"
)

// The EBS volumes keks assigns the host: their bytes come to
// <data dir>/volumes/<id>.img while an instance here has them attached,
// with the loop device and by-id link of keks's own host (internal/ebs),
// and go back to keks when no instance here wants them. Everything is
// found again from the host after a restart: files by name, devices by
// their backing file.

// maxVolumeBytes bounds what an assignment may ask the host to hold: EBS's
// largest volume (64 TiB).
const maxVolumeBytes = 64 << 40

// blockDevices is the host's side of a volume: internal/ebs's loop device
// and link functions, or a fake in tests.
type blockDevices interface {
	// Devices maps each loop device's backing file to its devices.
	Devices() (map[string][]string, error)
	Attach(file string) (string, error)
	Detach(dev string) error
	InUse(dev string) bool
	Clearing(dev string) bool
	Link(volumeID, dev string) error
	Unlink(volumeID string) error
	Refresh(dev string) error
	Sync(dev string) error
}

// volumeData is keks's side: the bytes' transfers and the reports.
type volumeData interface {
	Download(ctx context.Context, volumeID, dst string, most int64) (int64, error)
	Upload(ctx context.Context, volumeID, file string, size int64) error
	UploadSnapshot(ctx context.Context, snapshotID, file string, size int64) error
	Report(ctx context.Context, st agents.VolumeStatus) error
}

// volumes converges the host's volumes. The converger's goroutine owns it.
type volumes struct {
	dir     string // holds <id>.img
	devices blockDevices
	keks    volumeData
	log     *slog.Logger
	now     func() time.Time
	grace   time.Duration

	// fresh are the volumes downloaded by this process since keks last
	// assigned them unheld: their local copy is keks's bytes.
	fresh map[string]bool
	// reported is the size keks last took as attached, per volume.
	reported map[string]int64
	// uploaded are the snapshots keks took from this host.
	uploaded map[string]bool
	// waiting are the volumes whose return waits for their device to be
	// unused (logged once).
	waiting map[string]bool
	// unassigned is when each local volume was first seen unassigned.
	unassigned map[string]time.Time
	// keepBytes leaves an unassigned volume's file when its device and
	// link go (`keks agent --cleanup`, which does not ask keks: a volume
	// the host still holds is adopted when the agent runs again).
	keepBytes bool
}

func newVolumes(dir string, devices blockDevices, keks volumeData, log *slog.Logger) *volumes {
	return &volumes{dir: dir, devices: devices, keks: keks, log: log, now: time.Now, grace: unassignedGrace,
		fresh: map[string]bool{}, reported: map[string]int64{}, uploaded: map[string]bool{},
		waiting: map[string]bool{}, unassigned: map[string]time.Time{}}
}

func (vs *volumes) file(id string) string { return filepath.Join(vs.dir, id+".img") }

// converge makes the host's volumes what keks assigned: held ones held,
// returned ones sent back, others (after a grace) removed.
func (vs *volumes) converge(ctx context.Context, assigned []agents.AssignedVolume) {
	if err := os.MkdirAll(vs.dir, 0o700); err != nil {
		vs.log.Warn("volumes not converged", "err", err)
		return
	}
	// sysfs names backing files by their real path.
	if real, err := filepath.EvalSymlinks(vs.dir); err == nil {
		vs.dir = real
	}
	loops, err := vs.devices.Devices()
	if err != nil {
		vs.log.Warn("volumes not converged: list loop devices", "err", err)
		return
	}
	seen := map[string]bool{}
	for i := range assigned {
		a := &assigned[i]
		if err := checkVolume(a); err != nil || seen[a.ID] {
			vs.log.Warn("volume assignment ignored", "volume", a.ID, "err", err)
			continue
		}
		seen[a.ID] = true
		if ctx.Err() != nil {
			return
		}
		var err error
		switch a.Want {
		case agents.WantAttached:
			err = vs.hold(ctx, a, loops)
		case agents.WantReturned:
			err = vs.giveBack(ctx, a, loops)
		}
		if err != nil && ctx.Err() == nil {
			vs.log.Warn("volume not converged", "volume", a.ID, "want", a.Want, "err", err)
		}
	}
	vs.removeUnassigned(seen, loops)
}

// checkVolume refuses an assignment whose id, want, size or snapshot ids
// are not what keks sends, before any of them names a file.
func checkVolume(a *agents.AssignedVolume) error {
	switch {
	case !agents.VolumeIDPattern.MatchString(a.ID):
		return errors.New("not a volume id")
	case a.Want != agents.WantAttached && a.Want != agents.WantReturned:
		return fmt.Errorf("unknown want %q", a.Want)
	case a.SizeBytes <= 0 || a.SizeBytes > maxVolumeBytes || a.SizeBytes%512 != 0:
		return fmt.Errorf("size %d is not a volume's", a.SizeBytes)
	}
	for _, s := range a.Snapshots {
		if !agents.SnapshotIDPattern.MatchString(s) {
			return fmt.Errorf("%q is not a snapshot id", s)
		}
	}
	return nil
}

// hold makes the host hold a volume: its bytes (downloaded unless this
// host holds them already), grown to its size, a loop device and the link;
// then pending snapshots, and the report.
func (vs *volumes) hold(ctx context.Context, a *agents.AssignedVolume, loops map[string][]string) error {
	file := vs.file(a.ID)
	delete(vs.unassigned, a.ID)
	delete(vs.waiting, a.ID)
	if !a.Held && !vs.fresh[a.ID] {
		if err := vs.download(ctx, a, file, loops); err != nil {
			return err
		}
	} else if _, err := os.Stat(file); err != nil {
		// Held here, and gone: nothing can bring the bytes back.
		return fmt.Errorf("the bytes of a volume this host holds are gone: %w", err)
	}
	if a.Held {
		delete(vs.fresh, a.ID) // keks knows: its local copy is the volume
	}
	before, err := fileSize(file)
	if err != nil {
		return err
	}
	if err := ebs.Grow(file, a.SizeBytes); err != nil {
		return err
	}
	dev, err := vs.device(file, loops)
	if err != nil {
		return err
	}
	if before < a.SizeBytes {
		if err := vs.devices.Refresh(dev); err != nil {
			return err
		}
	}
	if err := vs.devices.Link(a.ID, dev); err != nil {
		return err
	}
	if err := vs.snapshots(ctx, a, file, []string{dev}); err != nil {
		return err
	}
	size, err := fileSize(file)
	if err != nil {
		return err
	}
	if vs.reported[a.ID] == size {
		return nil
	}
	if err := vs.keks.Report(ctx, agents.VolumeStatus{ID: a.ID, State: agents.VolumeAttached, SizeBytes: size}); err != nil {
		return fmt.Errorf("report the volume attached: %w", err)
	}
	vs.reported[a.ID] = size
	vs.log.Info("volume attached on this host", "volume", a.ID, "device", dev, "size", size)
	return nil
}

// download replaces any local copy of a volume with keks's bytes. A copy
// with a device in use is one this host made for this attachment before a
// restart, and is kept.
func (vs *volumes) download(ctx context.Context, a *agents.AssignedVolume, file string, loops map[string][]string) error {
	devs := loops[file]
	if slices.ContainsFunc(devs, vs.devices.InUse) {
		vs.fresh[a.ID] = true
		return nil
	}
	if err := vs.release(a.ID, file, loops); err != nil {
		return err
	}
	n, err := vs.keks.Download(ctx, a.ID, file, a.SizeBytes)
	if err != nil {
		return fmt.Errorf("download the volume: %w", err)
	}
	vs.fresh[a.ID] = true
	delete(vs.reported, a.ID)
	vs.log.Info("volume downloaded", "volume", a.ID, "size", n)
	return nil
}

// device is the loop device over file: the one the host has, or a new one.
func (vs *volumes) device(file string, loops map[string][]string) (string, error) {
	for _, dev := range loops[file] {
		if !vs.devices.Clearing(dev) {
			return dev, nil
		}
	}
	dev, err := vs.devices.Attach(file)
	if err != nil {
		return "", err
	}
	loops[file] = append(loops[file], dev)
	return dev, nil
}

// snapshots uploads the volume's pending snapshots, each the file as it is
// now with what the devices hold in memory written down first.
func (vs *volumes) snapshots(ctx context.Context, a *agents.AssignedVolume, file string, devs []string) error {
	for _, id := range a.Snapshots {
		if vs.uploaded[id] {
			continue
		}
		for _, dev := range devs {
			if err := vs.devices.Sync(dev); err != nil {
				return err
			}
		}
		size, err := fileSize(file)
		if err != nil {
			return err
		}
		if err := vs.keks.UploadSnapshot(ctx, id, file, size); err != nil {
			return fmt.Errorf("upload snapshot %s: %w", id, err)
		}
		vs.uploaded[id] = true
		vs.log.Info("snapshot uploaded", "snapshot", id, "volume", a.ID)
	}
	return nil
}

// giveBack returns a volume's bytes to keks once its device is unused
// (or at once when forced), then deletes the local copy.
func (vs *volumes) giveBack(ctx context.Context, a *agents.AssignedVolume, loops map[string][]string) error {
	file := vs.file(a.ID)
	delete(vs.unassigned, a.ID)
	if !a.Force && slices.ContainsFunc(loops[file], vs.devices.InUse) {
		if !vs.waiting[a.ID] {
			vs.log.Info("volume to return waits for its device to be unused", "volume", a.ID, "devices", loops[file])
			vs.waiting[a.ID] = true
		}
		return nil
	}
	delete(vs.waiting, a.ID)
	if err := vs.snapshots(ctx, a, file, loops[file]); err != nil {
		return err
	}
	if err := vs.release(a.ID, file, loops); err != nil {
		return err
	}
	size, err := fileSize(file)
	if err != nil {
		return fmt.Errorf("the bytes of a volume this host holds are gone: %w", err)
	}
	if err := vs.keks.Upload(ctx, a.ID, file, size); err != nil {
		return fmt.Errorf("return the volume to keks: %w", err)
	}
	if err := os.Remove(file); err != nil {
		return fmt.Errorf("remove the returned volume's copy: %w", err)
	}
	delete(vs.fresh, a.ID)
	delete(vs.reported, a.ID)
	vs.log.Info("volume returned to keks", "volume", a.ID, "forced", a.Force)
	return nil
}

// release removes a volume's link and its loop devices; one still in use
// (a forced return) is cleared by the kernel when last closed.
func (vs *volumes) release(id, file string, loops map[string][]string) error {
	err := vs.devices.Unlink(id)
	for _, dev := range loops[file] {
		err = errors.Join(err, vs.devices.Detach(dev))
	}
	delete(loops, file)
	return err
}

// removeUnassigned removes, after the grace, the local volumes keks does
// not assign at all: copies downloaded for an attachment that was undone
// before the host held them, or that keks no longer records as held here.
// keks may leave a volume out for a moment; a held volume must not go for
// that.
func (vs *volumes) removeUnassigned(assigned map[string]bool, loops map[string][]string) {
	for _, id := range vs.local() {
		if assigned[id] {
			continue
		}
		since, seen := vs.unassigned[id]
		if !seen {
			since = vs.now()
			vs.unassigned[id] = since
			vs.log.Info("volume no longer assigned to this host; removed unless keks assigns it again", "volume", id, "within", vs.grace)
		}
		if vs.now().Sub(since) < vs.grace {
			continue
		}
		file := vs.file(id)
		err := vs.release(id, file, loops)
		if vs.keepBytes {
			if err != nil {
				vs.log.Warn("volume's device not released", "volume", id, "err", err)
			} else {
				vs.log.Info("volume's device and link released; its bytes stay", "volume", id, "file", file)
			}
			continue
		}
		if rerr := os.Remove(file); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
		if err != nil {
			vs.log.Warn("unassigned volume not removed", "volume", id, "err", err)
			continue
		}
		delete(vs.unassigned, id)
		delete(vs.fresh, id)
		delete(vs.reported, id)
		vs.log.Info("volume removed: keks no longer assigns it to this host", "volume", id)
	}
}

// attached are the volumes with a file here that a loop device is bound to.
func (vs *volumes) attached() ([]string, error) {
	loops, err := vs.devices.Devices()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, id := range vs.local() {
		if len(loops[vs.file(id)]) > 0 {
			out = append(out, id)
		}
	}
	return out, nil
}

// local are the volumes with a file here.
func (vs *volumes) local() []string {
	entries, err := os.ReadDir(vs.dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if id, ok := strings.CutSuffix(e.Name(), ".img"); ok && agents.VolumeIDPattern.MatchString(id) {
			out = append(out, id)
		}
	}
	return out
}

func fileSize(file string) (int64, error) {
	st, err := os.Stat(file)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// hostDevices are internal/ebs's: real loop devices and links on this host.
type hostDevices struct{ byID string }

func (hostDevices) Devices() (map[string][]string, error) { return ebs.LoopDevices() }
func (hostDevices) Attach(file string) (string, error)    { return ebs.AttachLoop(file) }
func (hostDevices) Detach(dev string) error               { return ebs.DetachLoop(dev) }
func (hostDevices) InUse(dev string) bool                 { return ebs.LoopInUse(dev) }
func (hostDevices) Clearing(dev string) bool              { return ebs.Clearing(dev) }
func (h hostDevices) Link(volumeID, dev string) error     { return ebs.EnsureLink(h.byID, volumeID, dev) }
func (h hostDevices) Unlink(volumeID string) error        { return ebs.RemoveLink(h.byID, volumeID) }
func (hostDevices) Refresh(dev string) error              { return ebs.RefreshCapacity(dev) }
func (hostDevices) Sync(dev string) error                 { return ebs.SyncDevice(dev) }
