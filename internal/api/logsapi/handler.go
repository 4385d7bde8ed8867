// Package logsapi serves CloudWatch Logs' API (AWS JSON 1.1: POST / with
// X-Amz-Target Logs_20140328.<Operation>, signing name "logs") over the
// cwlogs model: log groups, streams, their events (PutLogEvents,
// GetLogEvents, FilterLogEvents, which `aws logs tail` polls), retention
// and tags. It decodes requests, shapes answers as the 2014-03-28 model
// does, and describes each call for the front door's authorizer
// (checks.go); the rules are the model's.
package logsapi

import (
	"context"
	"net/http"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/cwlogs"
)

// Handler serves CloudWatch Logs.
type Handler struct {
	Logs *cwlogs.Service
}

const targetPrefix = "Logs_20140328."

// Service returns the front door's entry for CloudWatch Logs.
func (h *Handler) Service() *awsproto.Service {
	return &awsproto.Service{Name: "logs", TargetPrefix: targetPrefix, Checks: h.checks, Handle: h.handle}
}

// scope is where a call acts: the caller's account, the signed region.
type scope struct{ account, region string }

// operation serves one decoded operation and returns its answer.
type operation func(h *Handler, ctx context.Context, sc scope, body []byte) (any, error)

func (h *Handler) handle(w http.ResponseWriter, r *http.Request, c *awsproto.Call) error {
	op, ok := awsproto.TargetOperation(r, targetPrefix)
	if !ok {
		return awserr.Errorf(awserr.CodeUnknownOperation, "keks serves CloudWatch Logs operations as POST with X-Amz-Target %s<Operation>", targetPrefix)
	}
	if op == "StartLiveTail" {
		return cwlogs.Errorf(cwlogs.CodeInvalidOperation, "keks does not serve StartLiveTail, an event stream over HTTP/2; "+
			"FilterLogEvents serves the same events, and `aws logs tail --follow` (which polls it) works instead.")
	}
	serve, known := operations[op]
	if !known {
		return awserr.Errorf(awserr.CodeUnknownOperation, "keks does not serve CloudWatch Logs %s", op)
	}
	out, err := serve(h, r.Context(), scope{account: c.Principal.Account, region: c.Region}, c.Body)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, out)
	return nil
}

// op adapts a typed operation: it decodes the body into the operation's
// request shape first.
func op[T any](serve func(h *Handler, ctx context.Context, sc scope, in *T) (any, error)) operation {
	return awsproto.Decoded(serve)
}

// operations are the CloudWatch Logs operations keks serves.
var operations = map[string]operation{
	"CreateLogGroup":        op((*Handler).createLogGroup),
	"DeleteLogGroup":        op((*Handler).deleteLogGroup),
	"DescribeLogGroups":     op((*Handler).describeLogGroups),
	"PutRetentionPolicy":    op((*Handler).putRetentionPolicy),
	"DeleteRetentionPolicy": op((*Handler).deleteRetentionPolicy),
	"CreateLogStream":       op((*Handler).createLogStream),
	"DeleteLogStream":       op((*Handler).deleteLogStream),
	"DescribeLogStreams":    op((*Handler).describeLogStreams),
	"PutLogEvents":          op((*Handler).putLogEvents),
	"GetLogEvents":          op((*Handler).getLogEvents),
	"FilterLogEvents":       op((*Handler).filterLogEvents),
	"TagResource":           op((*Handler).tagResource),
	"UntagResource":         op((*Handler).untagResource),
	"ListTagsForResource":   op((*Handler).listTagsForResource),
	"TagLogGroup":           op((*Handler).tagLogGroup),
	"UntagLogGroup":         op((*Handler).untagLogGroup),
	"ListTagsLogGroup":      op((*Handler).listTagsLogGroup),
}

// empty is the answer of operations that return nothing.
type empty struct{}
