package cwlogs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/cwlogs/eventstore"
	"github.com/keksdev/keks/internal/store"
)

// LogStream is a log stream as the API shows it.
type LogStream struct {
	Name         string
	ARN          string
	CreationTime int64
	// The times of its events, 0 while it has none.
	FirstEventTimestamp, LastEventTimestamp, LastIngestionTime int64
	UploadSequenceToken                                        string
}

// CreateLogStream makes a stream in a group.
func (s *Service) CreateLogStream(ctx context.Context, account, region, group, stream string) error {
	if err := CheckGroupName("logGroupName", group); err != nil {
		return err
	}
	if err := CheckStreamName("logStreamName", stream); err != nil {
		return err
	}
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		g, rev, err := s.getGroup(ctx, account, region, group)
		if err != nil {
			return err
		}
		if _, err := s.getStream(ctx, g, stream); err == nil {
			return errStreamExists
		} else if !errors.Is(err, errNoStream) {
			return err
		}
		// The group must still be the one read: a stream never lands
		// under a group deleted meanwhile.
		t.Unchanged(groupKey(account, region, group), rev)
		t.Create(streamKey(g.ID, stream), s.newStream(g.ID, stream))
		return nil
	})
	if err != nil && !isAWSError(err) {
		return fmt.Errorf("create log stream %s in %s: %w", stream, group, err)
	}
	return err
}

func (s *Service) newStream(groupID, name string) *streamRecord {
	return &streamRecord{ID: newID(), GroupID: groupID, Name: name, CreationTime: s.nowMillis()}
}

// DeleteLogStream removes a stream and its events.
func (s *Service) DeleteLogStream(ctx context.Context, account, region, group, stream string) error {
	if err := CheckGroupName("logGroupName", group); err != nil {
		return err
	}
	if err := CheckStreamName("logStreamName", stream); err != nil {
		return err
	}
	g, st, err := s.groupAndStream(ctx, account, region, group, stream)
	if err != nil {
		return err
	}
	if err := s.Store.Delete(ctx, streamKey(g.ID, stream)); err != nil {
		return fmt.Errorf("delete log stream %s of %s: %w", stream, group, err)
	}
	s.forgetStream(g.ID, st.ID)
	return nil
}

// Orders of DescribeLogStreams.
const (
	OrderByName          = "LogStreamName"
	OrderByLastEventTime = "LastEventTime"
)

// DescribeLogStreamsInput is DescribeLogStreams' request.
type DescribeLogStreamsInput struct {
	Group      GroupRef
	NamePrefix string
	OrderBy    string // "" means LogStreamName
	Descending bool
	Limit      *int // nil: 50
	NextToken  string
}

// DescribeLogStreamsOutput is a page of streams.
type DescribeLogStreamsOutput struct {
	Streams   []LogStream
	NextToken string
}

// DescribeLogStreams lists a group's streams by name or by their last event.
func (s *Service) DescribeLogStreams(ctx context.Context, account, region string, in DescribeLogStreamsInput) (*DescribeLogStreamsOutput, error) {
	group, err := in.Group.resolve(account, region)
	if err != nil {
		return nil, err
	}
	if in.NamePrefix != "" {
		if err := CheckStreamName("logStreamNamePrefix", in.NamePrefix); err != nil {
			return nil, err
		}
	}
	switch in.OrderBy {
	case "", OrderByName:
		in.OrderBy = OrderByName
	case OrderByLastEventTime:
		if in.NamePrefix != "" {
			return nil, Errorf(CodeInvalidParameter, "Cannot order by LastEventTime with a logStreamNamePrefix.")
		}
	default:
		return nil, validationf(in.OrderBy, "orderBy", "Member must satisfy enum value set: [LogStreamName, LastEventTime]")
	}
	limit, err := describeLimit(in.Limit)
	if err != nil {
		return nil, err
	}
	g, _, err := s.getGroup(ctx, account, region, group)
	if err != nil {
		return nil, err
	}
	records, err := store.List[streamRecord](ctx, s.Store, streamsKey(g.ID)+in.NamePrefix)
	if err != nil {
		return nil, fmt.Errorf("list log streams of %s: %w", group, err)
	}
	streams := make([]LogStream, len(records))
	for i := range records {
		streams[i] = s.streamView(g, &records[i])
	}
	if in.OrderBy == OrderByName {
		return pageByName(streams, in.Descending, limit, in.NextToken)
	}
	return pageByLastEvent(streams, in.Descending, limit, in.NextToken)
}

func (s *Service) streamView(g *groupRecord, r *streamRecord) LogStream {
	v := LogStream{Name: r.Name, ARN: StreamARN(g.Region, g.Account, g.Name, r.Name), CreationTime: r.CreationTime, UploadSequenceToken: sequenceToken(1)}
	if st := s.readableStream(g.ID, r.ID); st != nil {
		stats := st.Stats()
		v.UploadSequenceToken = sequenceToken(stats.NextSeq)
		if stats.Events > 0 {
			v.FirstEventTimestamp, v.LastEventTimestamp, v.LastIngestionTime = stats.FirstTimestamp, stats.LastTimestamp, stats.LastIngestion
		}
	}
	return v
}

// sequenceToken is PutLogEvents' (ignored) sequence token, in the 56
// digits CloudWatch's have.
func sequenceToken(next uint64) string { return fmt.Sprintf("%056d", next) }

func pageByName(streams []LogStream, descending bool, limit int, token string) (*DescribeLogStreamsOutput, error) {
	after, err := nameToken(token)
	if err != nil {
		return nil, err
	}
	if descending {
		slices.Reverse(streams) // the store lists them in name order
	}
	out := &DescribeLogStreamsOutput{}
	for _, st := range streams {
		if after != "" && ((!descending && st.Name <= after) || (descending && st.Name >= after)) {
			continue
		}
		if len(out.Streams) == limit {
			out.NextToken = makeNameToken(out.Streams[limit-1].Name)
			break
		}
		out.Streams = append(out.Streams, st)
	}
	return out, nil
}

func pageByLastEvent(streams []LogStream, descending bool, limit int, token string) (*DescribeLogStreamsOutput, error) {
	less := func(a, b *LogStream) int {
		if c := compareInt64(a.LastEventTimestamp, b.LastEventTimestamp); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	}
	slices.SortFunc(streams, func(a, b LogStream) int {
		if descending {
			return less(&b, &a)
		}
		return less(&a, &b)
	})
	var after *LogStream
	if token != "" {
		t, name, err := timeToken(token)
		if err != nil {
			return nil, err
		}
		after = &LogStream{LastEventTimestamp: t, Name: name}
	}
	out := &DescribeLogStreamsOutput{}
	for i := range streams {
		st := &streams[i]
		if after != nil {
			c := less(st, after)
			if c == 0 || (c < 0) != descending {
				continue
			}
		}
		if len(out.Streams) == limit {
			last := out.Streams[limit-1]
			out.NextToken = makeTimeToken(last.LastEventTimestamp, last.Name)
			break
		}
		out.Streams = append(out.Streams, *st)
	}
	return out, nil
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// streamsOf are a group's stream records and their files (nil for those
// without events), for reading events across them.
func (s *Service) streamsOf(ctx context.Context, g *groupRecord, prefix string) ([]streamRecord, []*eventstore.Stream, error) {
	records, err := store.List[streamRecord](ctx, s.Store, streamsKey(g.ID)+prefix)
	if err != nil {
		return nil, nil, fmt.Errorf("list log streams of %s: %w", g.Name, err)
	}
	files := make([]*eventstore.Stream, len(records))
	for i := range records {
		files[i] = s.readableStream(g.ID, records[i].ID)
	}
	return records, files, nil
}
