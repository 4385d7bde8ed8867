package ec2

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// EC2's tag limits.
const (
	maxTagsPerResource = 50
	maxTagKey          = 127
	maxTagValue        = 255
)

// ValidateTags applies EC2's rules to tags a user gives (keks's own
// records may carry aws: tags, as AWS's do).
func ValidateTags(tags map[string]string) error {
	if len(tags) > maxTagsPerResource {
		return awserr.Errorf(CodeTagLimitExceeded, "The maximum number of Tags for a resource has been reached.")
	}
	for k, v := range tags {
		switch {
		case k == "":
			return awserr.Errorf(CodeInvalidParameterValue, "Tag keys must be between 1 and %d characters long.", maxTagKey)
		case len([]rune(k)) > maxTagKey:
			return awserr.Errorf(CodeInvalidParameterValue, "Tag key exceeds the maximum length of %d characters", maxTagKey)
		case len([]rune(v)) > maxTagValue:
			return awserr.Errorf(CodeInvalidParameterValue, "Tag value exceeds the maximum length of %d characters", maxTagValue)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return awserr.Errorf(CodeInvalidParameterValue, "Tag keys starting with 'aws:' are reserved for internal use")
		}
	}
	return nil
}

// TagResources merges tags into VPCs, subnets, security groups,
// instances, route tables, internet gateways, volumes and snapshots: into
// all of them or, if one is missing, into none.
func (s *Service) TagResources(ctx context.Context, ids []string, tags map[string]string) error {
	if err := ValidateTags(tags); err != nil {
		return err
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) > store.MaxTxnOps/2 {
		return awserr.Errorf(CodeInvalidParameterValue, "keks tags at most %d resources at once", store.MaxTxnOps/2)
	}
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		for _, id := range ids {
			var err error
			switch {
			case strings.HasPrefix(id, "vpc-"):
				err = tagRecord(ctx, s, t, vpcKey(id), func(v *VPC) *map[string]string { return &v.Tags },
					awserr.Errorf(CodeInvalidVpcNotFound, "The vpc ID '%s' does not exist", id), merge(tags))
			case strings.HasPrefix(id, "subnet-"):
				err = tagRecord(ctx, s, t, subnetKey(id), func(v *Subnet) *map[string]string { return &v.Tags },
					awserr.Errorf(CodeInvalidSubnetNotFound, "The subnet ID '%s' does not exist", id), merge(tags))
			case strings.HasPrefix(id, "sg-"):
				err = tagRecord(ctx, s, t, sgKey(id), func(v *SecurityGroup) *map[string]string { return &v.Tags },
					awserr.Errorf(CodeInvalidGroupNotFound, "The security group '%s' does not exist", id), merge(tags))
			case strings.HasPrefix(id, "i-"):
				err = tagRecord(ctx, s, t, instanceKey(id), func(v *Instance) *map[string]string { return &v.Tags },
					awserr.Errorf(CodeInvalidInstanceNotFound, "The instance ID '%s' does not exist", id), merge(tags))
			case strings.HasPrefix(id, "rtb-"):
				err = tagRecord(ctx, s, t, rtbKey(id), func(v *RouteTable) *map[string]string { return &v.Tags }, rtbNotFound(id), merge(tags))
			case strings.HasPrefix(id, "igw-"):
				err = tagRecord(ctx, s, t, igwKey(id), func(v *InternetGateway) *map[string]string { return &v.Tags }, igwNotFound(id), merge(tags))
			case strings.HasPrefix(id, "nat-"), strings.HasPrefix(id, "eipalloc-"):
				err = s.tagNetworkRecord(ctx, t, id, merge(tags))
			case strings.HasPrefix(id, "lt-"):
				err = s.tagLaunchTemplate(ctx, t, id, merge(tags))
			default:
				err = s.tagEBSRecord(ctx, t, id, merge(tags))
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// UntagResources removes tags from resources, as DeleteTags does: a key
// with a value goes only where it has that value, a key without one
// (nil) whatever its value. From all of them or, if one is missing, none.
func (s *Service) UntagResources(ctx context.Context, ids []string, tags map[string]*string) error {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) > store.MaxTxnOps/2 {
		return awserr.Errorf(CodeInvalidParameterValue, "keks untags at most %d resources at once", store.MaxTxnOps/2)
	}
	drop := func(have map[string]string) (map[string]string, error) {
		out := maps.Clone(have)
		for k, v := range tags {
			if cur, ok := out[k]; ok && (v == nil || *v == cur) {
				delete(out, k)
			}
		}
		if len(tags) == 0 {
			out = nil // DeleteTags without tags removes them all
		}
		return out, nil
	}
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		for _, id := range ids {
			var err error
			switch {
			case strings.HasPrefix(id, "vpc-"):
				err = tagRecord(ctx, s, t, vpcKey(id), func(v *VPC) *map[string]string { return &v.Tags },
					awserr.Errorf(CodeInvalidVpcNotFound, "The vpc ID '%s' does not exist", id), drop)
			case strings.HasPrefix(id, "subnet-"):
				err = tagRecord(ctx, s, t, subnetKey(id), func(v *Subnet) *map[string]string { return &v.Tags },
					awserr.Errorf(CodeInvalidSubnetNotFound, "The subnet ID '%s' does not exist", id), drop)
			case strings.HasPrefix(id, "sg-"):
				err = tagRecord(ctx, s, t, sgKey(id), func(v *SecurityGroup) *map[string]string { return &v.Tags },
					awserr.Errorf(CodeInvalidGroupNotFound, "The security group '%s' does not exist", id), drop)
			case strings.HasPrefix(id, "i-"):
				err = tagRecord(ctx, s, t, instanceKey(id), func(v *Instance) *map[string]string { return &v.Tags },
					awserr.Errorf(CodeInvalidInstanceNotFound, "The instance ID '%s' does not exist", id), drop)
			case strings.HasPrefix(id, "rtb-"):
				err = tagRecord(ctx, s, t, rtbKey(id), func(v *RouteTable) *map[string]string { return &v.Tags }, rtbNotFound(id), drop)
			case strings.HasPrefix(id, "igw-"):
				err = tagRecord(ctx, s, t, igwKey(id), func(v *InternetGateway) *map[string]string { return &v.Tags }, igwNotFound(id), drop)
			case strings.HasPrefix(id, "nat-"), strings.HasPrefix(id, "eipalloc-"):
				err = s.tagNetworkRecord(ctx, t, id, drop)
			case strings.HasPrefix(id, "lt-"):
				err = s.tagLaunchTemplate(ctx, t, id, drop)
			default:
				err = s.tagEBSRecord(ctx, t, id, drop)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// tagEBSRecord retags a volume or snapshot (or a key pair).
func (s *Service) tagEBSRecord(ctx context.Context, t *store.Txn, id string, retag func(map[string]string) (map[string]string, error)) error {
	switch {
	case strings.HasPrefix(id, "vol-"):
		return tagRecord(ctx, s, t, volumeKey(id), func(v *Volume) *map[string]string { return &v.Tags }, volumeNotFound(id), retag)
	case strings.HasPrefix(id, "snap-"):
		return tagRecord(ctx, s, t, snapshotKey(id), func(v *Snapshot) *map[string]string { return &v.Tags }, snapshotNotFound(id), retag)
	case strings.HasPrefix(id, "key-"):
		key, err := s.keyPairRecordByID(ctx, id)
		if err != nil {
			return err
		}
		return tagRecord(ctx, s, t, key, func(v *KeyPair) *map[string]string { return &v.Tags }, keyPairNotFound(id), retag)
	}
	return awserr.Errorf(CodeInvalidID, "The ID '%s' is not valid", id)
}

// merge is the retagging CreateTags does: tags over what a resource has.
func merge(tags map[string]string) func(map[string]string) (map[string]string, error) {
	return func(have map[string]string) (map[string]string, error) {
		merged := maps.Clone(have)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, tags)
		if len(merged) > maxTagsPerResource {
			return nil, awserr.Errorf(CodeTagLimitExceeded, "The maximum number of Tags for a resource has been reached.")
		}
		return merged, nil
	}
}

// tagRecord adds to t the record at key with its tags retagged; a record
// whose tags do not change is not written.
func tagRecord[T any](ctx context.Context, s *Service, t *store.Txn, key string, tagsOf func(*T) *map[string]string, notFound error,
	retag func(map[string]string) (map[string]string, error)) error {
	var v T
	rev, err := s.Store.Get(ctx, key, &v)
	if errors.Is(err, store.ErrNotFound) {
		return notFound
	} else if err != nil {
		return err
	}
	have := tagsOf(&v)
	next, err := retag(*have)
	if err != nil {
		return err
	}
	if len(next) == 0 {
		next = nil
	}
	if maps.Equal(next, *have) {
		t.Unchanged(key, rev)
		return nil
	}
	*have = next
	t.Unchanged(key, rev)
	t.Put(key, &v)
	return nil
}
