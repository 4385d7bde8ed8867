package ebs

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestLoopDeviceLifecycle makes a loop device over a temporary file with
// its by-id link, finds it again by its backing file, and removes both:
// what keks agent does with the exported functions.
func TestLoopDeviceLifecycle(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loop devices need root")
	}
	if _, err := os.Stat(loopControl); err != nil {
		t.Skipf("no %s on this host", loopControl)
	}
	dir := t.TempDir()
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real // sysfs names backing files by their real path
	}
	file := filepath.Join(dir, "vol-0123456789abcdef0.img")
	if err := createEmpty(file, 16<<20); err != nil {
		t.Fatal(err)
	}
	dev, err := AttachLoop(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = DetachLoop(dev) })
	loops, err := LoopDevices()
	if err != nil || !slices.Contains(loops[file], dev) {
		t.Fatalf("LoopDevices() = %v, %v; want %s over %s", loops, err, dev, file)
	}
	if LoopInUse(dev) {
		t.Errorf("%s is in use with nothing mounted", dev)
	}
	byID := filepath.Join(dir, "by-id")
	if err := EnsureLink(byID, "vol-0123456789abcdef0", dev); err != nil {
		t.Fatal(err)
	}
	if got := VolumeLinks(byID); len(got) != 1 {
		t.Errorf("VolumeLinks = %v, want the one link", got)
	}
	if err := RemoveLink(byID, "vol-0123456789abcdef0"); err != nil {
		t.Fatal(err)
	}
	if err := DetachLoop(dev); err != nil {
		t.Fatal(err)
	}
	loops, err = LoopDevices()
	if err != nil || slices.Contains(loops[file], dev) {
		t.Fatalf("after DetachLoop, LoopDevices() = %v, %v", loops[file], err)
	}
}
