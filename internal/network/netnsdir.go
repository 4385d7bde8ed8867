package network

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// NetnsDir is where named network namespaces are pinned, as `ip netns` pins them.
const NetnsDir = "/var/run/netns"

// PrepareNetnsDir makes NetnsDir a shared mount of its own, as `ip netns
// add` does the first time it runs on a host. Pins made while it is a plain
// directory would be hidden under the mount a later `ip netns add` (by keks
// or by anyone) puts over it, and could then no longer be removed.
func PrepareNetnsDir() error {
	if err := os.MkdirAll(NetnsDir, 0o755); err != nil {
		return err
	}
	err := unix.Mount("", NetnsDir, "none", unix.MS_SHARED|unix.MS_REC, "")
	if errors.Is(err, unix.EINVAL) { // not a mount point yet
		// Recursive, so that pins already there stay visible.
		if err := unix.Mount(NetnsDir, NetnsDir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind %s on itself: %w", NetnsDir, err)
		}
		err = unix.Mount("", NetnsDir, "none", unix.MS_SHARED|unix.MS_REC, "")
	}
	if err != nil {
		return fmt.Errorf("make %s a shared mount: %w", NetnsDir, err)
	}
	return nil
}
