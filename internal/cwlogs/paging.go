package cwlogs

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
)

// pageLimit is a limit member: lo to hi, def when absent.
func pageLimit(limit *int, lo, hi, def int) (int, error) {
	if limit == nil {
		return def, nil
	}
	return *limit, checkLimit("limit", *limit, lo, hi)
}

// describeLimit is a Describe* limit: 1 to 50, 50 when absent.
func describeLimit(limit *int) (int, error) { return pageLimit(limit, 1, 50, 50) }

// Describe* tokens are opaque to clients: the name (and, for streams in
// event-time order, the time) of the last item of the page before.
func makeNameToken(name string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("n/" + name))
}

func nameToken(token string) (string, error) {
	if token == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	name, ok := strings.CutPrefix(string(b), "n/")
	if err != nil || !ok || name == "" {
		return "", errBadToken
	}
	return name, nil
}

func makeTimeToken(t int64, name string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("t/" + strconv.FormatInt(t, 10) + "/" + name))
}

func timeToken(token string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	rest, ok := strings.CutPrefix(string(b), "t/")
	if err != nil || !ok {
		return 0, "", errBadToken
	}
	ts, name, ok := strings.Cut(rest, "/")
	t, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil || name == "" {
		return 0, "", errBadToken
	}
	return t, name, nil
}

func isAWSError(err error) bool {
	var e *awserr.Error
	return errors.As(err, &e)
}
