package ec2api

import (
	"encoding/base64"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// EC2's bounds on MaxResults of the Describe actions keks pages.
const (
	minPage = 5
	maxPage = 1000
)

// pager is a Describe call's MaxResults (0: everything) and where its
// NextToken resumes.
type pager struct {
	max   int
	after string
}

// pageParams reads MaxResults and NextToken. idsParam names the list of
// ids that, for actions where EC2 says so, cannot be paged.
func pageParams(c *awsproto.Call, idsParam, idsWire string) (pager, error) {
	return readPage(c, idsParam, idsWire, maxPage, false)
}

// pageParamsUpTo reads MaxResults and NextToken of the Describe actions
// that answer at most limit items a page, however many are asked for
// (DescribeVolumes: 500, DescribeSnapshots: 1000).
func pageParamsUpTo(c *awsproto.Call, idsParam, idsWire string, limit int) (pager, error) {
	return readPage(c, idsParam, idsWire, limit, true)
}

func readPage(c *awsproto.Call, idsParam, idsWire string, limit int, clamp bool) (pager, error) {
	max, set, err := intParam(c, "MaxResults")
	if err != nil {
		return pager{}, err
	}
	if set {
		if idsParam != "" && len(listParam(c, idsParam)) > 0 {
			return pager{}, awserr.Errorf(ec2.CodeInvalidParameterCombo, "The parameter %s cannot be used with the parameter maxResults", idsWire)
		}
		if max < minPage {
			return pager{}, awserr.Errorf(ec2.CodeInvalidParameterValue, "Value ( %d ) for parameter maxResults is invalid. Expecting a value greater than %d.", max, minPage)
		}
		if max > limit && clamp {
			max = limit
		}
		if max > limit {
			return pager{}, awserr.Errorf(ec2.CodeInvalidParameterValue, "Value ( %d ) for parameter maxResults is invalid. Expecting a value less than %d.", max, limit)
		}
	}
	p := pager{max: max}
	if tok := c.Form.Get("NextToken"); tok != "" {
		after, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || !strings.HasPrefix(string(after), "k:") {
			return pager{}, awserr.Errorf(ec2.CodeInvalidParameterValue, "Value ( %s ) for parameter NextToken is invalid. The token is invalid.", tok)
		}
		p.after = string(after[2:])
	}
	return p, nil
}

// page returns the items after the token, at most max of them in id order,
// and the token of the next page.
func page[T any](items []T, id func(T) string, p pager) ([]T, string) {
	slices.SortFunc(items, func(a, b T) int { return strings.Compare(id(a), id(b)) })
	start := 0
	if p.after != "" {
		start, _ = slices.BinarySearchFunc(items, p.after, func(t T, after string) int {
			if id(t) <= after {
				return -1
			}
			return 1
		})
	}
	items = items[start:]
	if p.max == 0 || len(items) <= p.max {
		return items, ""
	}
	return items[:p.max], base64.RawURLEncoding.EncodeToString([]byte("k:" + id(items[p.max-1])))
}

// nextToken is the answer's nextToken element, if there is a next page.
func nextToken(tok string) []awsproto.Node {
	if tok == "" {
		return nil
	}
	return []awsproto.Node{awsproto.Tx("nextToken", tok)}
}
