package eventstore

import (
	"container/heap"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sort"
)

// Direction is which way a scan goes.
type Direction int

const (
	// Forward reads events at or after a key, earliest first.
	Forward Direction = iota
	// Backward reads events before a key, latest first.
	Backward
)

// Scan calls fn with the stream's events in key order, until fn returns
// false: Forward, those at or after from; Backward, those before from,
// latest first.
func (s *Stream) Scan(dir Direction, from Key, fn func(*Event) bool) error {
	r := s.Read(dir, from)
	defer r.Close()
	for {
		e, ok, err := r.Next()
		if err != nil || !ok {
			return err
		}
		if !fn(&e) {
			return nil
		}
	}
}

// Reader reads a stream's events in key order, one at a time. It reads a
// snapshot: events appended meanwhile may or may not be seen, segments
// dropped meanwhile are skipped. Close it when done.
type Reader struct {
	from    Key
	pending []view // segments not yet in the merge, in the order they can join it
	m       merge
	// advance is set once the top event was handed out: the next call
	// moves past it first.
	advance bool
	err     error
}

// Read starts reading: Forward, the events at or after from; Backward,
// those before from, latest first.
func (s *Stream) Read(dir Direction, from Key) *Reader {
	views := s.views()
	// Segments wholly on the other side of from have nothing to give.
	views = slices.DeleteFunc(views, func(v view) bool {
		if dir == Forward {
			return v.last.Less(from)
		}
		return !v.first.Less(from)
	})
	// Segments join the merge in the order they can first contribute, so
	// that a stream whose segments do not overlap (the usual case) reads
	// one file at a time.
	slices.SortFunc(views, func(a, b view) int {
		if dir == Forward {
			return a.first.Compare(b.first)
		}
		return b.last.Compare(a.last)
	})
	return &Reader{from: from, pending: views, m: merge{dir: dir}}
}

// Next returns the next event; ok false at the end.
func (r *Reader) Next() (e Event, ok bool, err error) {
	if r.err != nil {
		return e, false, r.err
	}
	if r.advance {
		r.advance = false
		c := r.m.cursors[0]
		more, err := c.advance()
		if err != nil {
			r.err = err
			return e, false, err
		}
		if more {
			heap.Fix(&r.m, 0)
		} else {
			heap.Pop(&r.m)
			c.close()
		}
	}
	for len(r.pending) > 0 && (len(r.m.cursors) == 0 || r.m.reaches(&r.pending[0])) {
		c, err := openCursor(r.pending[0], r.m.dir, r.from)
		r.pending = r.pending[1:]
		if err != nil {
			r.err = err
			return e, false, err
		}
		if c != nil {
			heap.Push(&r.m, c)
		}
	}
	if len(r.m.cursors) == 0 {
		return e, false, nil
	}
	r.advance = true
	return *r.m.cursors[0].current(), true, nil
}

// Close releases the files the reader has open.
func (r *Reader) Close() {
	r.m.close()
	r.m.cursors = nil
	r.pending = nil
}

// merge is a heap of cursors by their current event: the earliest on top
// going forward, the latest going backward.
type merge struct {
	dir     Direction
	cursors []*cursor
}

func (m *merge) Len() int { return len(m.cursors) }
func (m *merge) Less(i, j int) bool {
	a, b := m.cursors[i].current().Key(), m.cursors[j].current().Key()
	if m.dir == Forward {
		return a.Less(b)
	}
	return b.Less(a)
}
func (m *merge) Swap(i, j int) { m.cursors[i], m.cursors[j] = m.cursors[j], m.cursors[i] }
func (m *merge) Push(x any)    { m.cursors = append(m.cursors, x.(*cursor)) }
func (m *merge) Pop() any {
	c := m.cursors[len(m.cursors)-1]
	m.cursors = m.cursors[:len(m.cursors)-1]
	return c
}

// reaches reports whether segment v may hold the next event: its range
// starts before (forward) or ends after (backward) the heap's top.
func (m *merge) reaches(v *view) bool {
	top := m.cursors[0].current().Key()
	if m.dir == Forward {
		return !top.Less(v.first)
	}
	return !v.last.Less(top)
}

func (m *merge) close() {
	for _, c := range m.cursors {
		c.close()
	}
}

// cursor walks one segment block by block.
type cursor struct {
	v      view
	f      *os.File
	dir    Direction
	block  int
	events []Event // the current block's events still to give, in scan order
	buf    []byte
}

// openCursor positions a cursor on the first event of v on from's side;
// nil when there is none (or the segment was dropped meanwhile).
func openCursor(v view, dir Direction, from Key) (*cursor, error) {
	f, err := os.Open(v.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open segment %s: %w", v.path, err)
	}
	c := &cursor{v: v, f: f, dir: dir}
	// The first block whose first key is past from (or at it, backward).
	after := sort.Search(len(v.blocks), func(i int) bool {
		if dir == Forward {
			return from.Less(v.blocks[i].first)
		}
		return !v.blocks[i].first.Less(from)
	})
	c.block = after - 1
	if dir == Forward {
		c.block = max(c.block, 0)
	} else if c.block < 0 {
		c.close()
		return nil, nil
	}
	if err := c.load(); err != nil {
		c.close()
		return nil, err
	}
	c.events = slices.DeleteFunc(c.events, func(e Event) bool {
		if dir == Forward {
			return e.Key().Less(from)
		}
		return !e.Key().Less(from)
	})
	if len(c.events) == 0 {
		more, err := c.next()
		if err != nil || !more {
			c.close()
			return nil, err
		}
	}
	return c, nil
}

func (c *cursor) current() *Event { return &c.events[0] }

// advance moves past the current event; false when the segment is done.
func (c *cursor) advance() (bool, error) {
	c.events = c.events[1:]
	if len(c.events) > 0 {
		return true, nil
	}
	return c.next()
}

// next loads the following block in the scan's direction.
func (c *cursor) next() (bool, error) {
	for len(c.events) == 0 {
		if c.dir == Forward {
			c.block++
		} else {
			c.block--
		}
		if c.block < 0 || c.block >= len(c.v.blocks) {
			return false, nil
		}
		if err := c.load(); err != nil {
			return false, err
		}
	}
	return true, nil
}

// load decodes the current block, in scan order.
func (c *cursor) load() error {
	events, buf, err := c.v.readBlock(c.f, c.block, c.buf)
	c.buf = buf
	if err != nil {
		return err
	}
	if c.dir == Backward {
		slices.Reverse(events)
	}
	c.events = events
	return nil
}

func (c *cursor) close() {
	if c.f != nil {
		_ = c.f.Close()
		c.f = nil
	}
}
