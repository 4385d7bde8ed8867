package cwlogs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func (f *fixture) groupWithStreams(group string, streams ...string) {
	f.t.Helper()
	f.must(f.svc.CreateLogGroup(f.ctx, testAccount, f.region, CreateLogGroupInput{Name: group}))
	for _, s := range streams {
		f.must(f.svc.CreateLogStream(f.ctx, testAccount, f.region, group, s))
	}
}

func TestPutLogEventsRules(t *testing.T) {
	f := newFixture(t)
	f.groupWithStreams("g", "s")
	put := func(events ...InputLogEvent) (*PutLogEventsOutput, error) {
		return f.svc.PutLogEvents(f.ctx, testAccount, f.region, PutLogEventsInput{Group: "g", Stream: "s", Events: events})
	}
	at := func(d time.Duration, msg string) InputLogEvent {
		return InputLogEvent{Timestamp: f.ms(d), Message: msg}
	}

	_, err := put()
	wantCode(t, err, CodeInvalidParameter, "Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1")
	_, err = put(at(0, "b"), at(-time.Second, "a"))
	wantCode(t, err, CodeInvalidParameter, "Log events in a single PutLogEvents request must be in chronological order.")
	_, err = put(at(0, "a"), at(0, ""))
	wantCode(t, err, CodeInvalidParameter, "Value '' at 'logEvents.2.member.message'")
	_, err = put(at(0, strings.Repeat("x", MaxBatchBytes-EventOverhead+1)))
	wantCode(t, err, CodeInvalidParameter, "Upload too large: 1048577 bytes exceeds limit of 1048576")
	if _, err := put(at(0, strings.Repeat("x", MaxBatchBytes-EventOverhead))); err != nil {
		t.Fatalf("a batch of exactly 1 MiB: %v", err)
	}
	many := make([]InputLogEvent, MaxBatchEvents+1)
	for i := range many {
		many[i] = at(0, "m")
	}
	_, err = put(many...)
	wantCode(t, err, CodeInvalidParameter, "Member must have length less than or equal to 10000")
	_, err = put(at(-20*time.Hour, "a"), at(5*time.Hour, "b"))
	if err != nil {
		t.Fatalf("the too-new event should be rejected, not the batch: %v", err)
	}
	_, err = put(at(-23*time.Hour, "a"), at(time.Hour+time.Minute, "b"))
	wantCode(t, err, CodeInvalidParameter, "cannot span more than 24 hours")
	_, err = f.svc.PutLogEvents(f.ctx, testAccount, f.region, PutLogEventsInput{Group: "g", Stream: "nope", Events: []InputLogEvent{at(0, "a")}})
	wantCode(t, err, CodeResourceNotFound, "The specified log stream does not exist.")
	_, err = f.svc.PutLogEvents(f.ctx, testAccount, f.region, PutLogEventsInput{Group: "nope", Stream: "s", Events: []InputLogEvent{at(0, "a")}})
	wantCode(t, err, CodeResourceNotFound, "The specified log group does not exist.")

	// Old and far-future events are rejected as AWS does: indexes into
	// the batch, the valid middle stored.
	out, err := put(at(-15*24*time.Hour, "too old"), at(-14*24*time.Hour-time.Second, "too old too"), at(-time.Minute, "kept"), at(time.Minute, "kept too"),
		at(2*time.Hour+time.Second, "too new"))
	f.must(err)
	if r := out.Rejected; r == nil || *r.TooOldEndIndex != 2 || *r.TooNewStartIndex != 4 || r.ExpiredEndIndex != nil {
		t.Fatalf("rejected %+v", out.Rejected)
	}
	if len(out.NextSequenceToken) != 56 {
		t.Errorf("sequence token %q", out.NextSequenceToken)
	}
	f.must(f.svc.PutRetentionPolicy(f.ctx, testAccount, f.region, "g", 1))
	out, err = put(at(-2*24*time.Hour, "expired"), at(0, "kept"))
	f.must(err)
	if r := out.Rejected; r == nil || *r.ExpiredEndIndex != 1 || r.TooOldEndIndex != nil || r.TooNewStartIndex != nil {
		t.Fatalf("rejected %+v", out.Rejected)
	}
	got := f.messages(GetLogEventsInput{Group: GroupRef{Name: "g"}, Stream: "s", StartFromHead: true})
	for _, m := range got {
		if strings.Contains(m, "too") || m == "expired" {
			t.Errorf("a rejected event was stored: %q", m)
		}
	}
}

func (f *fixture) messages(in GetLogEventsInput) []string {
	f.t.Helper()
	out, err := f.svc.GetLogEvents(f.ctx, testAccount, f.region, in)
	f.must(err)
	var msgs []string
	for _, e := range out.Events {
		msgs = append(msgs, e.Message)
	}
	return msgs
}

// putNumbered writes n events a second apart ending now: "0", "1", ...
func (f *fixture) putNumbered(group, stream string, n int) {
	f.t.Helper()
	events := make([]InputLogEvent, n)
	for i := range events {
		events[i] = InputLogEvent{Timestamp: f.ms(time.Duration(i-n) * time.Second), Message: fmt.Sprint(i)}
	}
	_, err := f.svc.PutLogEvents(f.ctx, testAccount, f.region, PutLogEventsInput{Group: group, Stream: stream, Events: events})
	f.must(err)
}

func TestGetLogEventsPagesBothWays(t *testing.T) {
	f := newFixture(t)
	f.groupWithStreams("g", "s", "empty")
	f.putNumbered("g", "s", 25)
	get := func(in GetLogEventsInput) *GetLogEventsOutput {
		t.Helper()
		in.Group, in.Stream = GroupRef{Name: "g"}, "s"
		out, err := f.svc.GetLogEvents(f.ctx, testAccount, f.region, in)
		f.must(err)
		return out
	}
	nums := func(out *GetLogEventsOutput) string {
		var s []string
		for _, e := range out.Events {
			s = append(s, e.Message)
		}
		return strings.Join(s, ",")
	}
	// Forward from the head until the token comes back unchanged.
	var pages []string
	out := get(GetLogEventsInput{StartFromHead: true, Limit: ptr(10)})
	for range 10 {
		pages = append(pages, nums(out))
		next := get(GetLogEventsInput{NextToken: out.NextForwardToken, Limit: ptr(10)})
		if next.NextForwardToken == out.NextForwardToken {
			if len(next.Events) != 0 {
				t.Fatalf("the same token came back with events")
			}
			break
		}
		out = next
	}
	if got := strings.Join(pages, "|"); got != "0,1,2,3,4,5,6,7,8,9|10,11,12,13,14,15,16,17,18,19|20,21,22,23,24" {
		t.Fatalf("forward pages %s", got)
	}
	if !strings.HasPrefix(out.NextForwardToken, "f/") || !strings.HasPrefix(out.NextBackwardToken, "b/") || len(out.NextForwardToken) != 58 {
		t.Fatalf("tokens %q %q", out.NextForwardToken, out.NextBackwardToken)
	}
	// The default reads the latest events; backward tokens go further back.
	pages = nil
	out = get(GetLogEventsInput{Limit: ptr(10)})
	for range 10 {
		pages = append(pages, nums(out))
		next := get(GetLogEventsInput{NextToken: out.NextBackwardToken, Limit: ptr(10)})
		if next.NextBackwardToken == out.NextBackwardToken {
			break
		}
		out = next
	}
	if got := strings.Join(pages, "|"); got != "15,16,17,18,19,20,21,22,23,24|5,6,7,8,9,10,11,12,13,14|0,1,2,3,4" {
		t.Fatalf("backward pages %s", got)
	}
	// Tailing: the latest page's forward token sees only newer events.
	tail := get(GetLogEventsInput{Limit: ptr(3)})
	idle := get(GetLogEventsInput{NextToken: tail.NextForwardToken})
	if len(idle.Events) != 0 || idle.NextForwardToken != tail.NextForwardToken {
		t.Fatalf("nothing new, yet %q", nums(idle))
	}
	f.put("g", "s", 0)
	if fresh := get(GetLogEventsInput{NextToken: tail.NextForwardToken}); len(fresh.Events) != 1 || fresh.NextForwardToken == tail.NextForwardToken {
		t.Fatalf("the new event: %q", nums(fresh))
	}
	// A time range: [start, end).
	start, end := f.ms(-20*time.Second), f.ms(-15*time.Second)
	if got := nums(get(GetLogEventsInput{StartFromHead: true, TimeRange: TimeRange{Start: &start, End: &end}})); got != "5,6,7,8,9" {
		t.Fatalf("range forward: %s", got)
	}
	if got := nums(get(GetLogEventsInput{TimeRange: TimeRange{Start: &start, End: &end}, Limit: ptr(2)})); got != "8,9" {
		t.Fatalf("range backward: %s", got)
	}
	// An empty stream answers tokens that a tail can follow.
	empty, err := f.svc.GetLogEvents(f.ctx, testAccount, f.region, GetLogEventsInput{Group: GroupRef{Name: "g"}, Stream: "empty"})
	f.must(err)
	f.put("g", "empty", 0)
	later, err := f.svc.GetLogEvents(f.ctx, testAccount, f.region, GetLogEventsInput{Group: GroupRef{Name: "g"}, Stream: "empty", NextToken: empty.NextForwardToken})
	f.must(err)
	if len(later.Events) != 1 {
		t.Fatalf("following an empty stream: %+v", later)
	}
	for _, bad := range []string{"f/123", "x/" + strings.Repeat("0", 56), tail.NextForwardToken[:57] + "9", "garbage"} {
		_, err := f.svc.GetLogEvents(f.ctx, testAccount, f.region, GetLogEventsInput{Group: GroupRef{Name: "g"}, Stream: "s", NextToken: bad})
		wantCode(t, err, CodeInvalidParameter, "The specified nextToken is invalid.")
	}
	_, err = f.svc.GetLogEvents(f.ctx, testAccount, f.region, GetLogEventsInput{Group: GroupRef{Name: "g"}, Stream: "s", Limit: ptr(10001)})
	wantCode(t, err, CodeInvalidParameter, "Member must have value less than or equal to 10000")
	_, err = f.svc.GetLogEvents(f.ctx, testAccount, f.region, GetLogEventsInput{Group: GroupRef{Name: "g"}, Stream: "nope"})
	wantCode(t, err, CodeResourceNotFound, "The specified log stream does not exist.")
}

func TestGetLogEventsPageIsAtMostOneMiB(t *testing.T) {
	f := newFixture(t)
	f.groupWithStreams("g", "s")
	big := strings.Repeat("x", 300<<10)
	for i := range 8 {
		_, err := f.svc.PutLogEvents(f.ctx, testAccount, f.region, PutLogEventsInput{Group: "g", Stream: "s",
			Events: []InputLogEvent{{Timestamp: f.ms(time.Duration(i) * time.Millisecond), Message: big}}})
		f.must(err)
	}
	out, err := f.svc.GetLogEvents(f.ctx, testAccount, f.region, GetLogEventsInput{Group: GroupRef{Name: "g"}, Stream: "s", StartFromHead: true})
	f.must(err)
	if len(out.Events) != 3 {
		t.Fatalf("a page of %d 300 KiB events", len(out.Events))
	}
}

func TestFilterLogEvents(t *testing.T) {
	f := newFixture(t)
	f.groupWithStreams("app", "web-1", "web-2", "worker")
	put := func(stream string, d time.Duration, msg string) {
		_, err := f.svc.PutLogEvents(f.ctx, testAccount, f.region, PutLogEventsInput{Group: "app", Stream: stream,
			Events: []InputLogEvent{{Timestamp: f.ms(d), Message: msg}}})
		f.must(err)
	}
	put("web-1", -5*time.Second, "GET / 200")
	put("worker", -4*time.Second, `{"level":"error","latency":900}`)
	put("web-2", -3*time.Second, "GET /x 500 ERROR")
	put("web-1", -2*time.Second, "GET /y 404")
	put("worker", -1*time.Second, `{"level":"info","latency":10}`)
	filter := func(in FilterLogEventsInput) *FilterLogEventsOutput {
		t.Helper()
		in.Group = GroupRef{Name: "app"}
		out, err := f.svc.FilterLogEvents(f.ctx, testAccount, f.region, in)
		f.must(err)
		return out
	}
	msgs := func(out *FilterLogEventsOutput) string {
		var s []string
		for _, e := range out.Events {
			s = append(s, e.Stream+": "+e.Message)
		}
		return strings.Join(s, " | ")
	}
	for _, tc := range []struct {
		in   FilterLogEventsInput
		want string
	}{
		{FilterLogEventsInput{}, `web-1: GET / 200 | worker: {"level":"error","latency":900} | web-2: GET /x 500 ERROR | web-1: GET /y 404 | worker: {"level":"info","latency":10}`},
		{FilterLogEventsInput{FilterPattern: "GET -ERROR"}, "web-1: GET / 200 | web-1: GET /y 404"},
		{FilterLogEventsInput{FilterPattern: "?ERROR ?404"}, "web-2: GET /x 500 ERROR | web-1: GET /y 404"},
		{FilterLogEventsInput{FilterPattern: `{ $.latency > 100 }`}, `worker: {"level":"error","latency":900}`},
		{FilterLogEventsInput{FilterPattern: `{ $.level = "info" || $.level = "error" }`}, `worker: {"level":"error","latency":900} | worker: {"level":"info","latency":10}`},
		{FilterLogEventsInput{FilterPattern: `[method, path, status = 4*]`}, "web-1: GET /y 404"},
		{FilterLogEventsInput{StreamNamePrefix: "web"}, "web-1: GET / 200 | web-2: GET /x 500 ERROR | web-1: GET /y 404"},
		{FilterLogEventsInput{StreamNames: []string{"web-2", "nope"}}, "web-2: GET /x 500 ERROR"},
		{FilterLogEventsInput{TimeRange: TimeRange{Start: ptr(f.ms(-3 * time.Second)), End: ptr(f.ms(-time.Second))}}, "web-2: GET /x 500 ERROR | web-1: GET /y 404"},
		{FilterLogEventsInput{StartFromHead: ptr(false), Limit: ptr(2)}, `worker: {"level":"info","latency":10} | web-1: GET /y 404`},
	} {
		if got := msgs(filter(tc.in)); got != tc.want {
			t.Errorf("%+v:\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
	// Pages of one, both ways; a token and no more when done.
	for _, head := range []bool{true, false} {
		var all []string
		ids := map[string]bool{}
		in := FilterLogEventsInput{Limit: ptr(1), StartFromHead: ptr(head)}
		for range 10 {
			out := filter(in)
			for _, e := range out.Events {
				all = append(all, e.Message)
				ids[e.EventID] = true
			}
			if in.NextToken = out.NextToken; in.NextToken == "" {
				break
			}
		}
		if len(all) != 5 || len(ids) != 5 {
			t.Errorf("pages of one (from head %v): %v, %d ids", head, all, len(ids))
		}
	}
	// Event ids are stable: what `aws logs tail --follow` relies on.
	a, b := filter(FilterLogEventsInput{}), filter(FilterLogEventsInput{})
	for i := range a.Events {
		if a.Events[i].EventID != b.Events[i].EventID || len(a.Events[i].EventID) != 56 {
			t.Fatalf("event ids %q and %q", a.Events[i].EventID, b.Events[i].EventID)
		}
	}
	for _, tc := range []struct {
		in       FilterLogEventsInput
		code     string
		contains string
	}{
		{FilterLogEventsInput{FilterPattern: "user@example.com"}, CodeInvalidParameter, "Invalid filter pattern"},
		{FilterLogEventsInput{StreamNames: []string{"a"}, StreamNamePrefix: "a"}, CodeInvalidParameter, "mutually exclusive"},
		{FilterLogEventsInput{StreamNames: []string{}}, CodeInvalidParameter, "logStreamNames"},
		{FilterLogEventsInput{NextToken: "bm9wZQ"}, CodeInvalidParameter, "nextToken"},
		{FilterLogEventsInput{Limit: ptr(0)}, CodeInvalidParameter, "Member must have value greater than or equal to 1"},
	} {
		tc.in.Group = GroupRef{Name: "app"}
		_, err := f.svc.FilterLogEvents(f.ctx, testAccount, f.region, tc.in)
		wantCode(t, err, tc.code, tc.contains)
	}
	_, err := f.svc.FilterLogEvents(f.ctx, testAccount, f.region, FilterLogEventsInput{Group: GroupRef{Name: "nope"}})
	wantCode(t, err, CodeResourceNotFound, "The specified log group does not exist.")
}

// TestFilterFollowsAsTheCLIDoes replays `aws logs tail --follow`: ask
// from the newest timestamp seen, drop the events already seen by id.
func TestFilterFollowsAsTheCLIDoes(t *testing.T) {
	f := newFixture(t)
	f.groupWithStreams("g", "a", "b")
	seen := map[string]bool{}
	var shown []string
	since := f.ms(-time.Minute)
	poll := func() {
		in := FilterLogEventsInput{Group: GroupRef{Name: "g"}, TimeRange: TimeRange{Start: &since}}
		for {
			out, err := f.svc.FilterLogEvents(f.ctx, testAccount, f.region, in)
			f.must(err)
			for _, e := range out.Events {
				if !seen[e.EventID] {
					seen[e.EventID] = true
					shown = append(shown, e.Message)
				}
				since = max(since, e.Timestamp)
			}
			if in.NextToken = out.NextToken; in.NextToken == "" {
				return
			}
		}
	}
	f.put("g", "a", 0, 0)
	poll()
	f.put("g", "b", 0)
	f.clock.advance(time.Second)
	f.put("g", "a", 0)
	poll()
	poll()
	if len(shown) != 4 {
		t.Fatalf("shown %v", shown)
	}
}

func TestFilterPagesThroughALargeGroupInBoundedSteps(t *testing.T) {
	f := newFixture(t)
	f.groupWithStreams("g", "s")
	msg := strings.Repeat("y", 100<<10)
	n := maxScanBytes/(len(msg)+EventOverhead) + 40
	for i := 0; i < n; i += 9 {
		var batch []InputLogEvent
		for j := i; j < min(i+9, n); j++ {
			batch = append(batch, InputLogEvent{Timestamp: f.ms(time.Duration(j-n) * time.Millisecond), Message: msg})
		}
		_, err := f.svc.PutLogEvents(f.ctx, testAccount, f.region, PutLogEventsInput{Group: "g", Stream: "s", Events: batch})
		f.must(err)
	}
	_, err := f.svc.PutLogEvents(f.ctx, testAccount, f.region, PutLogEventsInput{Group: "g", Stream: "s", Events: []InputLogEvent{{Timestamp: f.ms(0), Message: "needle"}}})
	f.must(err)
	in := FilterLogEventsInput{Group: GroupRef{Name: "g"}, FilterPattern: "needle"}
	calls, found := 0, 0
	for {
		out, err := f.svc.FilterLogEvents(f.ctx, testAccount, f.region, in)
		f.must(err)
		calls++
		found += len(out.Events)
		if in.NextToken = out.NextToken; in.NextToken == "" {
			break
		}
	}
	if calls != 2 || found != 1 {
		t.Fatalf("%d calls found %d events", calls, found)
	}
}

func TestRetentionSweepsOldSegments(t *testing.T) {
	f := newFixture(t)
	f.svc.SegmentBytes = 1 // a segment per batch
	f.groupWithStreams("g", "s")
	for h := 30; h >= 0; h -= 6 {
		f.put("g", "s", -time.Duration(h)*time.Hour)
	}
	f.must(f.svc.PutRetentionPolicy(f.ctx, testAccount, f.region, "g", 1))
	before := f.svc.storedBytes(f.groupID("g"))
	f.must(f.svc.Sweep(f.ctx))
	msgs := f.messages(GetLogEventsInput{Group: GroupRef{Name: "g"}, Stream: "s", StartFromHead: true})
	if want := []string{"s -24h0m0s", "s -18h0m0s", "s -12h0m0s", "s -6h0m0s", "s 0s"}; !slices.Equal(msgs, want) {
		t.Fatalf("after the sweep: %q, want %q", msgs, want)
	}
	after := f.svc.storedBytes(f.groupID("g"))
	if after >= before {
		t.Fatalf("stored bytes %d, before %d", after, before)
	}
	// Two days on, everything has expired.
	f.clock.advance(48 * time.Hour)
	f.must(f.svc.Sweep(f.ctx))
	if msgs := f.messages(GetLogEventsInput{Group: GroupRef{Name: "g"}, Stream: "s"}); len(msgs) != 0 {
		t.Fatalf("expired events remain: %q", msgs)
	}
	out, _ := f.svc.DescribeLogGroups(f.ctx, testAccount, f.region, DescribeLogGroupsInput{})
	if out.Groups[0].StoredBytes != 0 {
		t.Fatalf("stored bytes %d with no events", out.Groups[0].StoredBytes)
	}
}

func TestByteCapDropsTheOldestFirst(t *testing.T) {
	f := newFixture(t)
	f.svc.GroupByteCap = 512 << 10
	f.groupWithStreams("g", "a", "b")
	msg := strings.Repeat("z", 10<<10)
	for i := range 120 {
		stream := []string{"a", "b"}[i%2]
		_, err := f.svc.PutLogEvents(f.ctx, testAccount, f.region, PutLogEventsInput{Group: "g", Stream: stream,
			Events: []InputLogEvent{{Timestamp: f.ms(time.Duration(i-120) * time.Second), Message: fmt.Sprintf("%d %s", i, msg)}}})
		f.must(err)
	}
	// The writes over the cap asked Run for a sweep.
	select {
	case <-f.svc.kick:
	default:
		t.Fatal("no sweep was asked for")
	}
	f.must(f.svc.Sweep(f.ctx))
	if got := f.svc.storedBytes(f.groupID("g")); got > f.svc.GroupByteCap || got < f.svc.GroupByteCap/2 {
		t.Fatalf("stored %d bytes, cap %d", got, f.svc.GroupByteCap)
	}
	out, err := f.svc.FilterLogEvents(f.ctx, testAccount, f.region, FilterLogEventsInput{Group: GroupRef{Name: "g"}})
	f.must(err)
	first, last := out.Events[0].Message, out.Events[len(out.Events)-1].Message
	if strings.HasPrefix(first, "0 ") || !strings.HasPrefix(last, "119 ") {
		t.Fatalf("kept %d events from %.8q to %.8q: the oldest should go", len(out.Events), first, last)
	}
}

func TestRestartSeesTheSameEvents(t *testing.T) {
	f := newFixture(t)
	f.groupWithStreams("g", "s", "t")
	f.putNumbered("g", "s", 30)
	f.put("g", "t", 0)
	in := GetLogEventsInput{Group: GroupRef{Name: "g"}, Stream: "s", StartFromHead: true, Limit: ptr(10)}
	page, err := f.svc.GetLogEvents(f.ctx, testAccount, f.region, in)
	f.must(err)
	before, _ := f.svc.DescribeLogGroups(f.ctx, testAccount, f.region, DescribeLogGroupsInput{})
	dir := f.svc.Dir
	// A stray directory (a crash mid-delete) goes at Open.
	f.must(mkdir(dir + "/0123456789abcdef01234567"))

	again := f.open(dir)
	after, _ := again.DescribeLogGroups(f.ctx, testAccount, f.region, DescribeLogGroupsInput{})
	if before.Groups[0].StoredBytes != after.Groups[0].StoredBytes || after.Groups[0].StoredBytes == 0 {
		t.Fatalf("stored bytes %d before, %d after", before.Groups[0].StoredBytes, after.Groups[0].StoredBytes)
	}
	next, err := again.GetLogEvents(f.ctx, testAccount, f.region, GetLogEventsInput{Group: GroupRef{Name: "g"}, Stream: "s", NextToken: page.NextForwardToken})
	f.must(err)
	if len(next.Events) != 20 || next.Events[0].Message != "10" {
		t.Fatalf("a token from before the restart: %d events from %q", len(next.Events), next.Events[0].Message)
	}
	if names, _ := listDir(dir); len(names) != 1 {
		t.Fatalf("directories after Open: %v", names)
	}
	// Writing goes on after the old events.
	_, err = again.PutLogEvents(f.ctx, testAccount, f.region, PutLogEventsInput{Group: "g", Stream: "s", Events: []InputLogEvent{{Timestamp: f.ms(0), Message: "after"}}})
	f.must(err)
	out, err := again.FilterLogEvents(f.ctx, testAccount, f.region, FilterLogEventsInput{Group: GroupRef{Name: "g"}})
	f.must(err)
	// "after" and t's event share a timestamp and an ingestion time: the
	// stream's name orders them.
	if len(out.Events) != 32 || out.Events[30].Message != "after" {
		t.Fatalf("%d events, then %q", len(out.Events), out.Events[30].Message)
	}
}

func TestEnsureLogStreamAndAppend(t *testing.T) {
	f := newFixture(t)
	for range 2 { // idempotent
		f.must(f.svc.EnsureLogStream(f.ctx, testAccount, f.region, "/aws/eks/demo/cluster", "kube-apiserver-a"))
	}
	f.must(f.svc.EnsureLogStream(f.ctx, testAccount, f.region, "/aws/eks/demo/cluster", "kube-scheduler-a"))
	now := f.clock.Now()
	err := f.svc.Append(f.ctx, testAccount, f.region, "/aws/eks/demo/cluster", "kube-apiserver-a", []Event{
		{Timestamp: now, Message: "second"},
		{Timestamp: now.Add(-time.Second), Message: "first"},
		{Timestamp: now.Add(-15 * 24 * time.Hour), Message: "ancient"},
		{Timestamp: now.Add(3 * time.Hour), Message: "future"},
		{Timestamp: now, Message: ""},
	})
	var dropped *DroppedEventsError
	if !errors.As(err, &dropped) || *dropped != (DroppedEventsError{TooOld: 1, TooNew: 1, Empty: 1}) {
		t.Fatalf("Append: %v", err)
	}
	msgs := f.messages(GetLogEventsInput{Group: GroupRef{Name: "/aws/eks/demo/cluster"}, Stream: "kube-apiserver-a", StartFromHead: true})
	if !slices.Equal(msgs, []string{"first", "second"}) {
		t.Fatalf("stored %q", msgs)
	}
	f.must(f.svc.Append(f.ctx, testAccount, f.region, "/aws/eks/demo/cluster", "kube-scheduler-a", []Event{{Timestamp: now, Message: "ok"}}))
	err = f.svc.Append(f.ctx, testAccount, f.region, "/aws/eks/demo/cluster", "missing", []Event{{Timestamp: now, Message: "x"}})
	wantCode(t, err, CodeResourceNotFound, "The specified log stream does not exist.")
	wantCode(t, f.svc.EnsureLogStream(f.ctx, testAccount, f.region, "bad name", "s"), CodeInvalidParameter, "logGroupName")
}

// TestRunSweepsSoonAfterAGroupGoesOverItsCap: Run sleeps through its
// interval but wakes when a write passes the cap, and ends with its context.
func TestRunSweepsSoonAfterAGroupGoesOverItsCap(t *testing.T) {
	f := newFixture(t)
	f.svc.GroupByteCap, f.svc.SweepInterval = 256<<10, time.Hour
	f.groupWithStreams("g", "s")
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan struct{})
	go func() { defer close(done); f.svc.Run(ctx) }()
	msg := strings.Repeat("q", 32<<10)
	for i := range 40 {
		_, err := f.svc.PutLogEvents(f.ctx, testAccount, f.region, PutLogEventsInput{Group: "g", Stream: "s",
			Events: []InputLogEvent{{Timestamp: f.ms(time.Duration(i-40) * time.Second), Message: msg}}})
		f.must(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for f.svc.storedBytes(f.groupID("g")) > f.svc.GroupByteCap {
		if time.Now().After(deadline) {
			t.Fatalf("still %d bytes over a cap of %d", f.svc.storedBytes(f.groupID("g")), f.svc.GroupByteCap)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not end with its context")
	}
}
