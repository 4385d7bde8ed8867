package awsproto

import (
	"encoding/json"

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
