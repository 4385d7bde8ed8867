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

// TagResources merges tags into VPCs, subnets, security groups and
// instances: into all of them or, if one is missing, into none.
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
					awserr.Errorf(CodeInvalidVpcNotFound, "The vpc ID '%s' does not exist", id), tags)
			case strings.HasPrefix(id, "subnet-"):
				err = tagRecord(ctx, s, t, subnetKey(id), func(v *Subnet) *map[string]string { return &v.Tags },
					awserr.Errorf(CodeInvalidSubnetNotFound, "The subnet ID '%s' does not exist", id), tags)
			case strings.HasPrefix(id, "sg-"):
				err = tagRecord(ctx, s, t, sgKey(id), func(v *SecurityGroup) *map[string]string { return &v.Tags },
					awserr.Errorf(CodeInvalidGroupNotFound, "The security group '%s' does not exist", id), tags)
			case strings.HasPrefix(id, "i-"):
				err = tagRecord(ctx, s, t, instanceKey(id), func(v *Instance) *map[string]string { return &v.Tags },
					awserr.Errorf(CodeInvalidInstanceNotFound, "The instance ID '%s' does not exist", id), tags)
			default:
				err = awserr.Errorf(CodeInvalidID, "The ID '%s' is not valid", id)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// tagRecord adds to t the merge of tags into the record at key.
func tagRecord[T any](ctx context.Context, s *Service, t *store.Txn, key string, tagsOf func(*T) *map[string]string, notFound error, tags map[string]string) error {
	var v T
	rev, err := s.Store.Get(ctx, key, &v)
	if errors.Is(err, store.ErrNotFound) {
		return notFound
	} else if err != nil {
		return err
	}
	have := tagsOf(&v)
	merged := maps.Clone(*have)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, tags)
	if len(merged) > maxTagsPerResource {
		return awserr.Errorf(CodeTagLimitExceeded, "The maximum number of Tags for a resource has been reached.")
	}
	*have = merged
	t.Unchanged(key, rev)
	t.Put(key, &v)
	return nil
}
