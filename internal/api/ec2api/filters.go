package ec2api

import (
	"fmt"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// maxFilterValues is EC2's limit on filter values in one call.
const maxFilterValues = 200

type filter struct {
	name   string
	values []string
}

// filters reads Filter.N.Name and Filter.N.Value.M and refuses names the
// action does not know, as EC2 does; tagged says whether tag:<key>,
// tag-key and tag-value apply to the action's resources.
func filters(c *awsproto.Call, action string, tagged bool) ([]filter, error) {
	var out []filter
	values := 0
	for i := 1; ; i++ {
		n, ok := c.Form[fmt.Sprintf("Filter.%d.Name", i)]
		if !ok {
			return out, nil
		}
		name := n[0]
		known := slices.Contains(filterNames[action], name) ||
			(tagged && (name == "tag-key" || name == "tag-value" || (strings.HasPrefix(name, "tag:") && len(name) > len("tag:"))))
		if !known {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "The filter '%s' is invalid", name)
		}
		f := filter{name, listParam(c, fmt.Sprintf("Filter.%d.Value", i))}
		if values += len(f.values); values > maxFilterValues {
			return nil, awserr.Errorf(ec2.CodeFilterLimitExceeded, "The maximum number of filter values specified on a single call is %d", maxFilterValues)
		}
		out = append(out, f)
	}
}

// matches applies filters to a resource described by its filterable fields:
// every filter must match, each by any of its values.
func matches(fs []filter, fields map[string]string, tags map[string]string) bool {
	multi := make(map[string][]string, len(fields))
	for k, v := range fields {
		multi[k] = []string{v}
	}
	return matchesEach(fs, multi, tags)
}

// matchesEach is matches for resources whose fields may have several
// values (a volume's attachments): a filter matches when any value does.
func matchesEach(fs []filter, fields map[string][]string, tags map[string]string) bool {
	for _, f := range fs {
		var have []string
		switch {
		case strings.HasPrefix(f.name, "tag:"):
			if v, ok := tags[f.name[len("tag:"):]]; ok {
				have = []string{v}
			}
		case f.name == "tag-key":
			for k := range tags {
				have = append(have, k)
			}
		case f.name == "tag-value":
			for _, v := range tags {
				have = append(have, v)
			}
		default:
			have = fields[f.name]
		}
		if !slices.ContainsFunc(have, func(h string) bool {
			return slices.ContainsFunc(f.values, func(w string) bool { return wildcard(w, h) })
		}) {
			return false
		}
	}
	return true
}
