package kms

import (
	"context"
	"maps"
	"slices"
	"strings"
)

// Tag is one of a key's tags.
type Tag struct {
	Key   string
	Value string
}

// maxTagsPerKey is KMS's quota of tags on one key.
const maxTagsPerKey = 50

// checkTagKey applies TagKeyType and the reserved aws: prefix.
func checkTagKey(field, k string) error {
	if k == "" {
		return validationf("Value at '%s' failed to satisfy constraint: Member must have length greater than or equal to 1", field)
	}
	if err := lengthAtMost(field, k, maxTagKey); err != nil {
		return err
	}
	if strings.HasPrefix(strings.ToLower(k), "aws:") {
		return Errorf(CodeTag, "Tag keys beginning with aws: are reserved for AWS use")
	}
	return nil
}

// tagMap checks a request's tags and makes them a map (nil for none).
func tagMap(tags []Tag) (map[string]string, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		if err := checkTagKey("tags.member.tagKey", t.Key); err != nil {
			return nil, err
		}
		if err := lengthAtMost("tags.member.tagValue", t.Value, maxTagValue); err != nil {
			return nil, err
		}
		if _, dup := out[t.Key]; dup {
			return nil, Errorf(CodeTag, "Duplicate tag key %s", t.Key)
		}
		out[t.Key] = t.Value
	}
	if len(out) > maxTagsPerKey {
		return nil, Errorf(CodeLimitExceeded, "A KMS key can have at most %d tags", maxTagsPerKey)
	}
	return out, nil
}

// TagResource adds or replaces tags of a key.
func (s *Service) TagResource(ctx context.Context, sc Scope, keyID string, tags []Tag) error {
	if tags == nil {
		return validationf("Value null at 'tags' failed to satisfy constraint: Member must not be null")
	}
	add, err := tagMap(tags)
	if err != nil {
		return err
	}
	_, err = s.mutateKey(ctx, sc, keyID, func(k *Key) error {
		if err := k.notPendingDeletion(); err != nil {
			return err
		}
		merged := maps.Clone(k.Tags)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, add)
		if len(merged) > maxTagsPerKey {
			return Errorf(CodeLimitExceeded, "A KMS key can have at most %d tags", maxTagsPerKey)
		}
		if len(merged) > 0 {
			k.Tags = merged
		}
		return nil
	})
	return err
}

// UntagResource removes tags of a key; keys it does not have are no error.
func (s *Service) UntagResource(ctx context.Context, sc Scope, keyID string, tagKeys []string) error {
	if tagKeys == nil {
		return validationf("Value null at 'tagKeys' failed to satisfy constraint: Member must not be null")
	}
	for _, k := range tagKeys {
		if k == "" {
			return validationf("Value at 'tagKeys.member' failed to satisfy constraint: Member must have length greater than or equal to 1")
		}
		if err := lengthAtMost("tagKeys.member", k, maxTagKey); err != nil {
			return err
		}
	}
	_, err := s.mutateKey(ctx, sc, keyID, func(k *Key) error {
		if err := k.notPendingDeletion(); err != nil {
			return err
		}
		for _, tk := range tagKeys {
			delete(k.Tags, tk)
		}
		if len(k.Tags) == 0 {
			k.Tags = nil
		}
		return nil
	})
	return err
}

// ListResourceTags lists a key's tags by tag key, a page at a time.
func (s *Service) ListResourceTags(ctx context.Context, sc Scope, keyID string, pg Page) ([]Tag, string, error) {
	p, err := newPager(pg, 50, 50)
	if err != nil {
		return nil, "", err
	}
	k, err := s.keyByID(ctx, sc, keyID)
	if err != nil {
		return nil, "", err
	}
	names := slices.Sorted(maps.Keys(k.Tags))
	page, next := p.take(len(names), func(i int) string { return names[i] })
	out := make([]Tag, 0, page.end-page.start)
	for _, n := range names[page.start:page.end] {
		out = append(out, Tag{Key: n, Value: k.Tags[n]})
	}
	return out, next, nil
}
