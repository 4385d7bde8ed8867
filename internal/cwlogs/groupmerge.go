package cwlogs

import (
	"container/heap"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/cwlogs/eventstore"
	"github.com/keksdev/keks/internal/cwlogs/filterpattern"
)

// groupMerge interleaves a group's streams in the group's order. Streams
// join the merge only once they can give the next event (by their first
// or last timestamp), so that streams that do not overlap in time are not
// all read at once.
type groupMerge struct {
	forward bool
	lo, hi  int64
	after   *groupPosition
	pending []*streamCursor // not started, in the order they can join
	active  []*streamCursor // a heap by current event
}

// streamCursor reads one stream of the group.
type streamCursor struct {
	name, id string
	files    *eventstore.Stream
	bound    int64 // first timestamp (forward) or last (backward)
	r        *eventstore.Reader
	cur      eventstore.Event
}

func newGroupMerge(forward bool, lo, hi int64, after *groupPosition) *groupMerge {
	return &groupMerge{forward: forward, lo: lo, hi: hi, after: after}
}

// add puts a stream in the merge if it has events in the time range.
func (m *groupMerge) add(name, id string, files *eventstore.Stream) {
	st := files.Stats()
	if st.Events == 0 || st.LastTimestamp < m.lo || st.FirstTimestamp >= m.hi {
		return
	}
	c := &streamCursor{name: name, id: id, files: files, bound: st.FirstTimestamp}
	if !m.forward {
		c.bound = st.LastTimestamp
	}
	m.pending = append(m.pending, c)
}

// start is where a stream's reader begins: the range's edge, or, going
// on from a token, the token's timestamp (events of that millisecond are
// then skipped up to the token's event).
func (m *groupMerge) start() eventstore.Key {
	if m.forward {
		from := m.lo
		if m.after != nil {
			from = max(from, m.after.timestamp)
		}
		return eventstore.Key{Timestamp: from}
	}
	to := m.hi
	if m.after != nil && m.after.timestamp < math.MaxInt64 {
		to = min(to, m.after.timestamp+1)
	}
	return eventstore.Key{Timestamp: to}
}

// compare orders events across the group: by timestamp, ingestion time,
// stream name, then within the stream.
func compareAcross(aTS, aIng int64, aStream string, aSeq uint64, bTS, bIng int64, bStream string, bSeq uint64) int {
	if c := compareInt64(aTS, bTS); c != 0 {
		return c
	}
	if c := compareInt64(aIng, bIng); c != 0 {
		return c
	}
	if c := strings.Compare(aStream, bStream); c != 0 {
		return c
	}
	switch {
	case aSeq < bSeq:
		return -1
	case aSeq > bSeq:
		return 1
	}
	return 0
}

func (c *streamCursor) compare(o *streamCursor) int {
	return compareAcross(c.cur.Timestamp, c.cur.Ingestion, c.name, c.cur.Seq, o.cur.Timestamp, o.cur.Ingestion, o.name, o.cur.Seq)
}

// passed reports whether the cursor's event is at or before the token's
// event in the direction of reading: a page already went through it.
func (m *groupMerge) passed(c *streamCursor) bool {
	if m.after == nil {
		return false
	}
	a := m.after
	cmp := compareAcross(c.cur.Timestamp, c.cur.Ingestion, c.name, c.cur.Seq, a.timestamp, a.ingestion, a.stream, a.seq)
	if m.forward {
		return cmp <= 0
	}
	return cmp >= 0
}

// next moves a cursor to its next event still to give; false at its end.
func (m *groupMerge) next(c *streamCursor) (bool, error) {
	for {
		e, ok, err := c.r.Next()
		if err != nil || !ok {
			return false, err
		}
		c.cur = e
		if !m.passed(c) {
			return true, nil
		}
	}
}

func (m *groupMerge) Len() int { return len(m.active) }
func (m *groupMerge) Less(i, j int) bool {
	if m.forward {
		return m.active[i].compare(m.active[j]) < 0
	}
	return m.active[i].compare(m.active[j]) > 0
}
func (m *groupMerge) Swap(i, j int) { m.active[i], m.active[j] = m.active[j], m.active[i] }
func (m *groupMerge) Push(x any)    { m.active = append(m.active, x.(*streamCursor)) }
func (m *groupMerge) Pop() any {
	c := m.active[len(m.active)-1]
	m.active = m.active[:len(m.active)-1]
	return c
}

// admit starts the pending streams that may give the next event.
func (m *groupMerge) admit() error {
	for len(m.pending) > 0 {
		c := m.pending[0]
		if len(m.active) > 0 {
			top := m.active[0].cur.Timestamp
			if (m.forward && c.bound > top) || (!m.forward && c.bound < top) {
				return nil
			}
		}
		m.pending = m.pending[1:]
		dir := eventstore.Forward
		if !m.forward {
			dir = eventstore.Backward
		}
		c.r = c.files.Read(dir, m.start())
		more, err := m.next(c)
		if err != nil {
			return err
		}
		if more {
			heap.Push(m, c)
		} else {
			c.r.Close()
		}
	}
	return nil
}

// page reads the next page of matching events.
func (m *groupMerge) page(pattern *filterpattern.Pattern, limit int) (*FilterLogEventsOutput, error) {
	slices.SortFunc(m.pending, func(a, b *streamCursor) int {
		if m.forward {
			return compareInt64(a.bound, b.bound)
		}
		return compareInt64(b.bound, a.bound)
	})
	out := &FilterLogEventsOutput{Events: []FilteredLogEvent{}}
	var last *groupPosition
	size, scanned := 0, 0
	for {
		if err := m.admit(); err != nil {
			return nil, fmt.Errorf("read log events: %w", err)
		}
		if len(m.active) == 0 {
			return out, nil
		}
		c := m.active[0]
		e := &c.cur
		if (m.forward && e.Timestamp >= m.hi) || (!m.forward && e.Timestamp < m.lo) {
			return out, nil
		}
		matched := pattern.Match(e.Message)
		if matched && len(out.Events) > 0 && (len(out.Events) == limit || size+len(e.Message)+EventOverhead > MaxPageBytes) {
			out.NextToken = last.String()
			return out, nil
		}
		if matched {
			size += len(e.Message) + EventOverhead
			out.Events = append(out.Events, FilteredLogEvent{Stream: c.name, Timestamp: e.Timestamp, IngestionTime: e.Ingestion,
				Message: e.Message, EventID: eventID(c.id, e)})
		}
		scanned += len(e.Message) + EventOverhead
		last = &groupPosition{forward: m.forward, timestamp: e.Timestamp, ingestion: e.Ingestion, stream: c.name, seq: e.Seq}
		more, err := m.next(c)
		if err != nil {
			return nil, fmt.Errorf("read log events: %w", err)
		}
		if more {
			heap.Fix(m, 0)
		} else {
			heap.Pop(m)
			c.r.Close()
		}
		if scanned >= maxScanBytes && (len(m.active) > 0 || len(m.pending) > 0) {
			out.NextToken = last.String()
			return out, nil
		}
	}
}

func (m *groupMerge) close() {
	for _, c := range m.active {
		c.r.Close()
	}
}

// eventID names an event for good, in the 56 digits of CloudWatch's ids:
// `aws logs tail --follow` asks again from the last timestamp it saw and
// tells the events it already showed by their ids.
func eventID(streamID string, e *eventstore.Event) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(streamID))
	return fmt.Sprintf("%020d%020d%016d", e.Timestamp, e.Seq, h.Sum64()%1e16)
}
