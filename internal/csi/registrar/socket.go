package registrar

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
)

// socketExists says whether path is a socket; anything else there is an
// error, which upstream refuses to remove.
func socketExists(path string) (bool, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stat the socket %s: %w", path, err)
	}
	if info.Mode()&fs.ModeSocket == 0 {
		return false, fmt.Errorf("%s exists but is not a socket", path)
	}
	return true, nil
}

// listenUnix listens on path after removing the socket a registrar that
// died left there (listening would fail on it), and makes the socket
// reachable by its owner only: the kubelet, which runs as root.
func listenUnix(path string) (net.Listener, error) {
	stale, err := socketExists(path)
	if err != nil {
		return nil, err
	}
	if stale {
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove the stale socket %s: %w", path, err)
		}
	}
	listener, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		listener.Close()
		return nil, fmt.Errorf("restrict the socket %s to its owner: %w", path, err)
	}
	return listener, nil
}
