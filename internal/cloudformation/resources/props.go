package resources

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"

	"github.com/aws/smithy-go"

	"github.com/keksdev/keks/internal/cloudformation/resource"
)

// Readers of resolved properties (JSON values). CloudFormation accepts a
// number or a boolean where a string is meant and the other way round, so
// these convert as it does.

func str(m map[string]any, key string) string {
	switch v := m[key].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// strp is a string property, nil when absent.
func strp(m map[string]any, key string) *string {
	if _, ok := m[key]; !ok {
		return nil
	}
	s := str(m, key)
	return &s
}

func strs(m map[string]any, key string) []string {
	switch v := m[key].(type) {
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			out = append(out, str(map[string]any{"x": x}, "x"))
		}
		return out
	case string:
		return []string{v}
	}
	return nil
}

func obj(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

func objs(m map[string]any, key string) []map[string]any {
	l, _ := m[key].([]any)
	var out []map[string]any
	for _, x := range l {
		if o, ok := x.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

func int32p(m map[string]any, key string) (*int32, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return nil, nil
	}
	var n float64
	switch x := v.(type) {
	case float64:
		n = x
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return nil, fmt.Errorf("Value of property %s must be of type Integer", key)
		}
		n = f
	default:
		return nil, fmt.Errorf("Value of property %s must be of type Integer", key)
	}
	i := int32(n)
	return &i, nil
}

func boolp(m map[string]any, key string) *bool {
	switch v := m[key].(type) {
	case bool:
		return &v
	case string:
		b := v == "true"
		return &b
	}
	return nil
}

// document is a policy document property: an object (written as JSON) or
// a string.
func document(m map[string]any, key string) string {
	switch v := m[key].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// tagMap reads Tags as either a list of {Key, Value} or a map.
func tagMap(m map[string]any) map[string]string {
	out := map[string]string{}
	switch v := m["Tags"].(type) {
	case []any:
		for _, t := range v {
			if o, ok := t.(map[string]any); ok {
				out[str(o, "Key")] = str(o, "Value")
			}
		}
	case map[string]any:
		for k := range v {
			out[k] = str(v, k)
		}
	}
	return out
}

func stringMap(m map[string]any, key string) map[string]string {
	o := obj(m, key)
	if o == nil {
		return nil
	}
	out := map[string]string{}
	for k := range o {
		out[k] = str(o, k)
	}
	return out
}

// changed says whether any of keys differs between two property sets.
func changed(a, b map[string]any, keys ...string) bool {
	for _, k := range keys {
		if !reflect.DeepEqual(a[k], b[k]) {
			return true
		}
	}
	return false
}

// changedExcept says whether any property but those named differs.
func changedExcept(a, b map[string]any, keys ...string) bool {
	all := map[string]bool{}
	for k := range a {
		all[k] = true
	}
	for k := range b {
		all[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(all)) {
		if !slices.Contains(keys, k) && !reflect.DeepEqual(a[k], b[k]) {
			return true
		}
	}
	return false
}

// isCode says whether err is an AWS API error with one of codes.
func isCode(err error, codes ...string) bool {
	var api smithy.APIError
	return errors.As(err, &api) && slices.Contains(codes, api.ErrorCode())
}

// diff lists what is in want and not in have, and in have and not in want.
func diff(want, have []string) (add, remove []string) {
	for _, w := range want {
		if !slices.Contains(have, w) {
			add = append(add, w)
		}
	}
	for _, h := range have {
		if !slices.Contains(want, h) {
			remove = append(remove, h)
		}
	}
	return add, remove
}

func tagDiff(want, have map[string]string) (set map[string]string, remove []string) {
	set = map[string]string{}
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			set[k] = v
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			remove = append(remove, k)
		}
	}
	return set, remove
}

// finished is a Result for an operation that is over.
func finished(id string, attrs map[string]any) (resource.Result, error) {
	return resource.Result{PhysicalID: id, Attributes: attrs, Done: true}, nil
}
