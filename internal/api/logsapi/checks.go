package logsapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/cwlogs"
)

// checks describes a CloudWatch Logs call for the front door's
// authorizer, as the Service Authorization Reference lists each action:
// logs:<Operation> on the log group (CreateLogGroup, DeleteLogGroup,
// DescribeLogStreams, FilterLogEvents, retention, the older tagging
// calls) or on the log stream (CreateLogStream, DeleteLogStream,
// PutLogEvents, GetLogEvents), with the group's tags for aws:ResourceTag
// and a request's tags for aws:RequestTag and aws:TagKeys.
//
// The ARNs are those CloudWatch authorizes, which its AccessDenied
// messages show: a stream is arn:aws:logs:<region>:<account>:log-group:
// <group>:log-stream:<stream>; a group, for the calls that predate the
// tagging API, is the same with an empty stream ("…:log-group:<group>:
// log-stream:"), so that the policies AWS documents ("…:log-group:<group>:*",
// the form DescribeLogGroups' arn member has) grant them; DescribeLogGroups
// names no group ("…:log-group::log-stream:"). TagResource, UntagResource
// and ListTagsForResource act on the group's plain ARN
// ("…:log-group:<group>"), as their documentation says.
func (h *Handler) checks(r *http.Request, c *awsproto.Call) []awsproto.Check {
	op, ok := awsproto.TargetOperation(r, targetPrefix)
	describe, known := operationChecks[op]
	if !ok || !known {
		return nil // not an operation keks serves: the handler says so
	}
	var req checkedRequest
	if json.Unmarshal(c.Body, &req) != nil {
		// A body that does not decode names nothing: its resources are "*".
		req = checkedRequest{}
	}
	return describe(&logsCall{h: h, c: c, req: req})
}

// checkedRequest is what authorization reads of a request.
type checkedRequest struct {
	LogGroupName       string          `json:"logGroupName"`
	LogGroupIdentifier string          `json:"logGroupIdentifier"`
	LogStreamName      string          `json:"logStreamName"`
	ResourceArn        string          `json:"resourceArn"`
	Tags               json.RawMessage `json:"tags"` // a map, or UntagLogGroup's list of keys
	TagKeys            []string        `json:"tagKeys"`
}

// operationChecks describes each operation keks serves.
var operationChecks = map[string]func(*logsCall) []awsproto.Check{
	"CreateLogGroup":        (*logsCall).createLogGroup,
	"DeleteLogGroup":        onGroup("logs:DeleteLogGroup"),
	"DescribeLogGroups":     (*logsCall).describeLogGroups,
	"PutRetentionPolicy":    onGroup("logs:PutRetentionPolicy"),
	"DeleteRetentionPolicy": onGroup("logs:DeleteRetentionPolicy"),
	"CreateLogStream":       onStream("logs:CreateLogStream"),
	"DeleteLogStream":       onStream("logs:DeleteLogStream"),
	"DescribeLogStreams":    onGroup("logs:DescribeLogStreams"),
	"PutLogEvents":          onStream("logs:PutLogEvents"),
	"GetLogEvents":          onStream("logs:GetLogEvents"),
	"FilterLogEvents":       onGroup("logs:FilterLogEvents"),
	"TagResource":           (*logsCall).tagResource,
	"UntagResource":         (*logsCall).untagResource,
	"ListTagsForResource":   (*logsCall).listTagsForResource,
	"TagLogGroup":           (*logsCall).tagLogGroup,
	"UntagLogGroup":         (*logsCall).untagLogGroup,
	"ListTagsLogGroup":      onGroup("logs:ListTagsLogGroup"),
}

// logsCall is one CloudWatch Logs request being described.
type logsCall struct {
	h   *Handler
	c   *awsproto.Call
	req checkedRequest
}

// groupAt is where a request's log group is: its region, account and
// name (a logGroupIdentifier ARN may name another region's or account's,
// which is then the resource the call acts on). ok is false when the
// request names no valid group.
func (l *logsCall) groupAt() (region, account, name string, ok bool) {
	region, account, name = l.c.Region, l.c.Principal.Account, l.req.LogGroupName
	if name == "" && strings.HasPrefix(l.req.LogGroupIdentifier, "arn:") {
		region, account, name, ok = cwlogs.ParseGroupARN(l.req.LogGroupIdentifier)
		if !ok {
			return "", "", "", false
		}
	} else if name == "" {
		name = l.req.LogGroupIdentifier
	}
	return region, account, name, cwlogs.CheckGroupName("logGroupName", name) == nil
}

// groupTags fetch a group's tags for aws:ResourceTag, when it is one of
// the caller's (in its account and the signed region).
func (l *logsCall) groupTags(region, account, name string) func(context.Context) map[string]string {
	h, c := l.h, l.c
	return func(ctx context.Context) map[string]string {
		if h.Logs == nil || region != c.Region || account != c.Principal.Account {
			return nil
		}
		return h.Logs.GroupTags(ctx, account, region, name)
	}
}

func logsARN(region, account, rest string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:%s", region, account, rest)
}

// onGroup is an action on the request's log group, as the calls that
// predate the tagging API are authorized.
func onGroup(action string) func(*logsCall) []awsproto.Check {
	return func(l *logsCall) []awsproto.Check {
		region, account, name, ok := l.groupAt()
		if !ok {
			return []awsproto.Check{{Action: action, Resource: "*"}}
		}
		return []awsproto.Check{{Action: action, Resource: logsARN(region, account, "log-group:"+name+":log-stream:"),
			ResourceTags: l.groupTags(region, account, name)}}
	}
}

// onStream is an action on the request's log stream.
func onStream(action string) func(*logsCall) []awsproto.Check {
	return func(l *logsCall) []awsproto.Check {
		region, account, name, ok := l.groupAt()
		if !ok || cwlogs.CheckStreamName("logStreamName", l.req.LogStreamName) != nil {
			return []awsproto.Check{{Action: action, Resource: "*"}}
		}
		return []awsproto.Check{{Action: action, Resource: logsARN(region, account, "log-group:"+name+":log-stream:"+l.req.LogStreamName),
			ResourceTags: l.groupTags(region, account, name)}}
	}
}

func (l *logsCall) createLogGroup() []awsproto.Check {
	ch := onGroup("logs:CreateLogGroup")(l)
	ch[0].ResourceTags = nil // a group being made has none yet
	ch[0].Context = awsproto.TagContext(l.tagMap())
	return ch
}

// describeLogGroups names no group: CloudWatch documents that it takes no
// aws:ResourceTag.
func (l *logsCall) describeLogGroups() []awsproto.Check {
	return []awsproto.Check{{Action: "logs:DescribeLogGroups", Resource: logsARN(l.c.Region, l.c.Principal.Account, "log-group::log-stream:")}}
}

// onTaggedGroup is a tagging API action on the group its resourceArn
// names, by the group's plain ARN.
func (l *logsCall) onTaggedGroup(action string) awsproto.Check {
	region, account, name, ok := cwlogs.ParseGroupARN(l.req.ResourceArn)
	if !ok || cwlogs.CheckGroupName("resourceArn", name) != nil {
		return awsproto.Check{Action: action, Resource: "*"}
	}
	return awsproto.Check{Action: action, Resource: cwlogs.GroupARN(region, account, name), ResourceTags: l.groupTags(region, account, name)}
}

func (l *logsCall) tagResource() []awsproto.Check {
	ch := l.onTaggedGroup("logs:TagResource")
	ch.Context = awsproto.TagContext(l.tagMap())
	return []awsproto.Check{ch}
}

func (l *logsCall) untagResource() []awsproto.Check {
	ch := l.onTaggedGroup("logs:UntagResource")
	ch.Context = tagKeysContext(l.req.TagKeys)
	return []awsproto.Check{ch}
}

func (l *logsCall) listTagsForResource() []awsproto.Check {
	return []awsproto.Check{l.onTaggedGroup("logs:ListTagsForResource")}
}

func (l *logsCall) tagLogGroup() []awsproto.Check {
	ch := onGroup("logs:TagLogGroup")(l)
	ch[0].Context = awsproto.TagContext(l.tagMap())
	return ch
}

func (l *logsCall) untagLogGroup() []awsproto.Check {
	ch := onGroup("logs:UntagLogGroup")(l)
	var keys []string
	_ = json.Unmarshal(l.req.Tags, &keys)
	ch[0].Context = tagKeysContext(keys)
	return ch
}

// tagMap is the request's tags, when they are a map.
func (l *logsCall) tagMap() map[string]string {
	var tags map[string]string
	_ = json.Unmarshal(l.req.Tags, &tags)
	return tags
}

// tagKeysContext is aws:TagKeys of a request that removes tags.
func tagKeysContext(keys []string) map[string][]string {
	if len(keys) == 0 {
		return nil
	}
	return map[string][]string{"aws:TagKeys": slices.Sorted(slices.Values(keys))}
}
