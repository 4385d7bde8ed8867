package cwlogs

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"strconv"

	"github.com/keksdev/keks/internal/cwlogs/eventstore"
)

// position is a GetLogEvents token: a cut in a stream's order of events
// (those before key on one side, the rest on the other) and the way to
// read from it. It names no file or offset, so it stays good while
// segments are written and dropped.
type position struct {
	forward bool
	key     eventstore.Key
}

var crc64Table = crc64.MakeTable(crc64.ECMA)

// String is CloudWatch's shape of the token: "f/" or "b/" and 56 digits
// (here the timestamp, the sequence number and a check of both, which
// tells a token keks made from one it did not).
func (p position) String() string {
	dir := "b/"
	if p.forward {
		dir = "f/"
	}
	digits := fmt.Sprintf("%020d%020d", p.key.Timestamp, p.key.Seq)
	return dir + digits + fmt.Sprintf("%016d", crc64.Checksum([]byte(dir+digits), crc64Table)%1e16)
}

// parsePosition reads a GetLogEvents token.
func parsePosition(token string) (position, error) {
	if len(token) != 2+56 || (token[:2] != "f/" && token[:2] != "b/") {
		return position{}, errBadToken
	}
	digits := token[2:42]
	if fmt.Sprintf("%016d", crc64.Checksum([]byte(token[:42]), crc64Table)%1e16) != token[42:] {
		return position{}, errBadToken
	}
	ts, err1 := strconv.ParseInt(digits[:20], 10, 64)
	seq, err2 := strconv.ParseUint(digits[20:], 10, 64)
	if err1 != nil || err2 != nil || ts < 0 {
		return position{}, errBadToken
	}
	return position{forward: token[0] == 'f', key: eventstore.Key{Timestamp: ts, Seq: seq}}, nil
}

// groupPosition is a FilterLogEvents token: the last event a page went
// through (returned or only searched), in the group's order of events,
// and the way the pages go.
type groupPosition struct {
	forward   bool
	timestamp int64
	ingestion int64
	stream    string
	seq       uint64
}

const groupTokenVersion = 1

func (p groupPosition) String() string {
	b := []byte{groupTokenVersion, 0}
	if p.forward {
		b[1] = 1
	}
	b = binary.BigEndian.AppendUint64(b, uint64(p.timestamp))
	b = binary.BigEndian.AppendUint64(b, uint64(p.ingestion))
	b = binary.BigEndian.AppendUint64(b, p.seq)
	b = append(b, p.stream...)
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseGroupPosition(token string) (groupPosition, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 2+24+4 || b[0] != groupTokenVersion || b[1] > 1 {
		return groupPosition{}, errBadToken
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return groupPosition{}, errBadToken
	}
	return groupPosition{forward: b[1] == 1, timestamp: int64(binary.BigEndian.Uint64(body[2:])), ingestion: int64(binary.BigEndian.Uint64(body[10:])),
		seq: binary.BigEndian.Uint64(body[18:]), stream: string(body[26:])}, nil
}
