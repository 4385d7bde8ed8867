package policy

import "strings"

// Request is what a policy is evaluated against.
//
// A Request caches what it has read from ResourceTags, so it must not be
// evaluated from several goroutines at once, nor reused for another
// resource: build a new one instead.
type Request struct {
	Principal Principal
	// Action is "service:Operation"; it matches case-insensitively.
	Action string
	// Resource is an ARN, or "*" for actions that take none.
	Resource string
	// Context holds the condition keys of the request and their values.
	// Key names match case-insensitively. A key here overrides the value
	// derived from Principal.
	Context map[string][]string
	// ResourceTags returns the tags of Resource, for aws:ResourceTag/<key>
	// and <service>:ResourceTag/<key>. It is called only when a condition
	// or variable asks, and at most once per Request. Nil means none.
	ResourceTags func() map[string]string

	resourceTags       map[string]string
	resourceTagsLoaded bool
}

// values is what a condition key holds in a request: either one value
// (derived keys and tags, kept without allocating a slice) or a list.
type values struct {
	list   []string
	one    string
	single bool
}

func (v values) len() int {
	if v.single {
		return 1
	}
	return len(v.list)
}

func (v values) at(i int) string {
	if v.single {
		return v.one
	}
	return v.list[i]
}

func one(s string) (values, bool) { return values{one: s, single: true}, true }

// lookup finds a condition key's values: from Context first, then the
// resource's tags, then what the principal implies. key is the name as
// the policy wrote it, lower its lower-cased form.
func (r *Request) lookup(key, lower string) (values, bool) {
	if vs, ok := r.contextValues(key); ok {
		return values{list: vs}, true
	}
	if isResourceTagKey(lower) {
		return r.resourceTag(afterSlash(key))
	}
	return r.principalKey(key, lower)
}

// variable returns the single value of a key, for a policy variable.
func (r *Request) variable(lower string) (string, bool) {
	if lower == "" {
		return "", false
	}
	v, ok := r.lookup(lower, lower)
	if !ok || v.len() != 1 {
		return "", false
	}
	return v.at(0), true
}

// contextValues looks key up in Context, first as written (callers use
// the canonical spelling, so this nearly always hits), then ignoring case.
func (r *Request) contextValues(key string) ([]string, bool) {
	if r.Context == nil {
		return nil, false
	}
	if vs, ok := r.Context[key]; ok {
		return vs, true
	}
	for k, vs := range r.Context {
		if strings.EqualFold(k, key) {
			return vs, true
		}
	}
	return nil, false
}

// isResourceTagKey tells whether a lower-cased condition key is
// aws:ResourceTag/<key> or <service>:ResourceTag/<key>.
func isResourceTagKey(lower string) bool {
	const marker = ":resourcetag/"
	i := strings.Index(lower, marker)
	return i > 0 && strings.IndexByte(lower[:i], ':') < 0
}

// afterSlash returns the tag key of a condition key such as
// aws:PrincipalTag/<key>: what follows the first '/'. (The tag key is cut
// from the key as written, since lower-casing may change byte lengths.)
func afterSlash(key string) string {
	return key[strings.IndexByte(key, '/')+1:]
}

func (r *Request) resourceTag(key string) (values, bool) {
	if !r.resourceTagsLoaded {
		r.resourceTagsLoaded = true
		if r.ResourceTags != nil {
			r.resourceTags = r.ResourceTags()
		}
	}
	return tagValue(r.resourceTags, key)
}

// tagValue finds a tag by key; tag keys in condition keys match
// case-insensitively, as all condition key names do.
func tagValue(tags map[string]string, key string) (values, bool) {
	if tags == nil {
		return values{}, false
	}
	if v, ok := tags[key]; ok {
		return one(v)
	}
	for k, v := range tags {
		if strings.EqualFold(k, key) {
			return one(v)
		}
	}
	return values{}, false
}
