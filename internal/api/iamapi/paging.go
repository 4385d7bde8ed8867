package iamapi

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
)

// IAM's bounds on MaxItems; without it a list returns 100 items.
const (
	defaultMaxItems = 100
	maxMaxItems     = 1000
)

// pager is a List call's MaxItems and where its Marker resumes.
type pager struct {
	max   int
	after string
}

func pageParams(c *awsproto.Call) (pager, error) {
	p := pager{max: defaultMaxItems}
	if v := c.Form.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxMaxItems {
			return pager{}, awserr.Errorf(iam.CodeValidation, "1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and %d", v, maxMaxItems)
		}
		p.max = n
	}
	if m := c.Form.Get("Marker"); m != "" {
		after, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil || !strings.HasPrefix(string(after), "k:") {
			return pager{}, awserr.Errorf(iam.CodeValidation, "Invalid Marker.")
		}
		p.after = string(after[2:])
	}
	return p, nil
}

// page returns one page of items in key order, with IsTruncated and, when
// there is more, the Marker of the next page.
func page[T any](items []T, key func(T) string, p pager) ([]T, []awsproto.Node) {
	slices.SortFunc(items, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	start := 0
	if p.after != "" {
		start, _ = slices.BinarySearchFunc(items, p.after, func(t T, after string) int {
			if key(t) <= after {
				return -1
			}
			return 1
		})
	}
	items = items[start:]
	if len(items) <= p.max {
		return items, []awsproto.Node{awsproto.Bool("IsTruncated", false)}
	}
	marker := base64.RawURLEncoding.EncodeToString([]byte("k:" + key(items[p.max-1])))
	return items[:p.max], []awsproto.Node{awsproto.Bool("IsTruncated", true), awsproto.Tx("Marker", marker)}
}

// pathPrefix reads PathPrefix, "/" when absent.
func pathPrefix(c *awsproto.Call) (string, error) {
	p := c.Form.Get("PathPrefix")
	if p == "" {
		return "/", nil
	}
	if len(p) > 512 || p[0] != '/' || strings.ContainsFunc(p, func(r rune) bool { return r < 0x21 || r > 0x7f }) {
		return "", awserr.Errorf(iam.CodeValidation, "1 validation error detected: Value '%s' at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*", p)
	}
	return p, nil
}

// pathPageParams reads what every list by path takes: paging and PathPrefix.
func pathPageParams(c *awsproto.Call) (pager, string, error) {
	pg, err := pageParams(c)
	if err != nil {
		return pager{}, "", err
	}
	prefix, err := pathPrefix(c)
	return pg, prefix, err
}
