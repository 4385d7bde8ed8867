package supervisor

import (
	"fmt"
	"io"
	"os"
)

// RotateLog bounds a process's log file: once it exceeds limit bytes, it is
// copied to <file>.1 (replacing the previous one) and emptied in place. The
// process keeps writing to the same open file, which it opened for
// appending, so its next line lands at the start of the emptied file.
func RotateLog(path string, limit int64) (rotated bool, err error) {
	st, err := os.Stat(path)
	if err != nil || st.Size() <= limit {
		return false, nil
	}
	src, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("rotate %s: %w", path, err)
	}
	defer src.Close()
	dst, err := os.Create(path + ".1")
	if err != nil {
		return false, fmt.Errorf("rotate %s: %w", path, err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return false, fmt.Errorf("rotate %s: %w", path, err)
	}
	if err := dst.Close(); err != nil {
		return false, fmt.Errorf("rotate %s: %w", path, err)
	}
	if err := os.Truncate(path, 0); err != nil {
		return false, fmt.Errorf("rotate %s: %w", path, err)
	}
	return true, nil
}
