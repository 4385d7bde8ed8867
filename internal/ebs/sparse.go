package ebs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// copyBlock is the unit a sparse copy reads and skips when it is all zero:
// a file system block's multiple, small enough that a mostly empty volume
// stays mostly holes.
const copyBlock = 64 << 10

// copySparse writes the first size bytes of src to a new file dst of size
// bytes, leaving holes where src has holes or zero blocks: a volume or
// snapshot file takes the space of its data only. The copy is made under
// a temporary name and renamed into place once synced, so dst is either
// whole or absent.
func copySparse(src, dst string, size int64) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("open %s: %w", src, err)
	}
	defer in.Close()
	if err := writeWhole(dst, size, func(out *os.File) error { return copyData(in, out, size) }); err != nil {
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	return nil
}

// copyData copies the data extents of in below limit, block by block,
// skipping zero blocks.
func copyData(in, out *os.File, limit int64) error {
	return dataBlocks(in, limit, func(off int64, b []byte) error {
		_, err := out.WriteAt(b, off)
		return err
	})
}

// dataBlocks calls fn with each non-zero block of in's data extents below
// limit (found with SEEK_DATA and SEEK_HOLE), in order of offset; fn must
// not keep b.
func dataBlocks(in *os.File, limit int64, fn func(off int64, b []byte) error) error {
	buf := make([]byte, copyBlock)
	zero := make([]byte, copyBlock)
	for off := int64(0); off < limit; {
		start, err := unix.Seek(int(in.Fd()), off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			return nil // no data after off
		} else if err != nil {
			return fmt.Errorf("find data: %w", err)
		}
		if start >= limit {
			return nil
		}
		end, err := unix.Seek(int(in.Fd()), start, unix.SEEK_HOLE)
		if err != nil {
			return fmt.Errorf("find a hole: %w", err)
		}
		end = min(end, limit)
		for pos := start; pos < end; {
			n, err := in.ReadAt(buf[:min(int64(len(buf)), end-pos)], pos)
			if n > 0 && !bytes.Equal(buf[:n], zero[:n]) {
				if werr := fn(pos, buf[:n]); werr != nil {
					return werr
				}
			}
			pos += int64(n)
			if errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return err
			}
		}
		off = end
	}
	return nil
}

// createEmpty makes a volume file of size bytes that holds nothing yet:
// all hole.
func createEmpty(dst string, size int64) error {
	tmp := dst + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	defer os.Remove(tmp)
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("make %s: %w", dst, err)
	}
	return os.Rename(tmp, dst)
}

// Grow makes a file at least size bytes long; the new end is a hole.
func Grow(file string, size int64) error {
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	if st.Size() >= size {
		return nil
	}
	if err := os.Truncate(file, size); err != nil {
		return fmt.Errorf("grow %s: %w", file, err)
	}
	return nil
}

// writeWhole makes a file dst of size bytes that fill writes, whole or not
// at all: under a temporary name, synced, then renamed into place.
func writeWhole(dst string, size int64, fill func(out *os.File) error) error {
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	defer os.Remove(tmp) // gone once renamed
	err = fill(out)
	if err == nil {
		err = out.Truncate(size)
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	return nil
}
