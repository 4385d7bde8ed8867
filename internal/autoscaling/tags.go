package autoscaling

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/store"
)

// ResourceTypeGroup is the only resource type Auto Scaling tags.
const ResourceTypeGroup = "auto-scaling-group"

// maxTagsPerGroup is Auto Scaling's (and EKS's) limit on a resource's tags.
const maxTagsPerGroup = 50

// TagChange is one tag of CreateOrUpdateTags or DeleteTags.
type TagChange struct {
	Group, ResourceType, Key, Value string
}

// Tags lists a region's group tags (DescribeTags) sorted by group then
// key; keep filters them.
func (s *Service) Tags(ctx context.Context, region string, keep func(Tag) bool) ([]Tag, error) {
	ngs, err := s.nodegroups(ctx, region)
	if err != nil {
		return nil, err
	}
	var out []Tag
	for i := range ngs {
		for _, t := range tagsOf(&ngs[i]) {
			if keep == nil || keep(t) {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// PageTags cuts a page of Tags' list.
func PageTags(all []Tag, maxRecords int, token string) ([]Tag, string, error) {
	return page(all, maxRecords, token, func(t Tag) string { return t.Group + "\x00" + t.Key }, ascending)
}

// CreateOrUpdateTags sets tags on groups. A group's tags are its node
// group's (which EKS's TagResource sets too, and which the group's
// instances get at launch); the tags EKS puts on the group itself
// (eks:cluster-name, k8s.io/cluster-autoscaler/...) cannot be changed.
// Every group's change is written in one transaction.
func (s *Service) CreateOrUpdateTags(ctx context.Context, region string, tags []TagChange) error {
	return s.changeTags(ctx, region, tags, func(ng *eks.Nodegroup, have map[string]string, t TagChange) error {
		if isReserved(ng, t.Key) {
			if tagValue(ng, t.Key) == t.Value {
				return nil
			}
			return invalid("Tag %s is set by EKS on the Auto Scaling group of node group %s and cannot be changed", t.Key, ng.Name)
		}
		have[t.Key] = t.Value
		return nil
	})
}

// DeleteTags removes tags from groups; EKS's own cannot be removed.
func (s *Service) DeleteTags(ctx context.Context, region string, tags []TagChange) error {
	return s.changeTags(ctx, region, tags, func(ng *eks.Nodegroup, have map[string]string, t TagChange) error {
		if isReserved(ng, t.Key) {
			return invalid("Tag %s is set by EKS on the Auto Scaling group of node group %s and cannot be deleted", t.Key, ng.Name)
		}
		delete(have, t.Key)
		return nil
	})
}

func tagValue(ng *eks.Nodegroup, key string) string {
	for _, t := range reservedTags(ng) {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}

func checkTag(t TagChange) error {
	switch {
	case t.ResourceType != ResourceTypeGroup:
		return invalid("1 validation error detected: Value '%s' at 'tags.member.resourceType' failed to satisfy constraint: the resource type must be %s", t.ResourceType, ResourceTypeGroup)
	case t.Group == "":
		return invalid("1 validation error detected: Value null at 'tags.member.resourceId' failed to satisfy constraint: Member must not be null")
	case len(t.Key) < 1 || len(t.Key) > 128:
		return invalid("1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128", t.Key)
	case len(t.Value) > 256:
		return invalid("1 validation error detected: Value at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256")
	case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
		return invalid("Tag keys starting with 'aws:' are reserved for internal use")
	}
	return nil
}

func (s *Service) changeTags(ctx context.Context, region string, tags []TagChange, apply func(*eks.Nodegroup, map[string]string, TagChange) error) error {
	if len(tags) == 0 {
		return invalid("1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null")
	}
	var groups []string
	for _, t := range tags {
		if err := checkTag(t); err != nil {
			return err
		}
		if !slices.Contains(groups, t.Group) {
			groups = append(groups, t.Group)
		}
	}
	ngs := map[string]*eks.Nodegroup{}
	for _, g := range groups {
		ng, err := s.nodegroupOf(ctx, region, g)
		if err != nil {
			return err
		}
		ngs[g] = ng
	}
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		for _, g := range groups {
			key := nodegroupKey(ngs[g])
			var cur eks.Nodegroup
			rev, err := s.Store.Get(ctx, key, &cur)
			if errors.Is(err, store.ErrNotFound) || (err == nil && cur.ASGName != g) {
				return groupNotFound(g)
			} else if err != nil {
				return fmt.Errorf("read node group %s: %w", ngs[g].Name, err)
			}
			have := map[string]string{}
			for k, v := range cur.Tags {
				have[k] = v
			}
			for _, tc := range tags {
				if tc.Group == g {
					if err := apply(&cur, have, tc); err != nil {
						return err
					}
				}
			}
			if len(have) > maxTagsPerGroup {
				return invalid("The number of tags for %s would be %d; a group can have at most %d", g, len(have), maxTagsPerGroup)
			}
			if len(have) == 0 {
				have = nil
			}
			// Tags change without a new generation, as EKS's TagResource changes them.
			cur.Tags = have
			t.Unchanged(key, rev)
			t.Put(key, &cur)
		}
		return nil
	})
}
