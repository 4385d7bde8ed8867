package cwlogs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/store"
)

// Event is an event keks itself ships (Append).
type Event struct {
	Timestamp time.Time
	Message   string
}

// DroppedEventsError is Append's answer when some events were not stored,
// and why; every other event was.
type DroppedEventsError struct {
	TooOld   int // older than 14 days
	Expired  int // older than the group's retention
	TooNew   int // more than 2 hours ahead
	Empty    int // empty messages, which CloudWatch does not take
	TooLarge int // messages over CloudWatch's 1 MiB event limit
}

func (e *DroppedEventsError) Error() string {
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{e.TooOld, "older than 14 days"}, {e.Expired, "older than the log group's retention"}, {e.TooNew, "more than 2 hours ahead"},
		{e.Empty, "empty"}, {e.TooLarge, "larger than 1 MiB"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	return "log events dropped: " + strings.Join(parts, ", ")
}

// EnsureLogStream makes the group and the stream if they are missing.
func (s *Service) EnsureLogStream(ctx context.Context, account, region, group, stream string) error {
	if err := CheckGroupName("logGroupName", group); err != nil {
		return err
	}
	if err := CheckStreamName("logStreamName", stream); err != nil {
		return err
	}
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		g, rev, err := s.getGroup(ctx, account, region, group)
		switch {
		case errors.Is(err, errNoGroup):
			g = s.newGroup(account, region, group)
			t.Create(groupKey(account, region, group), g)
		case err != nil:
			return err
		default:
			if _, err := s.getStream(ctx, g, stream); err == nil {
				return nil
			} else if !errors.Is(err, errNoStream) {
				return err
			}
			t.Unchanged(groupKey(account, region, group), rev)
		}
		t.Create(streamKey(g.ID, stream), s.newStream(g.ID, stream))
		return nil
	})
	if err != nil && !isAWSError(err) {
		return fmt.Errorf("ensure log stream %s of %s: %w", stream, group, err)
	}
	return err
}

// Append stores events keks itself produces in an existing stream (see
// EnsureLogStream), ingested now. Their order does not matter: they are
// sorted by timestamp. Events CloudWatch would reject are dropped and
// counted in a *DroppedEventsError; the rest are stored all the same.
func (s *Service) Append(ctx context.Context, account, region, group, stream string, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	g, st, err := s.groupAndStream(ctx, account, region, group, stream)
	if err != nil {
		return err
	}
	now := s.nowMillis()
	sorted := make([]InputLogEvent, 0, len(events))
	dropped := &DroppedEventsError{}
	for _, e := range events {
		switch {
		case e.Message == "":
			dropped.Empty++
		case len(e.Message)+EventOverhead > MaxBatchBytes:
			dropped.TooLarge++
		default:
			sorted = append(sorted, InputLogEvent{Timestamp: e.Timestamp.UnixMilli(), Message: e.Message})
		}
	}
	slices.SortStableFunc(sorted, func(a, b InputLogEvent) int { return compareInt64(a.Timestamp, b.Timestamp) })
	valid, rejected := classify(sorted, now, g.RetentionInDays)
	if rejected != nil {
		dropped.TooNew = len(sorted) - len(valid) - max(count(rejected.TooOldEndIndex), count(rejected.ExpiredEndIndex))
		dropped.TooOld = count(rejected.TooOldEndIndex)
		dropped.Expired = max(count(rejected.ExpiredEndIndex)-dropped.TooOld, 0)
	}
	if _, err := s.write(g.ID, st.ID, valid, now); err != nil {
		return err
	}
	if *dropped != (DroppedEventsError{}) {
		return dropped
	}
	return nil
}

func count(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
