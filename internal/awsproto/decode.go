package awsproto

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
)

// DecodeJSON reads an AWS JSON 1.1 request body into v; an empty body is an
// empty request. A body that is not JSON of the request's shape (a string
// for a number, a blob that is not base64, a number too large for a long)
// is a SerializationException, as AWS's JSON services answer it.
func DecodeJSON(body []byte, v any) error {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return awserr.Errorf("SerializationException", "The request body cannot be read: %v", err)
	}
	return nil
}

// Decoded adapts a JSON operation that takes its request in its own shape
// to one that takes the request's body, which it decodes first: the
// operation tables of the JSON 1.1 services (KMS, CloudWatch Logs, SSM)
// are made of these.
func Decoded[H, S, T any](serve func(h H, ctx context.Context, sc S, in *T) (any, error)) func(h H, ctx context.Context, sc S, body []byte) (any, error) {
	return func(h H, ctx context.Context, sc S, body []byte) (any, error) {
		in := new(T)
		if err := DecodeJSON(body, in); err != nil {
			return nil, err
		}
		return serve(h, ctx, sc, in)
	}
}

// TargetOperation is the operation an AWS JSON 1.1 request names in its
// X-Amz-Target header after the service's prefix; ok is false for a
// request that is not one of that service's (another method, another
// target).
func TargetOperation(r *http.Request, prefix string) (op string, ok bool) {
	op, ok = strings.CutPrefix(r.Header.Get("X-Amz-Target"), prefix)
	return op, ok && r.Method == http.MethodPost
}
