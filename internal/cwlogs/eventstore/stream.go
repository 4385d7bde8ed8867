package eventstore

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"sync"
)

// ErrClosed is the error of writing to a stream that was closed or
// destroyed (its log stream or group was deleted meanwhile).
var ErrClosed = errors.New("eventstore: stream closed")

// Options shape a stream's segments.
type Options struct {
	// SegmentBytes is the size past which a run's tail is sealed and a
	// new segment started: the unit in which retention and caps free space.
	SegmentBytes int64
	// SegmentMillis is the age (first ingestion to now) past which a tail
	// is sealed, so that a quiet stream's old events can expire too.
	SegmentMillis int64
	// Runs is how many segments may be open for appending at once.
	Runs int
	Log  *slog.Logger
}

// Default options: 8 MiB or a day per segment, four runs.
const (
	DefaultSegmentBytes  = 8 << 20
	DefaultSegmentMillis = 24 * 3600 * 1000
	DefaultRuns          = 4
)

func (o *Options) fill() {
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.SegmentMillis <= 0 {
		o.SegmentMillis = DefaultSegmentMillis
	}
	if o.Runs <= 0 {
		o.Runs = DefaultRuns
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Stream is one log stream's events on disk.
type Stream struct {
	dir  string
	opts Options

	mu       sync.Mutex
	segments []*segment // by id
	runs     []*segment // open tails, a subset of segments
	nextSeq  uint64
	nextID   uint64
	// lastIngestion keeps ingestion times from going back when the
	// clock does, so that (timestamp, ingestion) orders as keys do.
	lastIngestion int64
	closed        bool
}

// Open reads the stream kept in dir (which need not exist yet: it is made
// on the first append).
func Open(dir string, opts Options) (*Stream, error) {
	opts.fill()
	s := &Stream{dir: dir, opts: opts, nextSeq: 1, nextID: 1}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read stream directory %s: %w", dir, err)
	}
	for _, ent := range entries {
		id, ok := segmentID(ent.Name())
		if !ok {
			continue
		}
		path := dir + "/" + ent.Name()
		seg, cut, usable, err := scanSegment(path, id)
		if err != nil {
			return nil, err
		}
		if cut > 0 {
			opts.Log.Warn("cut a torn end off a log segment", "segment", path, "bytes", cut)
		}
		s.nextID = max(s.nextID, id+1)
		if !usable {
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("remove empty segment %s: %w", path, err)
			}
			continue
		}
		s.segments = append(s.segments, seg)
		s.nextSeq = max(s.nextSeq, seg.last.Seq+1)
		s.lastIngestion = max(s.lastIngestion, seg.lastIngestion)
	}
	slices.SortFunc(s.segments, func(a, b *segment) int { return compareIDs(a.id, b.id) })
	return s, nil
}

func compareIDs(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Appended is what an append wrote.
type Appended struct {
	FirstSeq, LastSeq uint64
	// Bytes is how much the stream grew, a new segment's header included.
	Bytes int64
}

// bytes is what the stream's segments take; s.mu is held.
func (s *Stream) bytes() int64 {
	var n int64
	for _, seg := range s.segments {
		n += seg.size
	}
	return n
}

// Append writes events, which must be in timestamp order, as ingested at
// ingestion (milliseconds). They get the next sequence numbers.
func (s *Stream) Append(events []Event, ingestion int64) (Appended, error) {
	if len(events) == 0 {
		return Appended{}, nil
	}
	for i := 1; i < len(events); i++ {
		if events[i].Timestamp < events[i-1].Timestamp {
			return Appended{}, fmt.Errorf("eventstore: events out of timestamp order at %d", i)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Appended{}, ErrClosed
	}
	ingestion = max(ingestion, s.lastIngestion)
	before := s.bytes()
	seg, err := s.runFor(events[0].Timestamp, ingestion)
	if err != nil {
		return Appended{}, err
	}
	buf := make([]byte, 0, 64*len(events))
	for i := range events {
		events[i].Ingestion, events[i].Seq = ingestion, s.nextSeq+uint64(i)
		buf = appendRecord(buf, &events[i])
	}
	// At the recorded size, not the file's end: a write that failed half
	// way is overwritten rather than left in the middle of the file.
	if _, err := seg.file.WriteAt(buf, seg.size); err != nil {
		_ = seg.file.Truncate(seg.size)
		return Appended{}, fmt.Errorf("append to segment %s: %w", seg.path, err)
	}
	off := seg.size
	for i := range events {
		seg.note(&events[i], off)
		off += recordSize(&events[i])
	}
	seg.size = off
	s.nextSeq += uint64(len(events))
	s.lastIngestion = ingestion
	return Appended{FirstSeq: events[0].Seq, LastSeq: events[len(events)-1].Seq, Bytes: s.bytes() - before}, nil
}

// runFor is the open segment a batch starting at timestamp ts goes to:
// the run whose last event is latest but not after ts (so it stays
// sorted), or a new one. Full or old tails are sealed on the way.
func (s *Stream) runFor(ts, ingestion int64) (*segment, error) {
	var best *segment
	for i := 0; i < len(s.runs); i++ {
		r := s.runs[i]
		if r.size >= s.opts.SegmentBytes || (r.events > 0 && ingestion-r.firstIngestion >= s.opts.SegmentMillis) {
			if err := r.seal(); err != nil {
				return nil, err
			}
			s.runs = slices.Delete(s.runs, i, i+1)
			i--
			continue
		}
		if (r.events == 0 || r.last.Timestamp <= ts) && (best == nil || best.last.Timestamp < r.last.Timestamp) {
			best = r
		}
	}
	if best != nil {
		return best, nil
	}
	if len(s.runs) >= s.opts.Runs {
		// The run that ends earliest is the least likely to be continued.
		oldest := 0
		for i, r := range s.runs {
			if r.last.Less(s.runs[oldest].last) {
				oldest = i
			}
		}
		if err := s.runs[oldest].seal(); err != nil {
			return nil, err
		}
		s.runs = slices.Delete(s.runs, oldest, oldest+1)
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("make stream directory %s: %w", s.dir, err)
	}
	seg, err := createSegment(s.dir, s.nextID)
	if err != nil {
		return nil, err
	}
	s.nextID++
	s.segments = append(s.segments, seg)
	s.runs = append(s.runs, seg)
	return seg, nil
}

// SegmentInfo describes a segment, for retention and caps.
type SegmentInfo struct {
	ID          uint64
	Bytes       int64
	Events      int
	First, Last Key
}

// Segments describes the stream's segments that hold events.
func (s *Stream) Segments() []SegmentInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SegmentInfo, 0, len(s.segments))
	for _, seg := range s.segments {
		if seg.events > 0 {
			out = append(out, SegmentInfo{ID: seg.id, Bytes: seg.size, Events: seg.events, First: seg.first, Last: seg.last})
		}
	}
	return out
}

// Drop removes the segments for which drop is true (a run's tail is sealed
// first) and returns how many bytes went.
func (s *Stream) Drop(drop func(SegmentInfo) bool) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var freed int64
	var errs []error
	kept := s.segments[:0]
	for _, seg := range s.segments {
		if seg.events == 0 || !drop(SegmentInfo{ID: seg.id, Bytes: seg.size, Events: seg.events, First: seg.first, Last: seg.last}) {
			kept = append(kept, seg)
			continue
		}
		if err := seg.seal(); err != nil {
			errs = append(errs, err)
		}
		if err := os.Remove(seg.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove segment %s: %w", seg.path, err))
			kept = append(kept, seg)
			continue
		}
		s.runs = slices.DeleteFunc(s.runs, func(r *segment) bool { return r == seg })
		freed += seg.size
	}
	clear(s.segments[len(kept):])
	s.segments = kept
	return freed, errors.Join(errs...)
}

// Stats sum up a stream.
type Stats struct {
	Bytes  int64
	Events int
	// FirstTimestamp, LastTimestamp and LastIngestion are 0 for a stream
	// with no events.
	FirstTimestamp, LastTimestamp, LastIngestion int64
	// NextSeq is the sequence number the next event will get.
	NextSeq uint64
}

// Stats sums the stream up.
func (s *Stream) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{NextSeq: s.nextSeq}
	for _, seg := range s.segments {
		st.Bytes += seg.size
		if seg.events == 0 {
			continue
		}
		if st.Events == 0 || seg.first.Timestamp < st.FirstTimestamp {
			st.FirstTimestamp = seg.first.Timestamp
		}
		st.LastTimestamp = max(st.LastTimestamp, seg.last.Timestamp)
		st.LastIngestion = max(st.LastIngestion, seg.lastIngestion)
		st.Events += seg.events
	}
	return st
}

// views is a reader's snapshot of the segments that hold events.
func (s *Stream) views() []view {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]view, 0, len(s.segments))
	for _, seg := range s.segments {
		if seg.events > 0 {
			out = append(out, seg.view())
		}
	}
	return out
}

// Close seals the stream's files; later appends fail with ErrClosed.
func (s *Stream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var errs []error
	for _, r := range s.runs {
		errs = append(errs, r.seal())
	}
	s.runs = nil
	return errors.Join(errs...)
}

// Destroy closes the stream and removes its directory.
func (s *Stream) Destroy() error {
	err := s.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.segments = nil
	if rmErr := os.RemoveAll(s.dir); rmErr != nil {
		err = errors.Join(err, fmt.Errorf("remove stream directory %s: %w", s.dir, rmErr))
	}
	return err
}
