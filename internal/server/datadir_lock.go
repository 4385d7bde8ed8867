package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// errDataDirLocked means another process holds the data directory's lock.
var errDataDirLocked = errors.New("data directory locked")

// lockDataDir takes an exclusive lock on the data directory, so a second keks
// server on the same directory stops at once with a message instead of
// fighting the first over its store, processes and addresses. The lock goes
// with the process, even when it is killed.
func lockDataDir(dir string) (release func(), err error) {
	path := filepath.Join(dir, "keks.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another keks server (pid %s) is already serving from %s: stop it first, or give this one another --data-dir%w",
				strings.TrimSpace(string(holder)), dir, quiet{errDataDirLocked})
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() { _ = f.Close() }, nil
}

// quiet wraps an error for errors.Is without adding to the message.
type quiet struct{ err error }

func (q quiet) Error() string { return "" }
func (q quiet) Unwrap() error { return q.err }
