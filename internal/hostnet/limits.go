package hostnet

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// limits are kernel limits every instance draws on, shared host-wide:
// each kubelet, containerd and kube-proxy holds inotify instances, and
// the kernel's default of 128 per user runs out at a dozen nodes (kube-proxy
// then fails with "fsnotify watcher init: too many open files"). kind asks
// its users to raise the same two.
var limits = map[string]int64{
	"/proc/sys/fs/inotify/max_user_instances": 8192,
	"/proc/sys/fs/inotify/max_user_watches":   524288,
}

// RaiseLimits raises each limit to at least its value; a higher one is left alone.
func RaiseLimits() error {
	for path, want := range limits {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		if have, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64); err == nil && have >= want {
			continue
		}
		if err := os.WriteFile(path, []byte(strconv.FormatInt(want, 10)), 0o644); err != nil {
			return fmt.Errorf("raise %s to %d: %w", path, want, err)
		}
	}
	return nil
}
