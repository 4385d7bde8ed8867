package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// logsRegion keeps the CloudWatch Logs tests' groups apart from the
// fuzzers' and from each other test's counts.
const logsRegion = "eu-north-1"

func logsClient(cfg aws.Config) *cloudwatchlogs.Client {
	cfg.Region = logsRegion
	return cloudwatchlogs.NewFromConfig(cfg)
}

func logEvents(base time.Time, messages ...string) []logstypes.InputLogEvent {
	out := make([]logstypes.InputLogEvent, len(messages))
	for i, m := range messages {
		out[i] = logstypes.InputLogEvent{Timestamp: aws.Int64(base.Add(time.Duration(i) * time.Millisecond).UnixMilli()), Message: aws.String(m)}
	}
	return out
}

// TestLogsThroughSDK drives every operation with aws-sdk-go-v2's
// CloudWatch Logs client, signed with SigV4, as a program would.
func TestLogsThroughSDK(t *testing.T) {
	ctx := context.Background()
	c := logsClient(awsConfig())
	acct := testServer.models.Bootstrap.AccountID
	group := "/keks/sdk-test"
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group), Tags: map[string]string{"team": "a"}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)})
	wantError(t, "create again", err, "ResourceAlreadyExistsException", "The specified log group already exists")
	if _, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(group), RetentionInDays: aws.Int32(14)}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"web", "worker"} {
		if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(s)}); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Now().Add(-time.Minute)
	put, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("web"),
		LogEvents: logEvents(base, "GET / 200", "GET /a 404", "POST /b 500 ERROR"), SequenceToken: aws.String("ignored")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(put.NextSequenceToken) == "" || put.RejectedLogEventsInfo != nil {
		t.Fatalf("put: %+v", put)
	}
	if _, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("worker"),
		LogEvents: logEvents(base.Add(time.Second), `{"job":"x","ms":120}`, `{"job":"y","ms":5}`)}); err != nil {
		t.Fatal(err)
	}
	old, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("worker"),
		LogEvents: logEvents(time.Now().Add(-20*24*time.Hour), "too old")})
	if err != nil || old.RejectedLogEventsInfo == nil || aws.ToInt32(old.RejectedLogEventsInfo.TooOldLogEventEndIndex) != 1 {
		t.Fatalf("an old event: %+v %v", old, err)
	}

	groups, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/keks/")})
	if err != nil || len(groups.LogGroups) != 1 {
		t.Fatalf("describe groups: %+v %v", groups, err)
	}
	g := groups.LogGroups[0]
	wantARN := "arn:aws:logs:" + logsRegion + ":" + acct + ":log-group:" + group
	if aws.ToString(g.Arn) != wantARN+":*" || aws.ToString(g.LogGroupArn) != wantARN || aws.ToInt32(g.RetentionInDays) != 14 ||
		aws.ToInt64(g.StoredBytes) == 0 || g.LogGroupClass != logstypes.LogGroupClassStandard || aws.ToInt32(g.MetricFilterCount) != 0 {
		t.Fatalf("group %+v", g)
	}
	streams, err := c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupIdentifier: aws.String(wantARN),
		OrderBy: logstypes.OrderByLastEventTime, Descending: aws.Bool(true)})
	if err != nil || len(streams.LogStreams) != 2 || aws.ToString(streams.LogStreams[0].LogStreamName) != "worker" {
		t.Fatalf("describe streams: %+v %v", streams, err)
	}
	if s := streams.LogStreams[1]; aws.ToInt64(s.FirstEventTimestamp) != base.UnixMilli() || aws.ToString(s.Arn) != wantARN+":log-stream:web" {
		t.Fatalf("stream %+v", s)
	}

	// GetLogEvents: the latest by default, then the tokens both ways.
	get, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("web"), Limit: aws.Int32(2)})
	if err != nil || len(get.Events) != 2 || aws.ToString(get.Events[1].Message) != "POST /b 500 ERROR" {
		t.Fatalf("get: %+v %v", get, err)
	}
	back, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("web"), NextToken: get.NextBackwardToken})
	if err != nil || len(back.Events) != 1 || aws.ToString(back.Events[0].Message) != "GET / 200" {
		t.Fatalf("backward: %+v %v", back, err)
	}
	fwd, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("web"), NextToken: get.NextForwardToken, StartFromHead: aws.Bool(true)})
	if err != nil || len(fwd.Events) != 0 || aws.ToString(fwd.NextForwardToken) != aws.ToString(get.NextForwardToken) {
		t.Fatalf("at the end the token comes back: %+v %v", fwd, err)
	}

	// FilterLogEvents through the SDK's paginator, a page at a time.
	var matched []string
	p := cloudwatchlogs.NewFilterLogEventsPaginator(c, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group), Limit: aws.Int32(1),
		FilterPattern: aws.String(`?ERROR ?404 ?"job"`)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			matched = append(matched, aws.ToString(e.LogStreamName)+": "+aws.ToString(e.Message))
			if len(aws.ToString(e.EventId)) != 56 || aws.ToInt64(e.IngestionTime) == 0 {
				t.Errorf("event %+v", e)
			}
		}
	}
	want := `web: GET /a 404|web: POST /b 500 ERROR|worker: {"job":"x","ms":120}|worker: {"job":"y","ms":5}`
	if got := strings.Join(matched, "|"); got != want {
		t.Fatalf("filtered\n got %s\nwant %s", got, want)
	}
	slow, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group), FilterPattern: aws.String(`{ $.ms > 100 }`)})
	if err != nil || len(slow.Events) != 1 || slow.NextToken != nil {
		t.Fatalf("JSON filter: %+v %v", slow, err)
	}
	_, err = c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group), FilterPattern: aws.String("a@b")})
	wantError(t, "a bad pattern", err, "InvalidParameterException", "Invalid filter pattern")

	// Tags, both APIs.
	if _, err := c.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String(wantARN), Tags: map[string]string{"cost": "c1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagLogGroup(ctx, &cloudwatchlogs.UntagLogGroupInput{LogGroupName: aws.String(group), Tags: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(wantARN)})
	if err != nil || fmt.Sprint(tags.Tags) != "map[cost:c1]" {
		t.Fatalf("tags %+v %v", tags, err)
	}
	old2, err := c.ListTagsLogGroup(ctx, &cloudwatchlogs.ListTagsLogGroupInput{LogGroupName: aws.String(group)})
	if err != nil || fmt.Sprint(old2.Tags) != "map[cost:c1]" {
		t.Fatalf("tags of the older API %+v %v", old2, err)
	}

	// Not found, in CloudWatch's words, as the SDK's typed errors.
	_, err = c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("nope")})
	wantError(t, "missing stream", err, "ResourceNotFoundException", "The specified log stream does not exist.")
	var notFound *logstypes.ResourceNotFoundException
	if _, err = c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/keks/nope")}); !errors.As(err, &notFound) {
		t.Fatalf("missing group: %v", err)
	}
	_, err = c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(group), RetentionInDays: aws.Int32(2)})
	wantError(t, "retention", err, "InvalidParameterException", "Member must satisfy enum value set: [1, 3, 5, 7, 14, 30")

	if _, err := c.DeleteLogStream(ctx, &cloudwatchlogs.DeleteLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String("worker")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	if groups, _ := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/keks/")}); len(groups.LogGroups) != 0 {
		t.Fatalf("a deleted group is listed")
	}
}

// TestLogsRefusesMalformedRequests: whatever comes, an AWS JSON 1.1 error.
func TestLogsRefusesMalformedRequests(t *testing.T) {
	vars := logsVars(t)
	for _, tc := range []struct {
		op, body, code, msg string
	}{
		{"CreateLogGroup", `{"logGroupName":`, "SerializationException", "cannot be read"},
		{"PutRetentionPolicy", `{"logGroupName":"fz-group","retentionInDays":"7"}`, "SerializationException", "cannot be read"},
		{"PutRetentionPolicy", `{"logGroupName":"fz-group"}`, "InvalidParameterException", "Value null at 'retentionInDays'"},
		{"PutLogEvents", `{"logGroupName":"fz-group","logStreamName":"fz-stream","logEvents":[{"message":"x"}]}`, "InvalidParameterException", "logEvents.1.member.timestamp"},
		{"PutLogEvents", `{"logGroupName":"fz-group","logStreamName":"fz-stream","logEvents":[{"timestamp":1e30,"message":"x"}]}`, "SerializationException", "cannot be read"},
		{"GetLogEvents", `{"logGroupName":"fz-group","logStreamName":"fz-stream","nextToken":"f/1"}`, "InvalidParameterException", "The specified nextToken is invalid."},
		{"DescribeLogGroups", `{"limit":0}`, "InvalidParameterException", "Member must have value greater than or equal to 1"},
		{"StartLiveTail", `{"logGroupIdentifiers":["fz-group"]}`, "InvalidOperationException", "aws logs tail --follow"},
		{"Nope", `{}`, "UnknownOperationException", "Nope"},
	} {
		call := logsCall(vars, 255, []byte(tc.body), modeSigned)
		call.header["X-Amz-Target"] = []string{logsTarget + tc.op}
		rec := call.check(t)
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || rec.Code == http.StatusOK || e.Type != tc.code || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%s %s: %d %s, want %s containing %q", tc.op, tc.body, rec.Code, rec.Body, tc.code, tc.msg)
		}
	}
}

// TestLogsAuthorization: policies name groups and streams by the ARNs
// CloudWatch authorizes, with tags as conditions.
func TestLogsAuthorization(t *testing.T) {
	ctx := context.Background()
	acct := testServer.models.Bootstrap.AccountID
	admin := logsClient(awsConfig())
	for _, g := range []struct {
		name string
		tags map[string]string
	}{{"authz-team-a", map[string]string{"team": "a"}}, {"authz-team-b", map[string]string{"team": "b"}}} {
		if _, err := admin.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(g.name), Tags: g.tags}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(g.name), LogStreamName: aws.String("s")}); err != nil {
			t.Fatal(err)
		}
	}
	prefix := "arn:aws:logs:" + logsRegion + ":" + acct + ":log-group:"
	// The policy AWS documents for a writer: the group's ARN with ":*".
	writer := newUser(t, "logs-writer", nil, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents","logs:DescribeLogStreams","logs:GetLogEvents"],"Resource":"`+prefix+`authz-team-a:*"},
		{"Effect":"Allow","Action":"logs:DescribeLogGroups","Resource":"`+prefix+`*"},
		{"Effect":"Allow","Action":"logs:ListTagsForResource","Resource":"`+prefix+`authz-team-a"},
		{"Effect":"Allow","Action":"logs:FilterLogEvents","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"a"}}},
		{"Effect":"Allow","Action":"logs:CreateLogGroup","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"a"}}}]}`)
	c := logsClient(writer.cfg)
	put := func(group string) error {
		_, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("s"), LogEvents: logEvents(time.Now(), "hi")})
		return err
	}
	if err := put("authz-team-a"); err != nil {
		t.Fatalf("put to its group: %v", err)
	}
	denied(t, put("authz-team-b"), "AccessDeniedException", writer.arn, "logs:PutLogEvents", prefix+"authz-team-b:log-stream:s", "no identity-based policy allows")
	if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("authz-team-a"), LogStreamName: aws.String("t")}); err != nil {
		t.Fatalf("create a stream in its group: %v", err)
	}
	if _, err := c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("authz-team-a")}); err != nil {
		t.Fatalf("describe its group's streams: %v", err)
	}
	_, err := c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("authz-team-b")})
	denied(t, err, "AccessDeniedException", writer.arn, "logs:DescribeLogStreams", prefix+"authz-team-b:log-stream:", "no identity-based policy allows")
	if _, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{}); err != nil {
		t.Fatalf("describe groups: %v", err)
	}
	if _, err := c.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(prefix + "authz-team-a")}); err != nil {
		t.Fatalf("tags of its group, by the plain ARN: %v", err)
	}
	_, err = c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("authz-team-a")})
	denied(t, err, "AccessDeniedException", writer.arn, "logs:DeleteLogGroup", prefix+"authz-team-a:log-stream:", "no identity-based policy allows")
	// aws:ResourceTag: the group's tags.
	if _, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("authz-team-a")}); err != nil {
		t.Fatalf("filter a group tagged team=a: %v", err)
	}
	_, err = c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("authz-team-b")})
	denied(t, err, "AccessDeniedException", writer.arn, "logs:FilterLogEvents", prefix+"authz-team-b:log-stream:", "no identity-based policy allows")
	// aws:RequestTag: the tags a create sets.
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("authz-team-a2"), Tags: map[string]string{"team": "a"}}); err != nil {
		t.Fatalf("create tagged team=a: %v", err)
	}
	_, err = c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("authz-untagged")})
	denied(t, err, "AccessDeniedException", writer.arn, "logs:CreateLogGroup", prefix+"authz-untagged:log-stream:", "no identity-based policy allows")
	if _, err := admin.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("authz-untagged")}); codeOf(err) != "ResourceNotFoundException" {
		t.Fatalf("a refused create made the group: %v", err)
	}
}
