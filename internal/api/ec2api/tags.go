package ec2api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

func (h *Handler) deleteTags(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	ids := listParam(c, "ResourceId")
	if len(ids) == 0 {
		return nil, awserr.Errorf(ec2.CodeMissingParameter, "The request must contain the parameter resourceIdSet")
	}
	tags := untagParams(c)
	for k := range tags {
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "Tag keys starting with 'aws:' are reserved for internal use")
		}
	}
	if err := h.EC2.UntagResources(r.Context(), ids, tags); err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Bool("return", true)}, nil
}

// untagParams reads DeleteTags' Tag.N.Key and Tag.N.Value: a key given
// with a value (even an empty one) goes only where it has that value, a
// key alone (nil) whatever its value.
func untagParams(c *awsproto.Call) map[string]*string {
	out := map[string]*string{}
	for i := 1; ; i++ {
		k, ok := c.Form[fmt.Sprintf("Tag.%d.Key", i)]
		if !ok {
			return out
		}
		if v, has := c.Form[fmt.Sprintf("Tag.%d.Value", i)]; has {
			value := v[0]
			out[k[0]] = &value
		} else {
			out[k[0]] = nil
		}
	}
}
