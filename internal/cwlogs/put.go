package cwlogs

import (
	"context"
	"fmt"

	"github.com/keksdev/keks/internal/cwlogs/eventstore"
)

// PutLogEvents' limits, as CloudWatch documents them.
const (
	MaxBatchEvents = 10000
	MaxBatchBytes  = 1048576
	EventOverhead  = 26 // bytes counted per event besides its message
	maxBatchSpan   = 24 * 3600 * 1000
	maxEventAge    = 14 * 24 * 3600 * 1000
	maxEventFuture = 2 * 3600 * 1000
	millisPerDay   = 24 * 3600 * 1000
)

// InputLogEvent is an event as PutLogEvents takes it.
type InputLogEvent struct {
	Timestamp int64 // milliseconds since the epoch
	Message   string
}

// PutLogEventsInput is PutLogEvents' request. Its sequence token is
// ignored, as CloudWatch has ignored them since 2023.
type PutLogEventsInput struct {
	Group, Stream string
	Events        []InputLogEvent
}

// RejectedLogEventsInfo tells which events of a batch were not stored:
// indexes into the batch, nil when none was of that kind.
type RejectedLogEventsInfo struct {
	TooNewStartIndex *int // first of the events more than 2 hours ahead (inclusive)
	TooOldEndIndex   *int // end of the events older than 14 days (exclusive)
	ExpiredEndIndex  *int // end of the events older than the group's retention (exclusive)
}

// PutLogEventsOutput is PutLogEvents' answer.
type PutLogEventsOutput struct {
	NextSequenceToken string
	Rejected          *RejectedLogEventsInfo
}

// PutLogEvents stores a batch of events in a stream.
func (s *Service) PutLogEvents(ctx context.Context, account, region string, in PutLogEventsInput) (*PutLogEventsOutput, error) {
	if err := CheckGroupName("logGroupName", in.Group); err != nil {
		return nil, err
	}
	if err := CheckStreamName("logStreamName", in.Stream); err != nil {
		return nil, err
	}
	if err := checkBatch(in.Events); err != nil {
		return nil, err
	}
	g, st, err := s.groupAndStream(ctx, account, region, in.Group, in.Stream)
	if err != nil {
		return nil, err
	}
	now := s.nowMillis()
	valid, rejected := classify(in.Events, now, g.RetentionInDays)
	if len(valid) > 0 && valid[len(valid)-1].Timestamp-valid[0].Timestamp > maxBatchSpan {
		return nil, Errorf(CodeInvalidParameter, "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
	}
	next, err := s.write(g.ID, st.ID, valid, now)
	if err != nil {
		return nil, err
	}
	return &PutLogEventsOutput{NextSequenceToken: sequenceToken(next), Rejected: rejected}, nil
}

// checkBatch holds a batch to PutLogEvents' rules: 1 to 10,000 events of
// non-empty messages, at most 1 MiB counting 26 bytes per event, in
// chronological order.
func checkBatch(events []InputLogEvent) error {
	switch {
	case len(events) == 0:
		return validationf("[]", "logEvents", "Member must have length greater than or equal to 1")
	case len(events) > MaxBatchEvents:
		return Errorf(CodeInvalidParameter, "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to %d", MaxBatchEvents)
	}
	size := 0
	for i, e := range events {
		if e.Message == "" {
			return validationf("", fmt.Sprintf("logEvents.%d.member.message", i+1), "Member must have length greater than or equal to 1")
		}
		size += len(e.Message) + EventOverhead
	}
	if size > MaxBatchBytes {
		return Errorf(CodeInvalidParameter, "Upload too large: %d bytes exceeds limit of %d", size, MaxBatchBytes)
	}
	for i := 1; i < len(events); i++ {
		if events[i].Timestamp < events[i-1].Timestamp {
			return Errorf(CodeInvalidParameter, "Log events in a single PutLogEvents request must be in chronological order.")
		}
	}
	return nil
}

// classify splits a chronological batch into the events CloudWatch keeps
// and tells which it rejects: too old (14 days) or past the group's
// retention at the start, more than 2 hours ahead at the end.
func classify(events []InputLogEvent, now int64, retentionDays int) ([]InputLogEvent, *RejectedLogEventsInfo) {
	tooOld, expired := 0, 0
	for tooOld < len(events) && events[tooOld].Timestamp < now-maxEventAge {
		tooOld++
	}
	if retentionDays > 0 {
		for expired < len(events) && events[expired].Timestamp < now-int64(retentionDays)*millisPerDay {
			expired++
		}
	}
	tooNew := len(events)
	for tooNew > 0 && events[tooNew-1].Timestamp > now+maxEventFuture {
		tooNew--
	}
	start := max(tooOld, expired)
	if start > tooNew {
		start = tooNew
	}
	if tooOld == 0 && expired == 0 && tooNew == len(events) {
		return events, nil
	}
	info := &RejectedLogEventsInfo{}
	if tooOld > 0 {
		info.TooOldEndIndex = &tooOld
	}
	if expired > 0 {
		info.ExpiredEndIndex = &expired
	}
	if tooNew < len(events) {
		info.TooNewStartIndex = &tooNew
	}
	return events[start:tooNew], info
}

// write appends events to a stream's files and returns the next
// sequence number.
func (s *Service) write(groupID, streamID string, events []InputLogEvent, now int64) (uint64, error) {
	st, g, err := s.writableStream(groupID, streamID)
	if err != nil {
		return 0, err
	}
	if len(events) == 0 {
		return st.Stats().NextSeq, nil
	}
	batch := make([]eventstore.Event, len(events))
	for i, e := range events {
		batch[i] = eventstore.Event{Timestamp: e.Timestamp, Message: e.Message}
	}
	a, err := st.Append(batch, now)
	if err == eventstore.ErrClosed {
		return 0, errNoStream // deleted while the batch came in
	}
	if err != nil {
		return 0, fmt.Errorf("store log events: %w", err)
	}
	g.bytes.Add(a.Bytes)
	s.overCap(g)
	return a.LastSeq + 1, nil
}
