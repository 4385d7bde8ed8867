package cwlogs

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/keksdev/keks/internal/cwlogs/eventstore"
)

// A page of events holds at most 10,000 events and 1 MiB, counting 26
// bytes per event as PutLogEvents does.
const (
	maxEventsPerPage = 10000
	MaxPageBytes     = 1 << 20
)

// TimeRange bounds events by timestamp: Start inclusive, End exclusive,
// in milliseconds; nil is unbounded.
type TimeRange struct {
	Start, End *int64
}

func (r TimeRange) bounds() (lo, hi int64, err error) {
	lo, hi = 0, math.MaxInt64
	if r.Start != nil {
		if *r.Start < 0 {
			return 0, 0, validationf(fmt.Sprint(*r.Start), "startTime", "Member must have value greater than or equal to 0")
		}
		lo = *r.Start
	}
	if r.End != nil {
		if *r.End < 0 {
			return 0, 0, validationf(fmt.Sprint(*r.End), "endTime", "Member must have value greater than or equal to 0")
		}
		hi = *r.End
	}
	return lo, hi, nil
}

// OutputLogEvent is an event as GetLogEvents answers it.
type OutputLogEvent struct {
	Timestamp     int64
	IngestionTime int64
	Message       string
}

// GetLogEventsInput is GetLogEvents' request.
type GetLogEventsInput struct {
	Group  GroupRef
	Stream string
	TimeRange
	Limit *int // nil: 10,000
	// StartFromHead reads from the earliest events; CloudWatch's default
	// (false) reads the latest. A token's own direction wins over it.
	StartFromHead bool
	NextToken     string
}

// GetLogEventsOutput is a page of a stream's events, earliest first, and
// the tokens to move from it. When there is nothing more in a direction,
// that direction's token is the one the request passed in: that is how
// clients know to stop.
type GetLogEventsOutput struct {
	Events                              []OutputLogEvent
	NextForwardToken, NextBackwardToken string
}

// GetLogEvents reads a page of a stream's events.
func (s *Service) GetLogEvents(ctx context.Context, account, region string, in GetLogEventsInput) (*GetLogEventsOutput, error) {
	group, err := in.Group.resolve(account, region)
	if err != nil {
		return nil, err
	}
	if err := CheckStreamName("logStreamName", in.Stream); err != nil {
		return nil, err
	}
	lo, hi, err := in.bounds()
	if err != nil {
		return nil, err
	}
	limit, err := pageLimit(in.Limit, 1, maxEventsPerPage, maxEventsPerPage)
	if err != nil {
		return nil, err
	}
	var pos position
	switch {
	case in.NextToken != "":
		if pos, err = parsePosition(in.NextToken); err != nil {
			return nil, err
		}
	case in.StartFromHead:
		pos = position{forward: true, key: eventstore.Key{Timestamp: lo}}
	default:
		pos = position{key: eventstore.Key{Timestamp: hi}}
	}
	g, st, err := s.groupAndStream(ctx, account, region, group, in.Stream)
	if err != nil {
		return nil, err
	}
	var events []eventstore.Event
	if files := s.readableStream(g.ID, st.ID); files != nil && lo < hi {
		if events, err = readPage(files, pos, lo, hi, limit); err != nil {
			return nil, err
		}
	}
	out := &GetLogEventsOutput{Events: make([]OutputLogEvent, len(events))}
	for i, e := range events {
		out.Events[i] = OutputLogEvent{Timestamp: e.Timestamp, IngestionTime: e.Ingestion, Message: e.Message}
	}
	if len(events) > 0 {
		first, last := events[0].Key(), events[len(events)-1].Key()
		out.NextBackwardToken = position{key: first}.String()
		out.NextForwardToken = position{forward: true, key: eventstore.Key{Timestamp: last.Timestamp, Seq: last.Seq + 1}}.String()
		return out, nil
	}
	// Nothing on this side of the cut: both tokens stay at it, the one
	// passed in verbatim.
	out.NextForwardToken = position{forward: true, key: pos.key}.String()
	out.NextBackwardToken = position{key: pos.key}.String()
	switch {
	case in.NextToken == "" && !pos.forward:
		// The first look at the latest events found none in the range:
		// going forward, new ones come from the range's start.
		out.NextForwardToken = position{forward: true, key: eventstore.Key{Timestamp: lo}}.String()
	case in.NextToken != "" && pos.forward:
		out.NextForwardToken = in.NextToken
	case in.NextToken != "":
		out.NextBackwardToken = in.NextToken
	}
	return out, nil
}

// readPage reads up to limit events (and MaxPageBytes) from a cut, within
// [lo, hi), earliest first whichever way it reads.
func readPage(files *eventstore.Stream, pos position, lo, hi int64, limit int) ([]eventstore.Event, error) {
	var r *eventstore.Reader
	if pos.forward {
		from := pos.key
		if from.Timestamp < lo {
			from = eventstore.Key{Timestamp: lo}
		}
		r = files.Read(eventstore.Forward, from)
	} else {
		from := pos.key
		if from.Timestamp >= hi {
			from = eventstore.Key{Timestamp: hi}
		}
		r = files.Read(eventstore.Backward, from)
	}
	defer r.Close()
	var events []eventstore.Event
	size := 0
	for len(events) < limit {
		e, ok, err := r.Next()
		if err != nil {
			return nil, fmt.Errorf("read log events: %w", err)
		}
		if !ok || (pos.forward && e.Timestamp >= hi) || (!pos.forward && e.Timestamp < lo) {
			break
		}
		if size += len(e.Message) + EventOverhead; size > MaxPageBytes && len(events) > 0 {
			break
		}
		events = append(events, e)
	}
	if !pos.forward {
		slices.Reverse(events)
	}
	return events, nil
}
