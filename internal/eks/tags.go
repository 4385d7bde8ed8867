package eks

import (
	"context"
	"errors"
	"maps"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// EKS's limits on the tagging operations.
const (
	maxTags       = 50
	maxTagKeyLen  = 128
	maxTagValLen  = 256
	maxUntagCount = 50
)

// taggedResource is the record an EKS ARN names.
type taggedResource struct {
	kind string // "cluster", "nodegroup", "addon", "fargateprofile", "access-entry", "podidentityassociation" or "identityproviderconfig"
	key  string
	arn  string
	tags map[string]string // as read
}

// eksResourceTypes are the resource types in EKS ARNs; keks has clusters,
// node groups, add-ons, Fargate profiles, access entries, pod identity
// associations and identity provider configs, and finds none of the others.
var eksResourceTypes = []string{"cluster", "nodegroup", "addon", "fargateprofile", "identityproviderconfig", "access-entry", "podidentityassociation", "capability"}

// resolveARN finds the resource an ARN names in the caller's region.
// An ARN that is not an EKS resource's is a bad request; an EKS ARN of
// nothing keks has is not found.
func (s *Service) resolveARN(ctx context.Context, region, arn string) (*taggedResource, error) {
	f := strings.SplitN(arn, ":", 6)
	if len(f) != 6 || f[0] != "arn" || f[1] == "" || f[2] != "eks" || f[3] == "" || f[4] == "" {
		return nil, awserr.Errorf(CodeBadRequest, "Invalid ARN: %s. The ARN must name an EKS resource", arn)
	}
	typ, rest, _ := strings.Cut(f[5], "/")
	known := false
	for _, t := range eksResourceTypes {
		known = known || t == typ
	}
	if !known || rest == "" {
		return nil, awserr.Errorf(CodeBadRequest, "Invalid ARN: %s. The ARN must name an EKS resource", arn)
	}
	notFound := awserr.Errorf(CodeNotFound, "Resource not found: %s", arn)
	if f[3] != region {
		return nil, notFound
	}
	parts := strings.Split(rest, "/")
	var res *taggedResource
	switch {
	case typ == "cluster" && len(parts) == 1:
		c, err := s.GetCluster(ctx, region, parts[0])
		if err != nil || c.ARN != arn {
			return nil, notFound
		}
		res = &taggedResource{kind: typ, key: clusterKey(region, c.Name), arn: c.ARN, tags: c.Spec.Tags}
	case typ == "nodegroup" && len(parts) == 3:
		ng, err := s.GetNodegroup(ctx, region, parts[0], parts[1])
		if err != nil || ng.ARN != arn {
			return nil, notFound
		}
		res = &taggedResource{kind: typ, key: nodegroupKey(ng.ClusterUID, ng.Name), arn: ng.ARN, tags: ng.Tags}
	case typ == "addon" && len(parts) == 3:
		a, err := s.GetAddon(ctx, region, parts[0], parts[1])
		if err != nil || a.ARN != arn {
			return nil, notFound
		}
		res = &taggedResource{kind: typ, key: addonKey(a.ClusterUID, a.Name), arn: a.ARN, tags: a.Tags}
	case typ == "fargateprofile" && len(parts) == 3:
		fp, err := s.fargateProfileByARN(ctx, region, parts[0], parts[1], arn)
		if err != nil {
			return nil, err
		}
		if fp == nil {
			return nil, notFound
		}
		res = &taggedResource{kind: typ, key: FargateProfileKey(fp.ClusterUID, fp.Name), arn: fp.ARN, tags: fp.Tags}
	case typ == "access-entry" && len(parts) == 5:
		e, err := s.accessEntryByARN(ctx, region, parts[0], arn)
		if err != nil {
			return nil, err
		}
		if e == nil {
			return nil, notFound
		}
		res = &taggedResource{kind: typ, key: accessEntryKey(e.ClusterUID, e.PrincipalARN), arn: e.ARN, tags: e.Tags}
	case typ == "podidentityassociation" && len(parts) == 2:
		a, key, err := s.podIdentityByARN(ctx, region, parts[0], parts[1], arn)
		if err != nil {
			return nil, err
		}
		if a == nil {
			return nil, notFound
		}
		res = &taggedResource{kind: typ, key: key, arn: a.AssociationARN, tags: a.Tags}
	case typ == "identityproviderconfig" && len(parts) == 4:
		// …/<cluster>/oidc/<name>/<uuid>: the config is its cluster's.
		c, err := s.identityProviderConfigByARN(ctx, region, parts[0], arn)
		if err != nil {
			return nil, err
		}
		if c == nil {
			return nil, notFound
		}
		res = &taggedResource{kind: typ, key: clusterKey(region, c.Name), arn: arn, tags: c.Spec.OIDCIdentityProvider.Tags}
	default:
		return nil, notFound
	}
	return res, nil
}

// changeTags rewrites a resource's tags with fn inside a compare-and-swap
// of its record, so that concurrent tag changes all land.
func (s *Service) changeTags(ctx context.Context, res *taggedResource, fn func(map[string]string) (map[string]string, error)) error {
	var err error
	switch res.kind {
	case "cluster":
		_, err = store.Mutate(ctx, s.Store, res.key, func(c *Cluster) error { return applyTags(&c.Spec.Tags, fn) })
	case "nodegroup":
		_, err = store.Mutate(ctx, s.Store, res.key, func(n *Nodegroup) error { return applyTags(&n.Tags, fn) })
	case "addon":
		_, err = store.Mutate(ctx, s.Store, res.key, func(a *Addon) error { return applyTags(&a.Tags, fn) })
	case "fargateprofile":
		_, err = store.Mutate(ctx, s.Store, res.key, func(fp *FargateProfile) error {
			if fp.ARN != res.arn {
				return store.ErrNotFound // deleted and made again since: another profile
			}
			return applyTags(&fp.Tags, fn)
		})
	case "access-entry":
		_, err = store.Mutate(ctx, s.Store, res.key, func(e *AccessEntry) error {
			if e.ARN != res.arn {
				return store.ErrNotFound // deleted and made again since: another entry
			}
			return applyTags(&e.Tags, fn)
		})
	case "podidentityassociation":
		_, err = store.Mutate(ctx, s.Store, res.key, func(a *PodIdentityAssociation) error {
			if a.AssociationARN != res.arn {
				return store.ErrNotFound // deleted and made again since: another association
			}
			return applyTags(&a.Tags, fn)
		})
	case "identityproviderconfig":
		// A config's tags change without a new cluster generation: the API
		// servers do not use them.
		_, err = store.Mutate(ctx, s.Store, res.key, func(c *Cluster) error {
			idp := c.Spec.OIDCIdentityProvider
			if idp == nil || idp.ARN != res.arn {
				return store.ErrNotFound // disassociated (and perhaps associated again) since
			}
			next := *idp
			if err := applyTags(&next.Tags, fn); err != nil {
				return err
			}
			c.Spec.OIDCIdentityProvider = &next
			return nil
		})
	}
	if errors.Is(err, store.ErrNotFound) {
		return awserr.Errorf(CodeNotFound, "Resource not found: %s", res.arn)
	}
	return err
}

func applyTags(tags *map[string]string, fn func(map[string]string) (map[string]string, error)) error {
	next, err := fn(maps.Clone(*tags))
	if err != nil {
		return err
	}
	if len(next) == 0 {
		next = nil
	}
	*tags = next
	return nil
}

// ListTags returns the tags of the resource an ARN names.
func (s *Service) ListTags(ctx context.Context, region, arn string) (map[string]string, error) {
	res, err := s.resolveARN(ctx, region, arn)
	if err != nil {
		return nil, err
	}
	return res.tags, nil
}

// TagResource merges tags into a resource an EKS ARN names.
func (s *Service) TagResource(ctx context.Context, region, arn string, tags map[string]string) error {
	res, err := s.resolveARN(ctx, region, arn)
	if err != nil {
		return err
	}
	if len(tags) == 0 {
		return awserr.Errorf(CodeBadRequest, "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if err := checkTagSyntax(tags); err != nil {
		return err
	}
	return s.changeTags(ctx, res, func(have map[string]string) (map[string]string, error) {
		if have == nil {
			have = map[string]string{}
		}
		maps.Copy(have, tags)
		if len(have) > maxTags {
			return nil, awserr.Errorf(CodeBadRequest, "The resource %s would have %d tags; a resource can have at most %d", arn, len(have), maxTags)
		}
		return have, nil
	})
}

// UntagResource removes tag keys from a resource an EKS ARN names.
func (s *Service) UntagResource(ctx context.Context, region, arn string, keys []string) error {
	res, err := s.resolveARN(ctx, region, arn)
	if err != nil {
		return err
	}
	if len(keys) == 0 || len(keys) > maxUntagCount {
		return awserr.Errorf(CodeBadRequest, "1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must have length between 1 and %d", maxUntagCount)
	}
	return s.changeTags(ctx, res, func(have map[string]string) (map[string]string, error) {
		for _, k := range keys {
			delete(have, k)
		}
		return have, nil
	})
}

// checkTagSyntax applies EKS's rules for each tag of a TagResource call.
func checkTagSyntax(tags map[string]string) error {
	if len(tags) > maxTags {
		return awserr.Errorf(CodeBadRequest, "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to %d", maxTags)
	}
	for k, v := range tags {
		switch {
		case len(k) < 1 || len(k) > maxTagKeyLen:
			return awserr.Errorf(CodeBadRequest, "Tag key '%s' must be between 1 and %d characters", k, maxTagKeyLen)
		case len(v) > maxTagValLen:
			return awserr.Errorf(CodeBadRequest, "Tag value for key '%s' must be at most %d characters", k, maxTagValLen)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return awserr.Errorf(CodeBadRequest, "Tag keys must not begin with 'aws:', which is reserved for AWS use")
		}
	}
	return nil
}
