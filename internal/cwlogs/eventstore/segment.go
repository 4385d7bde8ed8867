package eventstore

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// blockSpan is how far apart the sparse index's entries are: a read
// decodes at most about this much before the first record it wants.
const blockSpan = 8 << 10

// block is an entry of a segment's sparse index: the offset and key of
// the first record of a stretch of the file.
type block struct {
	off   int64
	first Key
}

// segment is one file of a stream: records sorted by key.
type segment struct {
	id     uint64
	path   string
	size   int64 // bytes of whole records, header included
	events int
	first  Key // of the first record; meaningless while events is 0
	last   Key
	// firstIngestion and lastIngestion bound when the records came.
	firstIngestion, lastIngestion int64
	blocks                        []block
	// file is open for appending while the segment is a run's tail; nil
	// once it is sealed.
	file *os.File
}

const segmentSuffix = ".seg"

func segmentName(id uint64) string { return fmt.Sprintf("%016x%s", id, segmentSuffix) }

// segmentID reads a segment file's id from its name.
func segmentID(name string) (uint64, bool) {
	hex, ok := strings.CutSuffix(name, segmentSuffix)
	if !ok || len(hex) != 16 {
		return 0, false
	}
	id, err := strconv.ParseUint(hex, 16, 64)
	return id, err == nil
}

// createSegment makes an empty segment file, open for appending.
func createSegment(dir string, id uint64) (*segment, error) {
	path := filepath.Join(dir, segmentName(id))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create segment %s: %w", path, err)
	}
	if _, err := f.Write([]byte(fileHeader)); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return nil, fmt.Errorf("write segment header %s: %w", path, err)
	}
	return &segment{id: id, path: path, size: int64(len(fileHeader)), file: f}, nil
}

// scanSegment rebuilds a segment's metadata and index from its file. A
// torn or corrupt tail (a write cut short by a crash) is cut off, so that
// what follows is whole records; ok false means nothing usable is left
// and the file should go.
func scanSegment(path string, id uint64) (s *segment, cut int64, ok bool, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, 0, false, fmt.Errorf("open segment %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, false, fmt.Errorf("stat segment %s: %w", path, err)
	}
	r := bufio.NewReaderSize(f, 256<<10)
	header := make([]byte, len(fileHeader))
	if _, err := io.ReadFull(r, header); err != nil || string(header) != fileHeader {
		return nil, st.Size(), false, nil
	}
	s = &segment{id: id, path: path, size: int64(len(fileHeader))}
	var frame [frameBytes]byte
	buf := make([]byte, 0, 64<<10)
	for {
		if _, err := io.ReadFull(r, frame[:]); err != nil {
			break // end of file, or a torn frame
		}
		size := int(uint32(frame[0]) | uint32(frame[1])<<8 | uint32(frame[2])<<16 | uint32(frame[3])<<24)
		if size < fixedBytes || size > maxPayload {
			break
		}
		buf = append(buf[:0], frame[:]...)
		buf = append(buf, make([]byte, size)...)
		if _, err := io.ReadFull(r, buf[frameBytes:]); err != nil {
			break
		}
		e, n, whole, err := decodeRecord(buf)
		if err != nil || !whole || (s.events > 0 && !s.last.Less(e.Key())) {
			break // a record out of order is no record this package wrote
		}
		s.note(&e, s.size)
		s.size += int64(n)
	}
	if cut = st.Size() - s.size; cut > 0 {
		if err := f.Truncate(s.size); err != nil {
			return nil, 0, false, fmt.Errorf("cut the torn end of segment %s: %w", path, err)
		}
	}
	return s, cut, s.events > 0, nil
}

// note records in the metadata an event written at offset off.
func (s *segment) note(e *Event, off int64) {
	k := e.Key()
	if s.events == 0 {
		s.first, s.firstIngestion = k, e.Ingestion
	}
	if len(s.blocks) == 0 || off-s.blocks[len(s.blocks)-1].off >= blockSpan {
		s.blocks = append(s.blocks, block{off: off, first: k})
	}
	s.last = k
	s.lastIngestion = max(s.lastIngestion, e.Ingestion)
	s.events++
}

// seal closes the segment's file for appending.
func (s *segment) seal() error {
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	s.file = nil
	if err != nil {
		return fmt.Errorf("close segment %s: %w", s.path, err)
	}
	return nil
}

// view is what a reader needs of a segment, copied under the stream's
// lock: the file only grows past size, and blocks only gains entries, so
// the copy stays true while the reader works without the lock.
type view struct {
	path        string
	size        int64
	first, last Key
	blocks      []block
}

func (s *segment) view() view {
	return view{path: s.path, size: s.size, first: s.first, last: s.last, blocks: s.blocks[:len(s.blocks):len(s.blocks)]}
}

// blockEnd is where block i of the view ends.
func (v *view) blockEnd(i int) int64 {
	if i+1 < len(v.blocks) {
		return v.blocks[i+1].off
	}
	return v.size
}

// readBlock decodes the records of block i.
func (v *view) readBlock(f *os.File, i int, buf []byte) ([]Event, []byte, error) {
	start, end := v.blocks[i].off, v.blockEnd(i)
	if cap(buf) < int(end-start) {
		buf = make([]byte, end-start)
	}
	buf = buf[:end-start]
	if _, err := f.ReadAt(buf, start); err != nil {
		return nil, buf, fmt.Errorf("read segment %s at %d: %w", v.path, start, err)
	}
	var out []Event
	for b := buf; len(b) > 0; {
		e, n, ok, err := decodeRecord(b)
		if err != nil || !ok {
			return nil, buf, fmt.Errorf("segment %s at %d: %w", v.path, start+int64(len(buf)-len(b)), errors.Join(errCorrupt, err))
		}
		out = append(out, e)
		b = b[n:]
	}
	return out, buf, nil
}
