package ebs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// A volume attached to an instance is a loop device over its file, set up
// with the kernel's ioctls: LOOP_CTL_GET_FREE finds a free device,
// LOOP_CONFIGURE binds it to the file in one step (direct I/O where the
// file system allows, so the file's page cache does not hold the data
// twice). The device outlives keks: the kernel keeps it until it is
// cleared, and sysfs names each device's file, so a restarted keks finds
// its devices again instead of making more.

const (
	loopControl = "/dev/loop-control"
	sysBlock    = "/sys/block"
	loopMajor   = 7
	// deletedSuffix is what sysfs appends to a backing file that was removed.
	deletedSuffix = " (deleted)"
)

// LoopDevices maps each file that backs a loop device to its devices
// (/dev/loopN), as sysfs lists them; a removed file keeps its name with
// deletedSuffix.
func LoopDevices() (map[string][]string, error) {
	paths, err := filepath.Glob(filepath.Join(sysBlock, "loop*", "loop", "backing_file"))
	if err != nil {
		return nil, fmt.Errorf("list loop devices: %w", err)
	}
	out := map[string][]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // cleared between the listing and the read
		}
		name := filepath.Base(filepath.Dir(filepath.Dir(p)))
		file := strings.TrimSuffix(string(b), "\n")
		out[file] = append(out[file], "/dev/"+name)
	}
	return out, nil
}

// AttachLoop binds a free loop device to file and returns its path.
func AttachLoop(file string) (string, error) {
	ctl, err := os.OpenFile(loopControl, os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", loopControl, err)
	}
	defer ctl.Close()
	backing, err := os.OpenFile(file, os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", file, err)
	}
	defer backing.Close()
	directIO := true
	// Another program may take the free device first: ask for another.
	for attempt := 0; attempt < 20; attempt++ {
		n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return "", fmt.Errorf("find a free loop device: %w", err)
		}
		dev, err := openLoop(n)
		if err != nil {
			return "", err
		}
		cfg := unix.LoopConfig{Fd: uint32(backing.Fd())}
		if directIO {
			cfg.Info.Flags = unix.LO_FLAGS_DIRECT_IO
		}
		copy(cfg.Info.File_name[:len(cfg.Info.File_name)-1], file)
		err = unix.IoctlLoopConfigure(int(dev.Fd()), &cfg)
		path := dev.Name()
		dev.Close()
		switch {
		case err == nil:
			return path, nil
		case errors.Is(err, unix.EBUSY):
			continue
		case errors.Is(err, unix.EINVAL) && directIO:
			directIO = false // a file system without O_DIRECT: buffered then
			continue
		default:
			return "", fmt.Errorf("bind %s to %s: %w", path, file, err)
		}
	}
	return "", fmt.Errorf("bind a loop device to %s: every free device was taken first", file)
}

// openLoop opens /dev/loopN, making its node when /dev has none (a /dev
// that is not devtmpfs).
func openLoop(n int) (*os.File, error) {
	path := fmt.Sprintf("/dev/loop%d", n)
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_CLOEXEC, 0)
	if errors.Is(err, os.ErrNotExist) {
		if err := unix.Mknod(path, unix.S_IFBLK|0o660, int(unix.Mkdev(loopMajor, uint32(n)))); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("make %s: %w", path, err)
		}
		f, err = os.OpenFile(path, os.O_RDWR|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return f, nil
}

// DetachLoop clears a loop device. One still open (mounted) is cleared by
// the kernel when it is last closed; its file stays in use until then.
func DetachLoop(dev string) error {
	f, err := os.OpenFile(dev, os.O_RDWR|unix.O_CLOEXEC, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("open %s: %w", dev, err)
	}
	defer f.Close()
	if err := unix.IoctlSetInt(int(f.Fd()), unix.LOOP_CLR_FD, 0); err != nil && !errors.Is(err, unix.ENXIO) {
		return fmt.Errorf("clear %s: %w", dev, err)
	}
	return nil
}

// LoopInUse tells whether something holds the device exclusively: a file
// system mounted from it, in any mount namespace (an instance's included).
func LoopInUse(dev string) bool {
	fd, err := unix.Open(dev, unix.O_RDONLY|unix.O_EXCL|unix.O_CLOEXEC, 0)
	if err != nil {
		return errors.Is(err, unix.EBUSY)
	}
	unix.Close(fd)
	return false
}

// Clearing tells whether a loop device is on its way out: cleared while
// still open (a forced detach of a mounted volume), it lets go of its file
// when last closed, and must not be taken for a new attachment.
func Clearing(dev string) bool {
	f, err := os.OpenFile(dev, os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return true
	}
	defer f.Close()
	info, err := unix.IoctlLoopGetStatus64(int(f.Fd()))
	return err != nil || info.Flags&unix.LO_FLAGS_AUTOCLEAR != 0
}

// RefreshCapacity makes a loop device take its file's new size.
func RefreshCapacity(dev string) error {
	f, err := os.OpenFile(dev, os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", dev, err)
	}
	defer f.Close()
	if err := unix.IoctlSetInt(int(f.Fd()), unix.LOOP_SET_CAPACITY, 0); err != nil {
		return fmt.Errorf("refresh the capacity of %s: %w", dev, err)
	}
	return nil
}

// SyncDevice writes what the device holds in memory down to its file,
// so that a copy of the file is the volume as the instance last wrote it.
func SyncDevice(dev string) error {
	f, err := os.OpenFile(dev, os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", dev, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dev, err)
	}
	return nil
}
