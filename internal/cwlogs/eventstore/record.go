package eventstore

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// Event is one stored log event.
type Event struct {
	Timestamp int64  // milliseconds since the epoch, as the writer gave it
	Ingestion int64  // milliseconds since the epoch, when the stream took it
	Seq       uint64 // the stream's ingestion order, from 1
	Message   string
}

// Key orders a stream's events: by timestamp, then by ingestion order.
type Key struct {
	Timestamp int64
	Seq       uint64
}

// Key is the event's place in its stream.
func (e Event) Key() Key { return Key{e.Timestamp, e.Seq} }

// Compare is -1, 0 or 1 as k is before, at or after o.
func (k Key) Compare(o Key) int {
	switch {
	case k.Timestamp < o.Timestamp:
		return -1
	case k.Timestamp > o.Timestamp:
		return 1
	case k.Seq < o.Seq:
		return -1
	case k.Seq > o.Seq:
		return 1
	}
	return 0
}

// Less reports whether k is before o.
func (k Key) Less(o Key) bool { return k.Compare(o) < 0 }

const (
	// fileHeader starts every segment file; its last byte is the format.
	fileHeader = "KEKSCWL\x01"
	frameBytes = 8  // length + checksum
	fixedBytes = 24 // timestamp, ingestion, seq
	// maxPayload bounds a record: CloudWatch's largest event (1 MiB) with
	// room to spare. A larger length is a torn or foreign file.
	maxPayload = fixedBytes + 2<<20
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

var errCorrupt = errors.New("corrupt record")

// recordSize is how many bytes an event takes on disk.
func recordSize(e *Event) int64 { return int64(frameBytes + fixedBytes + len(e.Message)) }

// appendRecord frames e onto buf.
func appendRecord(buf []byte, e *Event) []byte {
	n := fixedBytes + len(e.Message)
	start := len(buf)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(n))
	buf = binary.LittleEndian.AppendUint32(buf, 0) // checksum, below
	buf = binary.LittleEndian.AppendUint64(buf, uint64(e.Timestamp))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(e.Ingestion))
	buf = binary.LittleEndian.AppendUint64(buf, e.Seq)
	buf = append(buf, e.Message...)
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(buf[start+frameBytes:], crcTable))
	return buf
}

// decodeRecord reads the record at the start of b: the event and how many
// bytes it took. A short b is io-incomplete (ok false, nil error); a
// frame that does not check out is errCorrupt.
func decodeRecord(b []byte) (e Event, n int, ok bool, err error) {
	if len(b) < frameBytes {
		return e, 0, false, nil
	}
	size := binary.LittleEndian.Uint32(b)
	if size < fixedBytes || size > maxPayload {
		return e, 0, false, errCorrupt
	}
	if len(b) < frameBytes+int(size) {
		return e, 0, false, nil
	}
	payload := b[frameBytes : frameBytes+int(size)]
	if crc32.Checksum(payload, crcTable) != binary.LittleEndian.Uint32(b[4:]) {
		return e, 0, false, errCorrupt
	}
	e.Timestamp = int64(binary.LittleEndian.Uint64(payload))
	e.Ingestion = int64(binary.LittleEndian.Uint64(payload[8:]))
	e.Seq = binary.LittleEndian.Uint64(payload[16:])
	e.Message = string(payload[fixedBytes:])
	return e, frameBytes + int(size), true, nil
}
