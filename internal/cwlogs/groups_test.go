package cwlogs

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"
)

func TestLogGroupsAndStreams(t *testing.T) {
	f := newFixture(t)
	ctx, r := f.ctx, f.region
	for _, name := range []string{"/aws/lambda/b", "/aws/lambda/a", "app.logs#1", "other"} {
		f.must(f.svc.CreateLogGroup(ctx, testAccount, r, CreateLogGroupInput{Name: name}))
	}
	wantCode(t, f.svc.CreateLogGroup(ctx, testAccount, r, CreateLogGroupInput{Name: "other"}), CodeResourceAlreadyExists, "The specified log group already exists")
	for _, tc := range []struct{ name, msg string }{
		{"", "Value null at 'logGroupName' failed to satisfy constraint: Member must not be null"},
		{"bad name", `Value 'bad name' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`},
		{strings.Repeat("a", 513), "Member must have length less than or equal to 512"},
		{"aws/mine", "cannot start with 'aws/'"},
	} {
		wantCode(t, f.svc.CreateLogGroup(ctx, testAccount, r, CreateLogGroupInput{Name: tc.name}), CodeInvalidParameter, tc.msg)
	}
	wantCode(t, f.svc.CreateLogGroup(ctx, testAccount, r, CreateLogGroupInput{Name: "x", Class: "COLD"}), CodeInvalidParameter, "enum value set")

	// Name order, prefix, substring pattern, paging.
	names := func(in DescribeLogGroupsInput) []string {
		t.Helper()
		out, err := f.svc.DescribeLogGroups(ctx, testAccount, r, in)
		f.must(err)
		var got []string
		for _, g := range out.Groups {
			got = append(got, g.Name)
		}
		return append(got, "next="+fmt.Sprint(out.NextToken != ""))
	}
	if got := fmt.Sprint(names(DescribeLogGroupsInput{})); got != "[/aws/lambda/a /aws/lambda/b app.logs#1 other next=false]" {
		t.Errorf("all groups: %s", got)
	}
	if got := fmt.Sprint(names(DescribeLogGroupsInput{NamePrefix: "/aws/"})); got != "[/aws/lambda/a /aws/lambda/b next=false]" {
		t.Errorf("by prefix: %s", got)
	}
	if got := fmt.Sprint(names(DescribeLogGroupsInput{NamePattern: "lambda"})); got != "[/aws/lambda/a /aws/lambda/b next=false]" {
		t.Errorf("by pattern: %s", got)
	}
	if got := fmt.Sprint(names(DescribeLogGroupsInput{NamePattern: "LAMBDA"})); got != "[next=false]" {
		t.Errorf("the pattern is case-sensitive: %s", got)
	}
	if got := fmt.Sprint(names(DescribeLogGroupsInput{Identifiers: []string{"other", GroupARN(r, testAccount, "app.logs#1")}})); got != "[app.logs#1 other next=false]" {
		t.Errorf("by identifiers: %s", got)
	}
	var paged []string
	token := ""
	for range 10 {
		out, err := f.svc.DescribeLogGroups(ctx, testAccount, r, DescribeLogGroupsInput{Limit: ptr(3), NextToken: token})
		f.must(err)
		for _, g := range out.Groups {
			paged = append(paged, g.Name)
		}
		if token = out.NextToken; token == "" {
			break
		}
	}
	if len(paged) != 4 {
		t.Errorf("paged groups: %v", paged)
	}
	_, err := f.svc.DescribeLogGroups(ctx, testAccount, r, DescribeLogGroupsInput{Limit: ptr(51)})
	wantCode(t, err, CodeInvalidParameter, "Member must have value less than or equal to 50")
	_, err = f.svc.DescribeLogGroups(ctx, testAccount, r, DescribeLogGroupsInput{NextToken: "nope"})
	wantCode(t, err, CodeInvalidParameter, "nextToken")
	_, err = f.svc.DescribeLogGroups(ctx, testAccount, r, DescribeLogGroupsInput{NamePrefix: "a", NamePattern: "b"})
	wantCode(t, err, CodeInvalidParameter, "mutually exclusive")

	// Retention.
	wantCode(t, f.svc.PutRetentionPolicy(ctx, testAccount, r, "other", 2), CodeInvalidParameter,
		"Value '2' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]")
	f.must(f.svc.PutRetentionPolicy(ctx, testAccount, r, "other", 30))
	wantCode(t, f.svc.PutRetentionPolicy(ctx, testAccount, r, "missing", 30), CodeResourceNotFound, "The specified log group does not exist.")
	out, _ := f.svc.DescribeLogGroups(ctx, testAccount, r, DescribeLogGroupsInput{NamePrefix: "other"})
	if g := out.Groups[0]; g.RetentionInDays != 30 || g.Class != ClassStandard || g.ARN != "arn:aws:logs:"+r+":"+testAccount+":log-group:other" {
		t.Errorf("group %+v", g)
	}
	f.must(f.svc.DeleteRetentionPolicy(ctx, testAccount, r, "other"))
	out, _ = f.svc.DescribeLogGroups(ctx, testAccount, r, DescribeLogGroupsInput{NamePrefix: "other"})
	if out.Groups[0].RetentionInDays != 0 {
		t.Errorf("retention still %d", out.Groups[0].RetentionInDays)
	}

	// Streams.
	for _, s := range []string{"b", "a/1", "c [x]"} {
		f.must(f.svc.CreateLogStream(ctx, testAccount, r, "other", s))
	}
	wantCode(t, f.svc.CreateLogStream(ctx, testAccount, r, "other", "b"), CodeResourceAlreadyExists, "The specified log stream already exists")
	wantCode(t, f.svc.CreateLogStream(ctx, testAccount, r, "missing", "b"), CodeResourceNotFound, "The specified log group does not exist.")
	wantCode(t, f.svc.CreateLogStream(ctx, testAccount, r, "other", "a:b"), CodeInvalidParameter, "Member must satisfy regular expression pattern: [^:*]*")
	f.put("other", "a/1", 0)
	f.put("other", "b", -2*time.Minute)
	streamNames := func(in DescribeLogStreamsInput) string {
		t.Helper()
		in.Group = GroupRef{Name: "other"}
		out, err := f.svc.DescribeLogStreams(ctx, testAccount, r, in)
		f.must(err)
		var got []string
		for _, s := range out.Streams {
			got = append(got, s.Name)
		}
		return fmt.Sprint(got)
	}
	for _, tc := range []struct {
		in   DescribeLogStreamsInput
		want string
	}{
		{DescribeLogStreamsInput{}, "[a/1 b c [x]]"},
		{DescribeLogStreamsInput{Descending: true}, "[c [x] b a/1]"},
		{DescribeLogStreamsInput{NamePrefix: "a"}, "[a/1]"},
		{DescribeLogStreamsInput{OrderBy: OrderByLastEventTime}, "[c [x] b a/1]"},
		{DescribeLogStreamsInput{OrderBy: OrderByLastEventTime, Descending: true}, "[a/1 b c [x]]"},
	} {
		if got := streamNames(tc.in); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, order := range []string{OrderByName, OrderByLastEventTime} {
		for _, desc := range []bool{false, true} {
			var got []string
			token := ""
			for range 10 {
				out, err := f.svc.DescribeLogStreams(ctx, testAccount, r, DescribeLogStreamsInput{Group: GroupRef{Name: "other"}, OrderBy: order, Descending: desc, Limit: ptr(1), NextToken: token})
				f.must(err)
				for _, s := range out.Streams {
					got = append(got, s.Name)
				}
				if token = out.NextToken; token == "" {
					break
				}
			}
			if len(got) != 3 {
				t.Errorf("paging by %s (descending %v): %v", order, desc, got)
			}
		}
	}
	_, err = f.svc.DescribeLogStreams(ctx, testAccount, r, DescribeLogStreamsInput{Group: GroupRef{Name: "other"}, OrderBy: OrderByLastEventTime, NamePrefix: "a"})
	wantCode(t, err, CodeInvalidParameter, "Cannot order by LastEventTime with a logStreamNamePrefix.")
	_, err = f.svc.DescribeLogStreams(ctx, testAccount, r, DescribeLogStreamsInput{Group: GroupRef{Name: "other", Identifier: "other"}})
	wantCode(t, err, CodeInvalidParameter, "mutually exclusive")
	ds, err := f.svc.DescribeLogStreams(ctx, testAccount, r, DescribeLogStreamsInput{Group: GroupRef{Identifier: GroupARN(r, testAccount, "other")}, NamePrefix: "a"})
	f.must(err)
	s := ds.Streams[0]
	if s.ARN != "arn:aws:logs:"+r+":"+testAccount+":log-group:other:log-stream:a/1" || s.FirstEventTimestamp != f.ms(0) || s.LastEventTimestamp != f.ms(0) || s.LastIngestionTime != f.ms(0) {
		t.Errorf("stream %+v", s)
	}
	_, err = f.svc.DescribeLogStreams(ctx, testAccount, r, DescribeLogStreamsInput{Group: GroupRef{Identifier: GroupARN("us-west-2", testAccount, "other")}})
	wantCode(t, err, CodeResourceNotFound, "The specified log group does not exist.")

	// Deleting removes the records and the files.
	f.must(f.svc.DeleteLogStream(ctx, testAccount, r, "other", "a/1"))
	wantCode(t, f.svc.DeleteLogStream(ctx, testAccount, r, "other", "a/1"), CodeResourceNotFound, "The specified log stream does not exist.")
	before := f.svc.storedBytes(f.groupID("other"))
	if before == 0 {
		t.Fatal("stream b's events take no bytes")
	}
	dir := f.svc.Dir + "/" + f.groupID("other")
	f.must(f.svc.DeleteLogGroup(ctx, testAccount, r, "other"))
	if _, err := listDir(dir); err == nil {
		t.Errorf("the deleted group's directory is still there")
	}
	wantCode(t, f.svc.DeleteLogGroup(ctx, testAccount, r, "other"), CodeResourceNotFound, "The specified log group does not exist.")
	// A group made again under the name starts empty.
	f.must(f.svc.CreateLogGroup(ctx, testAccount, r, CreateLogGroupInput{Name: "other"}))
	if got := streamNames(DescribeLogStreamsInput{}); got != "[]" {
		t.Errorf("a new group has the old one's streams: %s", got)
	}
}

func TestTags(t *testing.T) {
	f := newFixture(t)
	ctx, r := f.ctx, f.region
	f.must(f.svc.CreateLogGroup(ctx, testAccount, r, CreateLogGroupInput{Name: "tagged", Tags: map[string]string{"team": "a"}}))
	f.must(f.svc.TagLogGroup(ctx, testAccount, r, "tagged", map[string]string{"cost": "c1", "team": "b"}))
	tags, err := f.svc.ListTags(ctx, testAccount, r, "tagged")
	f.must(err)
	if !maps.Equal(tags, map[string]string{"cost": "c1", "team": "b"}) {
		t.Errorf("tags %v", tags)
	}
	f.must(f.svc.UntagLogGroup(ctx, testAccount, r, "tagged", []string{"team", "absent"}))
	if tags := f.svc.GroupTags(ctx, testAccount, r, "tagged"); !maps.Equal(tags, map[string]string{"cost": "c1"}) {
		t.Errorf("tags after untagging %v", tags)
	}
	many := map[string]string{}
	for i := range 50 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	wantCode(t, f.svc.TagLogGroup(ctx, testAccount, r, "tagged", many), CodeTooManyTags, "50")
	wantCode(t, f.svc.TagLogGroup(ctx, testAccount, r, "tagged", map[string]string{"bad*key": "v"}), CodeInvalidParameter, "Map keys must satisfy constraint")
	wantCode(t, f.svc.TagLogGroup(ctx, testAccount, r, "tagged", map[string]string{"aws:x": "v"}), CodeInvalidParameter, "reserved")
	wantCode(t, f.svc.TagLogGroup(ctx, testAccount, r, "missing", map[string]string{"a": "b"}), CodeResourceNotFound, "log group does not exist")

	name, err := GroupOfARN(testAccount, r, GroupARN(r, testAccount, "tagged"))
	if err != nil || name != "tagged" {
		t.Errorf("GroupOfARN: %q %v", name, err)
	}
	_, err = GroupOfARN(testAccount, r, "arn:aws:logs:"+r+":"+testAccount+":destination:d")
	wantCode(t, err, CodeResourceNotFound, "does not exist")
	_, err = GroupOfARN(testAccount, r, "not an arn")
	wantCode(t, err, CodeInvalidParameter, "resourceArn")
	_, err = GroupOfARN("000000000000", r, GroupARN(r, testAccount, "tagged"))
	wantCode(t, err, CodeResourceNotFound, "log group does not exist")
}
