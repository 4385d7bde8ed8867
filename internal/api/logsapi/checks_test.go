package logsapi

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/cwlogs"
	"github.com/keksdev/keks/internal/store/storetest"
)

const (
	testRegion  = "eu-west-1"
	testAccount = "123456789012"
)

// newHandler is a handler over a real model holding log group "app",
// tagged team=a, with stream "web".
func newHandler(t *testing.T) *Handler {
	t.Helper()
	st := storetest.Open(t)
	ctx := context.Background()
	model := &cwlogs.Service{Store: st, Dir: t.TempDir()}
	if err := model.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if err := model.CreateLogGroup(ctx, testAccount, testRegion, cwlogs.CreateLogGroupInput{Name: "app", Tags: map[string]string{"team": "a"}}); err != nil {
		t.Fatal(err)
	}
	if err := model.CreateLogStream(ctx, testAccount, testRegion, "app", "web"); err != nil {
		t.Fatal(err)
	}
	return &Handler{Logs: model}
}

func checksOf(h *Handler, op, body string) []awsproto.Check {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("X-Amz-Target", targetPrefix+op)
	c := &awsproto.Call{Region: testRegion, Principal: awsproto.Principal{Account: testAccount}, Body: []byte(body)}
	return h.checks(r, c)
}

type described struct {
	Action, Resource string
	Context          map[string][]string
}

func describe(checks []awsproto.Check) []described {
	out := make([]described, 0, len(checks))
	for _, ch := range checks {
		d := described{Action: ch.Action, Resource: ch.Resource, Context: ch.Context}
		if len(d.Context) == 0 {
			d.Context = nil
		}
		out = append(out, d)
	}
	return out
}

const arnPrefix = "arn:aws:logs:" + testRegion + ":" + testAccount + ":"

func TestChecksDescribeEachOperation(t *testing.T) {
	h := newHandler(t)
	group := arnPrefix + "log-group:app:log-stream:"
	stream := arnPrefix + "log-group:app:log-stream:web"
	plain := arnPrefix + "log-group:app"
	tests := []struct {
		op, body string
		want     []described
	}{
		{"CreateLogGroup", `{"logGroupName":"new","tags":{"team":"b","cost":"c1"}}`, []described{{"logs:CreateLogGroup", arnPrefix + "log-group:new:log-stream:",
			map[string][]string{"aws:RequestTag/team": {"b"}, "aws:RequestTag/cost": {"c1"}, "aws:TagKeys": {"cost", "team"}}}}},
		{"CreateLogGroup", `{"logGroupName":"new"}`, []described{{"logs:CreateLogGroup", arnPrefix + "log-group:new:log-stream:", nil}}},
		{"DeleteLogGroup", `{"logGroupName":"app"}`, []described{{"logs:DeleteLogGroup", group, nil}}},
		{"DescribeLogGroups", `{"logGroupNamePrefix":"a"}`, []described{{"logs:DescribeLogGroups", arnPrefix + "log-group::log-stream:", nil}}},
		{"PutRetentionPolicy", `{"logGroupName":"app","retentionInDays":7}`, []described{{"logs:PutRetentionPolicy", group, nil}}},
		{"DeleteRetentionPolicy", `{"logGroupName":"app"}`, []described{{"logs:DeleteRetentionPolicy", group, nil}}},
		{"CreateLogStream", `{"logGroupName":"app","logStreamName":"web"}`, []described{{"logs:CreateLogStream", stream, nil}}},
		{"DeleteLogStream", `{"logGroupName":"app","logStreamName":"web"}`, []described{{"logs:DeleteLogStream", stream, nil}}},
		{"DescribeLogStreams", `{"logGroupName":"app"}`, []described{{"logs:DescribeLogStreams", group, nil}}},
		{"DescribeLogStreams", `{"logGroupIdentifier":"app"}`, []described{{"logs:DescribeLogStreams", group, nil}}},
		{"DescribeLogStreams", `{"logGroupIdentifier":"arn:aws:logs:us-west-2:999999999999:log-group:far"}`,
			[]described{{"logs:DescribeLogStreams", "arn:aws:logs:us-west-2:999999999999:log-group:far:log-stream:", nil}}},
		{"PutLogEvents", `{"logGroupName":"app","logStreamName":"web","logEvents":[]}`, []described{{"logs:PutLogEvents", stream, nil}}},
		{"GetLogEvents", `{"logGroupIdentifier":"` + plain + `","logStreamName":"web"}`, []described{{"logs:GetLogEvents", stream, nil}}},
		{"FilterLogEvents", `{"logGroupName":"app","filterPattern":"ERROR"}`, []described{{"logs:FilterLogEvents", group, nil}}},
		{"TagResource", `{"resourceArn":"` + plain + `","tags":{"k":"v"}}`, []described{{"logs:TagResource", plain,
			map[string][]string{"aws:RequestTag/k": {"v"}, "aws:TagKeys": {"k"}}}}},
		{"UntagResource", `{"resourceArn":"` + plain + `","tagKeys":["k","a"]}`, []described{{"logs:UntagResource", plain, map[string][]string{"aws:TagKeys": {"a", "k"}}}}},
		{"ListTagsForResource", `{"resourceArn":"` + plain + `"}`, []described{{"logs:ListTagsForResource", plain, nil}}},
		{"TagLogGroup", `{"logGroupName":"app","tags":{"k":"v"}}`, []described{{"logs:TagLogGroup", group, map[string][]string{"aws:RequestTag/k": {"v"}, "aws:TagKeys": {"k"}}}}},
		{"UntagLogGroup", `{"logGroupName":"app","tags":["k"]}`, []described{{"logs:UntagLogGroup", group, map[string][]string{"aws:TagKeys": {"k"}}}}},
		{"ListTagsLogGroup", `{"logGroupName":"app"}`, []described{{"logs:ListTagsLogGroup", group, nil}}},
		// What the request does not name validly is "*": validation is
		// the handler's, after authorization.
		{"PutLogEvents", `{"logGroupName":"bad name","logStreamName":"web"}`, []described{{"logs:PutLogEvents", "*", nil}}},
		{"GetLogEvents", `{"logGroupName":"app","logStreamName":"a:b"}`, []described{{"logs:GetLogEvents", "*", nil}}},
		{"DeleteLogGroup", `not json`, []described{{"logs:DeleteLogGroup", "*", nil}}},
		{"TagResource", `{"resourceArn":"arn:aws:logs:x:y:destination:d","tags":{"k":"v"}}`, []described{{"logs:TagResource", "*",
			map[string][]string{"aws:RequestTag/k": {"v"}, "aws:TagKeys": {"k"}}}}},
	}
	for _, tc := range tests {
		if got := describe(checksOf(h, tc.op, tc.body)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %s:\n got %+v\nwant %+v", tc.op, tc.body, got, tc.want)
		}
	}
	// Every operation the handler serves is described.
	for _, op := range slices.Sorted(maps.Keys(operations)) {
		if checksOf(h, op, `{}`) == nil {
			t.Errorf("%s is served but not described", op)
		}
	}
	for _, op := range []string{"StartLiveTail", "Nope"} {
		if checksOf(h, op, `{}`) != nil {
			t.Errorf("%s is described but not served", op)
		}
	}
}

func TestChecksReadTheGroupsTags(t *testing.T) {
	h := newHandler(t)
	ctx := context.Background()
	for _, tc := range []struct{ op, body string }{
		{"PutLogEvents", `{"logGroupName":"app","logStreamName":"web"}`},
		{"FilterLogEvents", `{"logGroupName":"app"}`},
		{"TagResource", `{"resourceArn":"` + arnPrefix + `log-group:app","tags":{"k":"v"}}`},
	} {
		ch := checksOf(h, tc.op, tc.body)[0]
		if ch.ResourceTags == nil || !maps.Equal(ch.ResourceTags(ctx), map[string]string{"team": "a"}) {
			t.Errorf("%s: resource tags not read", tc.op)
		}
	}
	// Another region's group is not the caller's to read tags of.
	ch := checksOf(h, "DescribeLogStreams", `{"logGroupIdentifier":"arn:aws:logs:us-west-2:`+testAccount+`:log-group:app"}`)[0]
	if tags := ch.ResourceTags(ctx); tags != nil {
		t.Errorf("tags of another region's group: %v", tags)
	}
	if ch := checksOf(h, "CreateLogGroup", `{"logGroupName":"app"}`)[0]; ch.ResourceTags != nil {
		t.Errorf("a group being made has tags")
	}
}
