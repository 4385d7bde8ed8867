package ebs

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// A volume's bytes travel between keks and an agent host as a sparse
// stream, so a mostly empty 100 GiB volume is sent as its data alone:
//
//	header: "KEKSSPR1", size (uint64)
//	frames: offset (uint64), length (uint32, 1..copyBlock), length bytes
//	end:    size (uint64), 0 (uint32)
//
// all big-endian. Frames come in increasing order of offset, never
// overlapping, and end within size; what no frame covers is zero (a hole).
// A stream without its end frame was cut short and is refused.
var streamMagic = [8]byte{'K', 'E', 'K', 'S', 'S', 'P', 'R', '1'}

// errBadStream wraps every way a received stream breaks the format.
var errBadStream = errors.New("not a well-formed sparse volume stream")

// ErrBadStream tells a stream that breaks the format (the sender's fault)
// from a failure to store it.
func ErrBadStream(err error) bool { return errors.Is(err, errBadStream) }

// SendSparse writes the first size bytes of file to w as a sparse stream.
func SendSparse(w io.Writer, file string, size int64) error {
	in, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("open %s: %w", file, err)
	}
	defer in.Close()
	bw := bufio.NewWriterSize(w, copyBlock+16)
	var head [16]byte
	copy(head[:8], streamMagic[:])
	binary.BigEndian.PutUint64(head[8:], uint64(size))
	if _, err := bw.Write(head[:]); err != nil {
		return fmt.Errorf("send %s: %w", file, err)
	}
	frame := func(off int64, b []byte) error {
		var h [12]byte
		binary.BigEndian.PutUint64(h[:8], uint64(off))
		binary.BigEndian.PutUint32(h[8:], uint32(len(b)))
		if _, err := bw.Write(h[:]); err != nil {
			return err
		}
		_, err := bw.Write(b)
		return err
	}
	if err := dataBlocks(in, size, frame); err != nil {
		return fmt.Errorf("send %s: %w", file, err)
	}
	if err := frame(size, nil); err != nil {
		return fmt.Errorf("send %s: %w", file, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("send %s: %w", file, err)
	}
	return nil
}

// ReceiveSparse writes a sparse stream from r to a new file dst, whole or
// not at all: under a temporary name, synced, then renamed into place (and
// the directory synced, so the rename survives a crash). accept is asked
// about the stream's size before anything is written; its error is
// returned as it is.
func ReceiveSparse(r io.Reader, dst string, accept func(size int64) error) (int64, error) {
	br := bufio.NewReaderSize(r, copyBlock+16)
	var head [16]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return 0, fmt.Errorf("%w: its header: %v", errBadStream, err)
	}
	if [8]byte(head[:8]) != streamMagic {
		return 0, fmt.Errorf("%w: it does not begin with %q", errBadStream, streamMagic[:])
	}
	size := int64(binary.BigEndian.Uint64(head[8:]))
	if size < 0 {
		return 0, fmt.Errorf("%w: its size is negative", errBadStream)
	}
	if err := accept(size); err != nil {
		return 0, err
	}
	if err := writeWhole(dst, size, func(out *os.File) error { return receiveFrames(br, out, size) }); err != nil {
		return 0, fmt.Errorf("receive %s: %w", dst, err)
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return 0, err
	}
	return size, nil
}

// receiveFrames writes the frames of br to out until the end frame.
func receiveFrames(br io.Reader, out *os.File, size int64) error {
	buf := make([]byte, copyBlock)
	next := int64(0) // frames never go back, nor overlap
	for {
		var h [12]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return fmt.Errorf("%w: a frame's header: %v (cut short?)", errBadStream, err)
		}
		off, n := int64(binary.BigEndian.Uint64(h[:8])), int64(binary.BigEndian.Uint32(h[8:]))
		if n == 0 {
			if off != size {
				return fmt.Errorf("%w: it ends at %d, not at its size %d", errBadStream, off, size)
			}
			return nil
		}
		if off < next || n > copyBlock || off > size-n {
			return fmt.Errorf("%w: a frame of %d bytes at %d goes back, is too long or ends past %d", errBadStream, n, off, size)
		}
		if _, err := io.ReadFull(br, buf[:n]); err != nil {
			return fmt.Errorf("%w: a frame's data: %v (cut short?)", errBadStream, err)
		}
		if _, err := out.WriteAt(buf[:n], off); err != nil {
			return err
		}
		next = off + n
	}
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
