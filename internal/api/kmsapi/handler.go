// Package kmsapi serves KMS's API (AWS JSON 1.1: POST / with X-Amz-Target
// TrentService.<Operation>, signing name "kms") over the kms model: keys,
// aliases, key policies, tags and the symmetric cryptographic operations.
// It decodes requests, shapes answers as the 2014-11-01 model does, and
// describes each call for the front door's authorizer (checks.go); the
// rules are the model's.
package kmsapi

import (
	"context"
	"net/http"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/kms"
)

// Handler serves KMS.
type Handler struct {
	KMS *kms.Service
}

const targetPrefix = "TrentService."

// Service returns the front door's entry for KMS.
func (h *Handler) Service() *awsproto.Service {
	return &awsproto.Service{Name: "kms", TargetPrefix: targetPrefix, Checks: h.checks, Handle: h.handle}
}

// operation serves one decoded KMS operation and returns its answer.
type operation func(h *Handler, ctx context.Context, sc kms.Scope, body []byte) (any, error)

func (h *Handler) handle(w http.ResponseWriter, r *http.Request, c *awsproto.Call) error {
	op, ok := awsproto.TargetOperation(r, targetPrefix)
	if !ok {
		return awserr.Errorf(awserr.CodeUnknownOperation, "keks serves KMS operations as POST with X-Amz-Target %s<Operation>", targetPrefix)
	}
	serve, known := operations[op]
	if !known {
		return awserr.Errorf(awserr.CodeUnknownOperation, "keks does not serve KMS %s", op)
	}
	out, err := serve(h, r.Context(), scopeOf(c), c.Body)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, out)
	return nil
}

// scopeOf is where a call acts: the caller's account, the signed region.
func scopeOf(c *awsproto.Call) kms.Scope {
	return kms.Scope{Region: c.Region, Account: c.Principal.Account}
}

// op adapts a typed operation: it decodes the body into the operation's
// request shape first.
func op[T any](serve func(h *Handler, ctx context.Context, sc kms.Scope, in *T) (any, error)) operation {
	return awsproto.Decoded(serve)
}

// operations are the KMS operations keks serves.
var operations = map[string]operation{
	"CreateKey":                       op((*Handler).createKey),
	"DescribeKey":                     op((*Handler).describeKey),
	"ListKeys":                        op((*Handler).listKeys),
	"EnableKey":                       op((*Handler).enableKey),
	"DisableKey":                      op((*Handler).disableKey),
	"ScheduleKeyDeletion":             op((*Handler).scheduleKeyDeletion),
	"CancelKeyDeletion":               op((*Handler).cancelKeyDeletion),
	"UpdateKeyDescription":            op((*Handler).updateKeyDescription),
	"GetKeyRotationStatus":            op((*Handler).getKeyRotationStatus),
	"Encrypt":                         op((*Handler).encrypt),
	"Decrypt":                         op((*Handler).decrypt),
	"ReEncrypt":                       op((*Handler).reEncrypt),
	"GenerateDataKey":                 op((*Handler).generateDataKey),
	"GenerateDataKeyWithoutPlaintext": op((*Handler).generateDataKeyWithoutPlaintext),
	"GenerateRandom":                  op((*Handler).generateRandom),
	"CreateAlias":                     op((*Handler).createAlias),
	"DeleteAlias":                     op((*Handler).deleteAlias),
	"UpdateAlias":                     op((*Handler).updateAlias),
	"ListAliases":                     op((*Handler).listAliases),
	"GetKeyPolicy":                    op((*Handler).getKeyPolicy),
	"PutKeyPolicy":                    op((*Handler).putKeyPolicy),
	"ListKeyPolicies":                 op((*Handler).listKeyPolicies),
	"TagResource":                     op((*Handler).tagResource),
	"UntagResource":                   op((*Handler).untagResource),
	"ListResourceTags":                op((*Handler).listResourceTags),
}

// unsupported refuses a KMS feature keks does not have.
func unsupported(what string) error {
	return kms.Errorf(kms.CodeUnsupported, "keks does not support %s", what)
}
