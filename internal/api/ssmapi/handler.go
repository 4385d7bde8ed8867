// Package ssmapi serves Systems Manager Parameter Store's API (AWS JSON
// 1.1: POST / with X-Amz-Target AmazonSSM.<Operation>, signing name "ssm")
// over the ssm model: the public EKS-optimized AMI parameters, which
// Karpenter, eksctl and CloudFormation read, and an account's own
// parameters. It decodes requests, shapes answers as the 2014-11-06 model
// does, and describes each call for the front door's authorizer
// (checks.go); the rules are the model's.
package ssmapi

import (
	"context"
	"net/http"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ssm"
)

// Handler serves Parameter Store.
type Handler struct {
	SSM *ssm.Service
}

const targetPrefix = "AmazonSSM."

// Service returns the front door's entry for SSM.
func (h *Handler) Service() *awsproto.Service {
	return &awsproto.Service{Name: "ssm", TargetPrefix: targetPrefix, Checks: h.checks, Handle: h.handle}
}

// call is one decoded call: where it acts and who makes it.
type call struct {
	sc   ssm.Scope
	user string // the caller's ARN, as LastModifiedUser shows it
}

// operation serves one decoded operation and returns its answer.
type operation func(h *Handler, ctx context.Context, c call, body []byte) (any, error)

func (h *Handler) handle(w http.ResponseWriter, r *http.Request, c *awsproto.Call) error {
	op, ok := awsproto.TargetOperation(r, targetPrefix)
	if !ok {
		return awserr.Errorf(awserr.CodeUnknownOperation, "keks serves SSM operations as POST with X-Amz-Target %s<Operation>", targetPrefix)
	}
	serve, known := operations[op]
	if !known {
		return awserr.Errorf(awserr.CodeUnknownOperation, "keks serves SSM's Parameter Store operations; not %s", op)
	}
	out, err := serve(h, r.Context(), call{sc: ssm.Scope{Account: c.Principal.Account, Region: c.Region}, user: c.Principal.ARN}, c.Body)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, out)
	return nil
}

// op adapts a typed operation: it decodes the body into the operation's
// request shape first.
func op[T any](serve func(h *Handler, ctx context.Context, c call, in *T) (any, error)) operation {
	return awsproto.Decoded(serve)
}

// operations are the SSM operations keks serves.
var operations = map[string]operation{
	"GetParameter":        op((*Handler).getParameter),
	"GetParameters":       op((*Handler).getParameters),
	"GetParametersByPath": op((*Handler).getParametersByPath),
	"GetParameterHistory": op((*Handler).getParameterHistory),
	"PutParameter":        op((*Handler).putParameter),
	"DeleteParameter":     op((*Handler).deleteParameter),
	"DeleteParameters":    op((*Handler).deleteParameters),
	"DescribeParameters":  op((*Handler).describeParameters),
}

// empty is the answer of operations that return nothing.
type empty struct{}
