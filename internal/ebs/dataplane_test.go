package ebs

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/store/storetest"
)

// host is a controller over a real store and this host's loop devices,
// with two running instances in one zone and one in another.
type host struct {
	t        *testing.T
	ctx      context.Context
	ec2      *ec2.Service
	ctl      *Controller
	cfg      Config
	a, b, c  string // instances; c is in another zone
	region   string
	zone     string
	otherDir string
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("loop devices need root")
	}
	if _, err := os.Stat(loopControl); err != nil {
		t.Skipf("no %s on this host", loopControl)
	}
	for _, tool := range []string{"mkfs.ext4", "mount", "umount", "blockdev"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s on this host", tool)
		}
	}
}

func newHost(t *testing.T) *host {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	st := storetest.Open(t)
	svc := &ec2.Service{Store: st}
	h := &host{t: t, ctx: ctx, ec2: svc, region: "eu-west-1", zone: "eu-west-1a"}
	vpc, err := svc.CreateVPC(ctx, h.region, "123456789012", "10.9.0.0/16", false, nil)
	h.must(err)
	var ids []string
	for i, zone := range []string{"a", "a", "b"} {
		sn, err := svc.CreateSubnet(ctx, ec2.Subnet{VPCID: vpc.ID, CIDR: "10.9." + string(rune('1'+i)) + ".0/24", AvailabilityZone: h.region + zone})
		h.must(err)
		in, err := svc.RunInstance(ctx, ec2.Instance{SubnetID: sn.ID, InstanceType: "t3.small"})
		h.must(err)
		_, err = svc.UpdateInstance(ctx, in.ID, func(i *ec2.Instance) error { i.State = ec2.StateRunning; return nil })
		h.must(err)
		ids = append(ids, in.ID)
	}
	h.a, h.b, h.c = ids[0], ids[1], ids[2]
	h.cfg = Config{Dir: filepath.Join(t.TempDir(), "ebs")}
	h.ctl = New(svc, h.cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	return h
}

func (h *host) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

// converge passes until the controller has nothing left to do now, as its
// loop would when woken by each of its own writes: until a pass writes
// nothing and waits on nothing.
func (h *host) converge() {
	h.t.Helper()
	for range 10 {
		before := h.revision()
		if h.ctl.pass(h.ctx) == idlePeriod && h.revision() == before {
			return
		}
	}
	h.t.Fatal("the controller did not converge in 10 passes")
}

// revision is the store's revision: it moves with every write.
func (h *host) revision() int64 {
	h.t.Helper()
	resp, err := h.ec2.Store.Client().Get(h.ctx, "", clientv3.WithPrefix(), clientv3.WithCountOnly())
	h.must(err)
	return resp.Header.Revision
}

// pass runs one pass and tells whether it waits on the host.
func (h *host) pass() time.Duration { return h.ctl.pass(h.ctx) }

func (h *host) volume(id string) *ec2.Volume {
	h.t.Helper()
	v, err := h.ec2.GetVolume(h.ctx, h.region, id)
	h.must(err)
	return v
}

func (h *host) run(name string, args ...string) string {
	h.t.Helper()
	out, err := exec.CommandContext(h.ctx, name, args...).CombinedOutput()
	if err != nil {
		h.t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// device is where the volume's link leads: what the CSI driver mounts.
func (h *host) device(volumeID string) string {
	h.t.Helper()
	dev, err := filepath.EvalSymlinks(filepath.Join(DefaultByID, linkName(volumeID)))
	if err != nil {
		h.t.Fatalf("the link of %s: %v", volumeID, err)
	}
	return dev
}

func (h *host) attach(volumeID, instanceID, device string) string {
	h.t.Helper()
	_, err := h.ec2.AttachVolume(h.ctx, h.region, volumeID, instanceID, device)
	h.must(err)
	h.converge()
	if a := h.volume(volumeID).AttachmentTo(instanceID); a == nil || a.State != ec2.AttachmentAttached {
		h.t.Fatalf("%s not attached to %s: %+v", volumeID, instanceID, a)
	}
	return h.device(volumeID)
}

func (h *host) detach(volumeID string) {
	h.t.Helper()
	_, err := h.ec2.DetachVolume(h.ctx, h.region, volumeID, "", "", false)
	h.must(err)
	h.converge()
	if v := h.volume(volumeID); v.Status() != ec2.VolumeAvailable {
		h.t.Fatalf("%s is %s after detaching", volumeID, v.Status())
	}
}

// mounted mounts dev, runs fn in the mount, and unmounts it.
func (h *host) mounted(dev string, fn func(dir string)) {
	h.t.Helper()
	dir := h.t.TempDir()
	h.run("mount", dev, dir)
	defer h.run("umount", dir)
	fn(dir)
}

// ours lists what this test's controller has on the host: loop devices
// over its files, links, and files.
func (h *host) ours() []string {
	h.t.Helper()
	var out []string
	loops, err := LoopDevices()
	h.must(err)
	for file, devs := range loops {
		if strings.HasPrefix(file, h.ctl.cfg.Dir) {
			out = append(out, "loop "+strings.Join(devs, ",")+" over "+file)
		}
	}
	volumes, err := h.ec2.Volumes(h.ctx, "")
	h.must(err)
	for name := range VolumeLinks(DefaultByID) {
		target, _ := os.Readlink(filepath.Join(DefaultByID, name))
		for file, devs := range loops {
			for _, dev := range devs {
				if strings.HasPrefix(file, h.ctl.cfg.Dir) && filepath.Base(dev) == filepath.Base(target) {
					out = append(out, "link "+name)
				}
			}
		}
		for _, v := range volumes {
			if volumeOfLink(name) == v.ID {
				out = append(out, "link "+name)
			}
		}
	}
	for _, dir := range []string{h.ctl.volumeDir(), h.ctl.snapshotDir()} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			out = append(out, "file "+filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// TestVolumeLifecycleOnTheHost takes a volume through what the EBS CSI
// driver does with one: made, attached (a loop device and the by-id
// link), formatted and written, detached and attached elsewhere with its
// bytes, grown while attached, snapshotted, restored into a new volume,
// and deleted, with nothing left on the host.
func TestVolumeLifecycleOnTheHost(t *testing.T) {
	needRoot(t)
	h := newHost(t)
	ctx := h.ctx
	size := 1
	v, err := h.ec2.CreateVolume(ctx, ec2.CreateVolumeInput{Region: h.region, Account: "123456789012", Zone: h.zone,
		VolumeRequest: ec2.VolumeRequest{Size: &size, Type: "gp3"}})
	h.must(err)
	t.Cleanup(func() { h.cleanUp(v.ID) })
	h.converge()
	if got := h.volume(v.ID).Status(); got != ec2.VolumeAvailable {
		t.Fatalf("created volume is %s", got)
	}
	st, err := os.Stat(h.ctl.VolumeFile(v.ID))
	h.must(err)
	if st.Size() != 1<<30 {
		t.Fatalf("volume file is %d bytes, want 1 GiB", st.Size())
	}

	dev := h.attach(v.ID, h.a, "/dev/xvdba")
	if !strings.HasPrefix(dev, "/dev/loop") {
		t.Fatalf("the link leads to %s, not a loop device", dev)
	}
	if dio, err := os.ReadFile(filepath.Join(sysBlock, filepath.Base(dev), "loop", "dio")); err == nil {
		t.Logf("%s over %s, direct I/O: %s", dev, h.ctl.VolumeFile(v.ID), strings.TrimSpace(string(dio)))
	}
	h.run("mkfs.ext4", "-q", dev)
	payload := []byte("kept across detach, attach, restart, growth and snapshot\n")
	h.mounted(dev, func(dir string) { h.must(os.WriteFile(filepath.Join(dir, "data"), payload, 0o644)) })

	// Detaching waits while the file system is mounted, as on EC2.
	mnt := t.TempDir()
	h.run("mount", dev, mnt)
	_, err = h.ec2.DetachVolume(ctx, h.region, v.ID, h.a, "", false)
	h.must(err)
	if next := h.pass(); next != waitPeriod {
		t.Errorf("a pass while the device is mounted: next in %s, want %s", next, waitPeriod)
	}
	if a := h.volume(v.ID).AttachmentTo(h.a); a == nil || a.State != ec2.AttachmentDetaching {
		t.Fatalf("a mounted volume was detached: %+v", a)
	}
	h.run("umount", mnt)
	h.converge()
	if got := h.volume(v.ID).Status(); got != ec2.VolumeAvailable {
		t.Fatalf("detached volume is %s", got)
	}
	if _, err := os.Lstat(filepath.Join(DefaultByID, linkName(v.ID))); err == nil {
		t.Fatal("the link outlived the attachment")
	}

	// Another instance of the zone gets the same bytes; one of another zone none.
	if _, err := h.ec2.AttachVolume(ctx, h.region, v.ID, h.c, "/dev/xvdba"); err == nil {
		t.Fatal("attached to an instance of another zone")
	}
	dev = h.attach(v.ID, h.b, "/dev/xvdbb")
	h.mounted(dev, func(dir string) {
		if got, err := os.ReadFile(filepath.Join(dir, "data")); err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("after re-attaching: %q, %v", got, err)
		}
	})

	// A restarted keks adopts the device it made.
	h.ctl = New(h.ec2, h.cfg, h.ctl.log)
	h.converge()
	if again := h.device(v.ID); again != dev {
		t.Fatalf("after a restart the volume is %s, was %s", again, dev)
	}
	loops, err := LoopDevices()
	h.must(err)
	if devs := loops[h.ctl.VolumeFile(v.ID)]; len(devs) != 1 {
		t.Fatalf("after a restart the volume has devices %v, want one", devs)
	}

	// Growing an attached volume grows its device.
	two := 2
	_, err = h.ec2.ModifyVolume(ctx, h.region, v.ID, ec2.VolumeRequest{Size: &two})
	h.must(err)
	h.converge()
	if got := h.volume(v.ID); got.Size != 2 || got.Modification.State != ec2.ModificationCompleted || got.Modification.Progress != 100 {
		t.Fatalf("after growing: size %d, modification %+v", got.Size, got.Modification)
	}
	if got := strings.TrimSpace(h.run("blockdev", "--getsize64", dev)); got != "2147483648" {
		t.Fatalf("the device is %s bytes after growing, want 2 GiB", got)
	}

	// A snapshot of the attached volume, restored into a new volume.
	snap, err := h.ec2.CreateSnapshot(ctx, h.region, v.ID, "lifecycle", nil)
	h.must(err)
	h.converge()
	if s, err := h.ec2.GetSnapshot(ctx, h.region, snap.ID); err != nil || s.State != ec2.SnapshotCompleted || s.Progress != 100 || s.VolumeSize != 2 {
		t.Fatalf("snapshot: %+v, %v", s, err)
	}
	restored, err := h.ec2.CreateVolume(ctx, ec2.CreateVolumeInput{Region: h.region, Account: "123456789012", Zone: h.zone, SnapshotID: snap.ID})
	h.must(err)
	t.Cleanup(func() { h.cleanUp(restored.ID) })
	h.converge()
	rdev := h.attach(restored.ID, h.a, "/dev/xvdbc")
	h.mounted(rdev, func(dir string) {
		if got, err := os.ReadFile(filepath.Join(dir, "data")); err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("restored from the snapshot: %q, %v", got, err)
		}
	})
	if st, err := os.Stat(h.ctl.SnapshotFile(snap.ID)); err != nil || st.Sys() == nil {
		t.Fatalf("snapshot file: %v", err)
	} else if used := blocksOf(st) * 512; used > 64<<20 {
		t.Errorf("the snapshot file takes %d bytes of a mostly empty 2 GiB volume: not sparse", used)
	}

	// Terminating an instance detaches its volumes.
	_, err = h.ec2.TerminateInstances(ctx, []string{h.a})
	h.must(err)
	h.converge()
	if got := h.volume(restored.ID).Status(); got != ec2.VolumeAvailable {
		t.Fatalf("the volume of a terminated instance is %s", got)
	}

	h.detach(v.ID)
	h.must(h.ec2.DeleteVolume(ctx, h.region, v.ID))
	h.must(h.ec2.DeleteVolume(ctx, h.region, restored.ID))
	h.must(h.ec2.DeleteSnapshot(ctx, h.region, snap.ID))
	h.converge()
	if left := h.ours(); len(left) > 0 {
		t.Fatalf("left on the host: %v", left)
	}
	if all, _ := h.ec2.Volumes(ctx, ""); len(all) != 0 {
		t.Fatalf("volumes left: %+v", all)
	}
}

// TestSweepRemovesWhatNoRecordWants: a device, link and file of a volume
// the store no longer has (a crash, a record removed by hand) go.
func TestSweepRemovesWhatNoRecordWants(t *testing.T) {
	needRoot(t)
	h := newHost(t)
	file := h.ctl.VolumeFile("vol-0123456789abcdef0")
	h.must(os.MkdirAll(filepath.Dir(file), 0o700))
	h.must(createEmpty(file, 64<<20))
	dev, err := AttachLoop(file)
	h.must(err)
	t.Cleanup(func() { _ = DetachLoop(dev); _ = RemoveLink(DefaultByID, "vol-0123456789abcdef0") })
	h.must(EnsureLink(DefaultByID, "vol-0123456789abcdef0", dev))
	h.must(os.MkdirAll(h.ctl.snapshotDir(), 0o700))
	h.must(os.WriteFile(h.ctl.SnapshotFile("snap-0123456789abcdef0")+".tmp", nil, 0o600))
	h.converge()
	if left := h.ours(); len(left) > 0 {
		t.Fatalf("left on the host: %v", left)
	}
	if _, err := os.Lstat(filepath.Join(DefaultByID, linkName("vol-0123456789abcdef0"))); err == nil {
		t.Fatal("the orphan link is still there")
	}
}

// cleanUp leaves nothing of a volume on the host whatever the test did.
func (h *host) cleanUp(volumeID string) {
	_ = RemoveLink(DefaultByID, volumeID)
	loops, _ := LoopDevices()
	for file, devs := range loops {
		if strings.HasPrefix(file, h.ctl.cfg.Dir) {
			for _, dev := range devs {
				_ = exec.Command("umount", "-l", dev).Run()
				_ = DetachLoop(dev)
			}
		}
	}
}

// blocksOf is how many 512-byte blocks a file takes on disk.
func blocksOf(st os.FileInfo) int64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return s.Blocks
	}
	return 0
}
