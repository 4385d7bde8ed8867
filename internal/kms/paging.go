package kms

import (
	"encoding/base64"
	"sort"
	"strings"
)

// pager cuts a sorted listing into KMS's pages: Limit items at most, and a
// Marker naming the last item given, so that a listing that changes
// between pages neither repeats nor skips what stayed.
type pager struct {
	limit int
	after string // the last name of the previous page; "" for the first
}

// Page is a listing request's Limit and Marker (nil when absent).
type Page struct {
	Limit  *int
	Marker *string
}

// markerPrefix tells keks's markers from anything else a client sends.
const markerPrefix = "keks1:"

func newPager(pg Page, defaultLimit, maxLimit int) (pager, error) {
	if err := between("limit", pg.Limit, 1, maxLimit); err != nil {
		return pager{}, err
	}
	p := pager{limit: defaultLimit}
	if pg.Limit != nil {
		p.limit = *pg.Limit
	}
	if pg.Marker == nil {
		return p, nil
	}
	marker := *pg.Marker
	if marker == "" {
		return pager{}, validationf("Value '' at 'marker' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if err := lengthAtMost("marker", marker, maxMarker); err != nil {
		return pager{}, err
	}
	raw, err := base64.RawURLEncoding.DecodeString(marker)
	after, ok := strings.CutPrefix(string(raw), markerPrefix)
	if err != nil || !ok || after == "" {
		return pager{}, Errorf(CodeInvalidMarker, "The marker %q is not one that keks gave", marker)
	}
	p.after = after
	return p, nil
}

// span is a page's part of a listing: [start, end).
type span struct{ start, end int }

// take finds the page in a listing of n items sorted by name(i), and the
// marker of the next page ("" when this one is the last).
func (p pager) take(n int, name func(i int) string) (span, string) {
	start := 0
	if p.after != "" {
		start = sort.Search(n, func(i int) bool { return name(i) > p.after })
	}
	end := min(start+p.limit, n)
	if end == n {
		return span{start, end}, ""
	}
	return span{start, end}, base64.RawURLEncoding.EncodeToString([]byte(markerPrefix + name(end-1)))
}
