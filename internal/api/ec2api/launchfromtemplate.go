package ec2api

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// launchTemplateParam is where RunInstances names its template.
const launchTemplateParam = "LaunchTemplate."

// withLaunchTemplate is a RunInstances call with its launch template's
// parameters added where the request gives none (request fields win, a
// parameter at a time); the template's TagSpecifications add to the
// request's. A call that names no template is returned as it is; the
// template is nil then.
func (h *Handler) withLaunchTemplate(ctx context.Context, c *awsproto.Call) (*awsproto.Call, *ec2.LaunchTemplate, error) {
	id, name := templateRef(c, launchTemplateParam)
	if id == "" && name == "" {
		return c, nil, nil
	}
	lt, err := h.EC2.FindLaunchTemplate(ctx, c.Region, id, name)
	if err != nil {
		return nil, nil, err
	}
	v, err := lt.Version(c.Form.Get(launchTemplateParam + "Version"))
	if err != nil {
		return nil, nil, err
	}
	out := *c
	out.Form = mergeLaunchData(c.Form, v.Data)
	return &out, lt, nil
}

// launchTagTypes are the template tags a launch applies: those of the
// resources RunInstances makes.
var launchTagTypes = []string{"instance", "volume", "network-interface"}

// mergeLaunchData is form with data laid under it.
func mergeLaunchData(form url.Values, data map[string]string) url.Values {
	out := url.Values{}
	given := map[string]bool{}
	for k, v := range form {
		if strings.HasPrefix(k, launchTemplateParam) {
			continue
		}
		out[k] = slices.Clone(v)
		given[strings.SplitN(k, ".", 2)[0]] = true
	}
	for k, v := range data {
		group := strings.SplitN(k, ".", 2)[0]
		if group == "TagSpecification" || given[group] {
			continue
		}
		out.Set(k, v)
	}
	// The template's tag specifications come first, so that a tag the
	// request also gives takes the request's value.
	specs := append(tagSpecLists(data, launchTagTypes), tagSpecLists(flatten(form), nil)...)
	for k := range out {
		if strings.HasPrefix(k, "TagSpecification.") {
			delete(out, k)
		}
	}
	for i, s := range specs {
		prefix := fmt.Sprintf("TagSpecification.%d.", i+1)
		for k, v := range s {
			out.Set(prefix+k, v)
		}
	}
	return out
}

func flatten(form url.Values) map[string]string {
	out := make(map[string]string, len(form))
	for k, v := range form {
		out[k] = v[0]
	}
	return out
}

// tagSpecLists splits TagSpecification.N.* into each N's parameters, in N
// order; with types set, only those of these resource types.
func tagSpecLists(data map[string]string, types []string) []map[string]string {
	byN := map[int]map[string]string{}
	for k, v := range data {
		rest, ok := strings.CutPrefix(k, "TagSpecification.")
		if !ok {
			continue
		}
		num, field, ok := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if !ok || err != nil {
			continue
		}
		if byN[n] == nil {
			byN[n] = map[string]string{}
		}
		byN[n][field] = v
	}
	nums := make([]int, 0, len(byN))
	for n := range byN {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	var out []map[string]string
	for _, n := range nums {
		if types == nil || slices.Contains(types, byN[n]["ResourceType"]) {
			out = append(out, byN[n])
		}
	}
	return out
}
