package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/agents"
)

// fakeDevices are loop devices and links in memory.
type fakeDevices struct {
	loops    map[string][]string // backing file -> devices
	inUse    map[string]bool
	links    map[string]string // volume -> device
	next     int
	refreshs []string
	synced   []string
}

func newFakeDevices() *fakeDevices {
	return &fakeDevices{loops: map[string][]string{}, inUse: map[string]bool{}, links: map[string]string{}}
}

func (f *fakeDevices) Devices() (map[string][]string, error) {
	out := map[string][]string{}
	for k, v := range f.loops {
		out[k] = slices.Clone(v)
	}
	return out, nil
}

func (f *fakeDevices) Attach(file string) (string, error) {
	f.next++
	dev := fmt.Sprintf("/dev/loop%d", f.next)
	f.loops[file] = append(f.loops[file], dev)
	return dev, nil
}

func (f *fakeDevices) Detach(dev string) error {
	for file, devs := range f.loops {
		if devs = slices.DeleteFunc(devs, func(d string) bool { return d == dev }); len(devs) == 0 {
			delete(f.loops, file)
		} else {
			f.loops[file] = devs
		}
	}
	return nil
}

func (f *fakeDevices) InUse(dev string) bool           { return f.inUse[dev] }
func (f *fakeDevices) Clearing(string) bool            { return false }
func (f *fakeDevices) Link(volumeID, dev string) error { f.links[volumeID] = dev; return nil }
func (f *fakeDevices) Unlink(volumeID string) error    { delete(f.links, volumeID); return nil }
func (f *fakeDevices) Refresh(dev string) error        { f.refreshs = append(f.refreshs, dev); return nil }
func (f *fakeDevices) Sync(dev string) error           { f.synced = append(f.synced, dev); return nil }

// fakeVolumeKeks holds keks's copies as strings and records what it was sent.
type fakeVolumeKeks struct {
	data      map[string]string // volume -> its bytes' first part
	downloads []string
	uploads   map[string]string
	snapshots map[string]string
	reports   []agents.VolumeStatus
	refuse    error
}

func newFakeVolumeKeks() *fakeVolumeKeks {
	return &fakeVolumeKeks{data: map[string]string{}, uploads: map[string]string{}, snapshots: map[string]string{}}
}

func (k *fakeVolumeKeks) Download(_ context.Context, id, dst string, most int64) (int64, error) {
	k.downloads = append(k.downloads, id)
	if err := os.WriteFile(dst, []byte(k.data[id]), 0o600); err != nil {
		return 0, err
	}
	return 1 << 20, os.Truncate(dst, 1<<20)
}

func readHead(file string) string {
	f, err := os.Open(file)
	if err != nil {
		return "missing"
	}
	defer f.Close()
	b := make([]byte, 16)
	n, _ := io.ReadFull(f, b)
	return string(b[:n])
}

func (k *fakeVolumeKeks) Upload(_ context.Context, id, file string, size int64) error {
	if k.refuse != nil {
		return k.refuse
	}
	k.uploads[id] = fmt.Sprintf("%d %s", size, trimZeros(readHead(file)))
	return nil
}

func (k *fakeVolumeKeks) UploadSnapshot(_ context.Context, id, file string, size int64) error {
	k.snapshots[id] = trimZeros(readHead(file))
	return nil
}

func (k *fakeVolumeKeks) Report(_ context.Context, st agents.VolumeStatus) error {
	k.reports = append(k.reports, st)
	return nil
}

func trimZeros(s string) string {
	for len(s) > 0 && s[len(s)-1] == 0 {
		s = s[:len(s)-1]
	}
	return s
}

const (
	volA = "vol-0123456789abcdef0"
	volB = "vol-0fedcba987654321f"
	mib  = 1 << 20
)

type volumesWorld struct {
	vs   *volumes
	dev  *fakeDevices
	keks *fakeVolumeKeks
	now  time.Time
}

func newVolumesWorld(t *testing.T) *volumesWorld {
	w := &volumesWorld{dev: newFakeDevices(), keks: newFakeVolumeKeks(), now: time.Unix(1_700_000_000, 0)}
	w.vs = newVolumes(filepath.Join(t.TempDir(), "volumes"), w.dev, w.keks, slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.vs.now = func() time.Time { return w.now }
	return w
}

func (w *volumesWorld) converge(vols ...agents.AssignedVolume) {
	w.vs.converge(context.Background(), vols)
}

func TestVolumeConvergeDecisions(t *testing.T) {
	attached := func(id string, held bool) agents.AssignedVolume {
		return agents.AssignedVolume{ID: id, Want: agents.WantAttached, SizeBytes: mib, Held: held}
	}
	returned := func(id string, force bool) agents.AssignedVolume {
		return agents.AssignedVolume{ID: id, Want: agents.WantReturned, SizeBytes: mib, Held: true, Force: force}
	}
	tests := []struct {
		name string
		run  func(t *testing.T, w *volumesWorld)
	}{
		{"attach downloads once, makes the device and link, reports once", func(t *testing.T, w *volumesWorld) {
			w.keks.data[volA] = "keks bytes"
			w.converge(attached(volA, false))
			w.converge(attached(volA, false)) // keks has not taken the report yet
			w.converge(attached(volA, true))
			if !slices.Equal(w.keks.downloads, []string{volA}) {
				t.Errorf("downloads %v, want one", w.keks.downloads)
			}
			file := w.vs.file(volA)
			if devs := w.dev.loops[file]; len(devs) != 1 || w.dev.links[volA] != devs[0] {
				t.Errorf("devices %v, links %v", w.dev.loops, w.dev.links)
			}
			if len(w.keks.reports) != 1 || w.keks.reports[0] != (agents.VolumeStatus{ID: volA, State: agents.VolumeAttached, SizeBytes: mib}) {
				t.Errorf("reports %+v, want one attached of 1 MiB", w.keks.reports)
			}
			if readHead(file) != "keks bytes"+string(make([]byte, 6)) {
				t.Errorf("local copy %q", readHead(file))
			}
		}},
		{"a larger size grows the file and the device, and is reported", func(t *testing.T, w *volumesWorld) {
			w.converge(attached(volA, false))
			grown := attached(volA, true)
			grown.SizeBytes = 2 * mib
			w.converge(grown)
			if n, _ := fileSize(w.vs.file(volA)); n != 2*mib || len(w.dev.refreshs) != 1 {
				t.Errorf("size %d, refreshes %v", n, w.dev.refreshs)
			}
			if last := w.keks.reports[len(w.keks.reports)-1]; last.SizeBytes != 2*mib {
				t.Errorf("last report %+v, want 2 MiB", last)
			}
		}},
		{"pending snapshots are synced and uploaded once", func(t *testing.T, w *volumesWorld) {
			w.keks.data[volA] = "snapshot me"
			a := attached(volA, true)
			w.converge(attached(volA, false))
			a.Snapshots = []string{"snap-0123456789abcdef0"}
			w.converge(a)
			w.converge(a)
			if w.keks.snapshots["snap-0123456789abcdef0"] != "snapshot me" || len(w.dev.synced) != 1 {
				t.Errorf("snapshots %v, synced %v", w.keks.snapshots, w.dev.synced)
			}
		}},
		{"a return waits for the device to be unused, unless forced", func(t *testing.T, w *volumesWorld) {
			w.keks.data[volA] = "written"
			w.converge(attached(volA, false))
			dev := w.dev.links[volA]
			w.dev.inUse[dev] = true
			w.converge(returned(volA, false))
			if len(w.keks.uploads) != 0 || w.dev.links[volA] == "" {
				t.Fatalf("returned while in use: uploads %v, links %v", w.keks.uploads, w.dev.links)
			}
			w.converge(returned(volA, true))
			if w.keks.uploads[volA] != fmt.Sprintf("%d written", mib) {
				t.Errorf("uploads %v", w.keks.uploads)
			}
			if len(w.dev.loops) != 0 || len(w.dev.links) != 0 || readHead(w.vs.file(volA)) != "missing" {
				t.Errorf("left after the return: loops %v, links %v, file %q", w.dev.loops, w.dev.links, readHead(w.vs.file(volA)))
			}
		}},
		{"a refused check-in keeps the local copy", func(t *testing.T, w *volumesWorld) {
			w.converge(attached(volA, false))
			w.keks.refuse = errors.New("keks is away")
			w.converge(returned(volA, false))
			if readHead(w.vs.file(volA)) == "missing" {
				t.Fatal("the only copy was deleted after a failed check-in")
			}
			w.keks.refuse = nil
			w.converge(returned(volA, false))
			if _, ok := w.keks.uploads[volA]; !ok || readHead(w.vs.file(volA)) != "missing" {
				t.Errorf("uploads %v after keks came back", w.keks.uploads)
			}
		}},
		{"an unheld copy is not trusted: downloaded again after a restart", func(t *testing.T, w *volumesWorld) {
			w.keks.data[volA] = "old"
			w.converge(attached(volA, false))
			restarted := newVolumes(w.vs.dir, w.dev, w.keks, w.vs.log)
			w.keks.data[volA] = "new"
			restarted.converge(context.Background(), []agents.AssignedVolume{attached(volA, false)})
			if len(w.keks.downloads) != 2 || readHead(w.vs.file(volA))[:3] != "new" {
				t.Errorf("downloads %v, copy %q", w.keks.downloads, readHead(w.vs.file(volA)))
			}
			// Held: a restarted agent adopts its file and device.
			again := newVolumes(w.vs.dir, w.dev, w.keks, w.vs.log)
			again.converge(context.Background(), []agents.AssignedVolume{attached(volA, true)})
			if len(w.keks.downloads) != 2 || len(w.dev.loops[w.vs.file(volA)]) != 1 {
				t.Errorf("after a restart: downloads %v, devices %v", w.keks.downloads, w.dev.loops)
			}
		}},
		{"unassigned copies go after the grace; bad assignments touch nothing", func(t *testing.T, w *volumesWorld) {
			w.converge(attached(volA, false), attached(volB, false))
			w.converge(attached(volB, true),
				agents.AssignedVolume{ID: "vol-../../etc", Want: agents.WantAttached, SizeBytes: mib},
				agents.AssignedVolume{ID: volA, Want: "mounted", SizeBytes: mib},
				agents.AssignedVolume{ID: volA, Want: agents.WantAttached, SizeBytes: 1 << 62})
			if readHead(w.vs.file(volA)) == "missing" {
				t.Fatal("removed at once")
			}
			w.now = w.now.Add(unassignedGrace)
			w.converge(attached(volB, true))
			if readHead(w.vs.file(volA)) != "missing" || w.dev.links[volA] != "" || w.dev.links[volB] == "" {
				t.Errorf("after the grace: links %v", w.dev.links)
			}
			if entries, _ := os.ReadDir(w.vs.dir); len(entries) != 1 {
				t.Errorf("files %v", entries)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, newVolumesWorld(t))
		})
	}
}

// TestVolumeOnRealLoopDevice holds a volume with this host's loop devices
// and a link in a temporary by-id directory, releases its device as
// --cleanup does (keeping its bytes), then removes it all as a running
// agent does with a volume keks no longer assigns.
func TestVolumeOnRealLoopDevice(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loop devices need root")
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		t.Skip("no /dev/loop-control on this host")
	}
	byID := filepath.Join(t.TempDir(), "by-id")
	keks := newFakeVolumeKeks()
	keks.data[volA] = "real"
	vs := newVolumes(filepath.Join(t.TempDir(), "volumes"), hostDevices{byID: byID}, keks, slog.New(slog.NewTextHandler(io.Discard, nil)))
	vs.converge(context.Background(), []agents.AssignedVolume{{ID: volA, Want: agents.WantAttached, SizeBytes: mib}})
	link := filepath.Join(byID, "nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0")
	// The link is relative, as udev's in /dev/disk/by-id: ../../loopN.
	target, err := os.Readlink(link)
	dev := "/dev/" + filepath.Base(target)
	t.Cleanup(func() {
		vs.grace = 0
		vs.converge(context.Background(), nil)
	})
	if err != nil || len(keks.reports) != 1 {
		t.Fatalf("link %v, reports %+v", err, keks.reports)
	}
	if got := readHead(dev); got[:4] != "real" {
		t.Errorf("the device reads %q", got)
	}
	// As --cleanup: the device and link go, the bytes stay.
	vs.grace, vs.keepBytes = 0, true
	vs.converge(context.Background(), nil)
	if _, err := os.Lstat(link); !os.IsNotExist(err) {
		t.Errorf("link left: %v", err)
	}
	if held, err := vs.attached(); err != nil || len(held) != 0 {
		t.Errorf("devices left after a cleanup: %v %v", held, err)
	}
	if kept := vs.local(); len(kept) != 1 {
		t.Errorf("a cleanup removed the bytes: %v", kept)
	}
	// Unassigned in a running agent: everything goes.
	vs.keepBytes = false
	vs.converge(context.Background(), nil)
	if left := vs.local(); len(left) != 0 {
		t.Errorf("files left: %v", left)
	}
	loops, _ := hostDevices{}.Devices()
	for file := range loops {
		if filepath.Dir(file) == vs.dir {
			t.Errorf("loop device left over %s", file)
		}
	}
}
