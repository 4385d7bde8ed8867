package cwlogs

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/keksdev/keks/internal/cwlogs/eventstore"
	"github.com/keksdev/keks/internal/store"
)

// Run applies retention and the byte cap until ctx ends: every
// SweepInterval, and soon after a group goes over its cap or a retention
// is shortened. Between those it sleeps: an idle keks spends nothing here.
func (s *Service) Run(ctx context.Context) {
	interval := s.SweepInterval
	if interval <= 0 {
		interval = DefaultSweepInterval
	}
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log().Warn("apply log retention", "err", err)
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(interval)
	}
}

// Sweep applies retention and the byte cap now: it removes the segments
// whose every event is older than its group's retention, then, in each
// group over the cap, the segments with the oldest events until it is
// under. Whole segments go, so a group keeps a little more than its
// retention, as CloudWatch does.
func (s *Service) Sweep(ctx context.Context) error {
	groups, err := store.List[groupRecord](ctx, s.Store, groupPrefix)
	if err != nil {
		return fmt.Errorf("list log groups: %w", err)
	}
	now := s.nowMillis()
	var errs []error
	for _, g := range groups {
		files, streams := s.groupStreams(g.ID)
		if files == nil {
			continue
		}
		if g.RetentionInDays > 0 {
			cutoff := now - int64(g.RetentionInDays)*millisPerDay
			for _, st := range streams {
				freed, err := st.Drop(func(si eventstore.SegmentInfo) bool { return si.Last.Timestamp < cutoff })
				files.bytes.Add(-freed)
				if err != nil {
					errs = append(errs, err)
				}
			}
		}
		if err := s.enforceCap(files, streams); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d log segments could not be removed, first: %w", len(errs), errs[0])
	}
	return nil
}

// groupStreams are a group's files and open streams.
func (s *Service) groupStreams(groupID string) (*groupFiles, []*eventstore.Stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.files[groupID]
	if g == nil {
		return nil, nil
	}
	streams := make([]*eventstore.Stream, 0, len(g.streams))
	for _, st := range g.streams {
		streams = append(streams, st)
	}
	return g, streams
}

// enforceCap drops a group's oldest segments (by their latest event)
// until it takes at most the cap.
func (s *Service) enforceCap(g *groupFiles, streams []*eventstore.Stream) error {
	limit := s.groupCap()
	if g.bytes.Load() <= limit {
		return nil
	}
	type candidate struct {
		st  *eventstore.Stream
		seg eventstore.SegmentInfo
	}
	var all []candidate
	for _, st := range streams {
		for _, seg := range st.Segments() {
			all = append(all, candidate{st, seg})
		}
	}
	slices.SortFunc(all, func(a, b candidate) int {
		if c := a.seg.Last.Compare(b.seg.Last); c != 0 {
			return c
		}
		return compareInt64(int64(a.seg.ID), int64(b.seg.ID))
	})
	for _, c := range all {
		if g.bytes.Load() <= limit {
			return nil
		}
		freed, err := c.st.Drop(func(si eventstore.SegmentInfo) bool { return si.ID == c.seg.ID })
		g.bytes.Add(-freed)
		if err != nil {
			return err
		}
	}
	return nil
}
