package cwlogs

import (
	"context"
	"fmt"

	"github.com/keksdev/keks/internal/cwlogs/filterpattern"
)

// maxScanBytes bounds how much one FilterLogEvents call reads: past it,
// the page ends (perhaps empty) with a token to go on from, as
// CloudWatch's pages do, so a rare match in a large group costs several
// calls rather than one long one.
const maxScanBytes = 64 << 20

// FilterLogEventsInput is FilterLogEvents' request.
type FilterLogEventsInput struct {
	Group            GroupRef
	StreamNames      []string
	StreamNamePrefix string
	TimeRange
	FilterPattern string
	Limit         *int // nil: 10,000
	// StartFromHead nil or true reads the earliest events first; a
	// token's own direction wins over it.
	StartFromHead *bool
	NextToken     string
}

// FilteredLogEvent is an event as FilterLogEvents answers it.
type FilteredLogEvent struct {
	Stream        string
	Timestamp     int64
	IngestionTime int64
	Message       string
	EventID       string
}

// FilterLogEventsOutput is a page of matching events, in the group's
// order (timestamp, ingestion time, stream, then order within the
// stream). NextToken is empty when there is nothing more.
type FilterLogEventsOutput struct {
	Events    []FilteredLogEvent
	NextToken string
}

// FilterLogEvents searches a group's streams for events that match a
// filter pattern, interleaving the streams.
func (s *Service) FilterLogEvents(ctx context.Context, account, region string, in FilterLogEventsInput) (*FilterLogEventsOutput, error) {
	group, err := in.Group.resolve(account, region)
	if err != nil {
		return nil, err
	}
	if err := checkStreamSelection(in.StreamNames, in.StreamNamePrefix); err != nil {
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
	pattern, err := filterpattern.Parse(in.FilterPattern)
	if err != nil {
		return nil, Errorf(CodeInvalidParameter, "%s", err.Error())
	}
	forward := in.StartFromHead == nil || *in.StartFromHead
	var after *groupPosition
	if in.NextToken != "" {
		tok, err := parseGroupPosition(in.NextToken)
		if err != nil {
			return nil, err
		}
		after, forward = &tok, tok.forward
	}
	g, _, err := s.getGroup(ctx, account, region, group)
	if err != nil {
		return nil, err
	}
	records, files, err := s.streamsOf(ctx, g, in.StreamNamePrefix)
	if err != nil {
		return nil, err
	}
	m := newGroupMerge(forward, lo, hi, after)
	defer m.close()
	wanted := map[string]bool{}
	for _, n := range in.StreamNames {
		wanted[n] = true
	}
	for i := range records {
		if files[i] != nil && (in.StreamNames == nil || wanted[records[i].Name]) {
			m.add(records[i].Name, records[i].ID, files[i])
		}
	}
	return m.page(pattern, limit)
}

func checkStreamSelection(names []string, prefix string) error {
	if names != nil && prefix != "" {
		return Errorf(CodeInvalidParameter, "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
	}
	if names != nil && (len(names) < 1 || len(names) > 100) {
		return validationf(fmt.Sprint(names), "logStreamNames", "Member must have length between 1 and 100")
	}
	for _, n := range names {
		if err := CheckStreamName("logStreamNames", n); err != nil {
			return err
		}
	}
	if prefix != "" {
		return CheckStreamName("logStreamNamePrefix", prefix)
	}
	return nil
}
