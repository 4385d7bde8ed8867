package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/cwlogs"
)

const logsTarget = "Logs_20140328."

// logsOps are the CloudWatch Logs operations keks serves, in an order in
// which each seed succeeds. $NOW is a timestamp PutLogEvents takes,
// $LOG_GROUP_ARN the fixture group's ARN.
var logsOps = []struct{ name, body string }{
	{"CreateLogGroup", `{"logGroupName":"fz-new","tags":{"team":"fuzz"},"logGroupClass":"STANDARD"}`},
	{"DescribeLogGroups", `{"logGroupNamePrefix":"fz","limit":5}`},
	{"PutRetentionPolicy", `{"logGroupName":"fz-group","retentionInDays":7}`},
	{"DeleteRetentionPolicy", `{"logGroupName":"fz-group"}`},
	{"CreateLogStream", `{"logGroupName":"fz-group","logStreamName":"fz-new"}`},
	{"DescribeLogStreams", `{"logGroupName":"fz-group","orderBy":"LastEventTime","descending":true,"limit":5}`},
	{"PutLogEvents", `{"logGroupName":"fz-group","logStreamName":"fz-stream","logEvents":[{"timestamp":$NOW,"message":"hello fuzz"},{"timestamp":$NOW,"message":"{\"level\":\"info\",\"n\":1}"}]}`},
	{"GetLogEvents", `{"logGroupName":"fz-group","logStreamName":"fz-stream","startFromHead":true,"limit":5}`},
	{"FilterLogEvents", `{"logGroupIdentifier":"$LOG_GROUP_ARN","filterPattern":"{ $.n >= 1 || $.level = \"info\" }","limit":5,"interleaved":true}`},
	{"TagResource", `{"resourceArn":"$LOG_GROUP_ARN","tags":{"k":"v"}}`},
	{"ListTagsForResource", `{"resourceArn":"$LOG_GROUP_ARN"}`},
	{"UntagResource", `{"resourceArn":"$LOG_GROUP_ARN","tagKeys":["k"]}`},
	{"TagLogGroup", `{"logGroupName":"fz-group","tags":{"a":"b"}}`},
	{"ListTagsLogGroup", `{"logGroupName":"fz-group"}`},
	{"UntagLogGroup", `{"logGroupName":"fz-group","tags":["a"]}`},
	{"DeleteLogStream", `{"logGroupName":"fz-group","logStreamName":"fz-del"}`},
	{"DeleteLogGroup", `{"logGroupName":"fz-del"}`},
}

var logsFixture struct {
	once sync.Once
	vars *strings.Replacer
	err  error
}

// logsVars makes, once per process, the groups and streams the seeds act
// on (in the fuzzers' region) and returns the replacer of their placeholders.
func logsVars(t testing.TB) *strings.Replacer {
	t.Helper()
	logsFixture.once.Do(func() {
		ctx := context.Background()
		m := testServer.models
		acct := m.Bootstrap.AccountID
		for _, gs := range [][2]string{{"fz-group", "fz-stream"}, {"fz-group", "fz-del"}, {"fz-del", "s"}} {
			if err := m.Logs.EnsureLogStream(ctx, acct, fuzzRegion, gs[0], gs[1]); err != nil {
				logsFixture.err = err
				return
			}
		}
		logsFixture.vars = strings.NewReplacer("$NOW", fmt.Sprint(time.Now().UnixMilli()), "$LOG_GROUP_ARN", cwlogs.GroupARN(fuzzRegion, acct, "fz-group"))
	})
	if logsFixture.err != nil {
		t.Fatalf("logs fuzz fixture: %v", logsFixture.err)
	}
	return logsFixture.vars
}

// logsCall builds a CloudWatch Logs request: operation op (or, past the
// list, no X-Amz-Target at all) with a fuzzed body.
func logsCall(vars *strings.Replacer, op uint8, body []byte, mode uint8) *fuzzCall {
	target := ""
	if int(op) < len(logsOps) {
		target = logsTarget + logsOps[op].name
	}
	return &fuzzCall{service: "logs", wire: wireJSON11, method: "POST", mode: mode, body: []byte(vars.Replace(string(body))), unmarked: target == "",
		url:    &url.URL{Scheme: "https", Host: fuzzHost, Path: "/"},
		header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amz-Target": {target}}}
}

func FuzzLogs(f *testing.F) {
	for i, o := range logsOps {
		f.Add(uint8(i), []byte(o.body), uint8(modeSigned))
	}
	f.Add(uint8(len(logsOps)), []byte(`{}`), uint8(modeSigned))
	f.Add(uint8(7), []byte(`{"logGroupName":"fz-group","logStreamName":"fz-stream","nextToken":"f/00000000000000000000000000000000000000000000000000000000"}`), uint8(modeSigned))
	f.Add(uint8(8), []byte(`{"logGroupName":"fz-group","filterPattern":"[a, ..., b = 4* && b != 403]","nextToken":"AQEAAAA"}`), uint8(modeSigned))
	f.Add(uint8(6), []byte(`{"logGroupName":"fz-group","logStreamName":"fz-stream","logEvents":[{"timestamp":99999999999999999999,"message":"x"}]}`), uint8(modeSigned))
	f.Add(uint8(1), []byte(`{}`), uint8(modeUnsigned))
	f.Fuzz(func(t *testing.T, op uint8, body []byte, mode uint8) {
		logsCall(logsVars(t), op, body, mode).check(t)
	})
}

func TestLogsFuzzSeedsSucceed(t *testing.T) {
	vars := logsVars(t)
	for i, o := range logsOps {
		if rec := logsCall(vars, uint8(i), []byte(o.body), modeSigned).check(t); rec.Code != http.StatusOK {
			t.Errorf("%s seed: %d %s", o.name, rec.Code, rec.Body)
		}
	}
}
