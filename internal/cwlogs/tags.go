package cwlogs

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/keksdev/keks/internal/awserr"
)

// CloudWatch Logs' limits and patterns on tags.
const (
	maxTags       = 50
	maxTagKey     = 128
	maxTagValue   = 256
	tagKeyPattern = `^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$`
	tagValPattern = `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`
)

var (
	tagKeyRE   = regexp.MustCompile(tagKeyPattern)
	tagValueRE = regexp.MustCompile(tagValPattern)
)

// checkTags holds a request's tags to CloudWatch's rules.
func checkTags(tags map[string]string) error {
	if len(tags) < 1 {
		return validationf("{}", "tags", "Member must have length greater than or equal to 1")
	}
	if len(tags) > maxTags {
		return validationf(fmt.Sprint(tags), "tags", fmt.Sprintf("Member must have length less than or equal to %d", maxTags))
	}
	for k, v := range tags {
		if err := checkTagKey(k); err != nil {
			return err
		}
		if utf8.RuneCountInString(v) > maxTagValue || !tagValueRE.MatchString(v) {
			return validationf(v, "tags", fmt.Sprintf("Map value must satisfy constraint: [Member must have length less than or equal to %d, Member must satisfy regular expression pattern: %s]", maxTagValue, tagValPattern))
		}
	}
	return nil
}

func checkTagKey(k string) error {
	if k == "" || utf8.RuneCountInString(k) > maxTagKey || !tagKeyRE.MatchString(k) {
		return validationf(k, "tags", fmt.Sprintf("Map keys must satisfy constraint: [Member must have length between 1 and %d, Member must satisfy regular expression pattern: %s]", maxTagKey, tagKeyPattern))
	}
	if strings.HasPrefix(strings.ToLower(k), "aws:") {
		return Errorf(CodeInvalidParameter, "Tag keys beginning with 'aws:' are reserved.")
	}
	return nil
}

// TagLogGroup adds tags to a group (or changes their values).
func (s *Service) TagLogGroup(ctx context.Context, account, region, name string, tags map[string]string) error {
	if err := CheckGroupName("logGroupName", name); err != nil {
		return err
	}
	if err := checkTags(tags); err != nil {
		return err
	}
	return s.updateGroup(ctx, account, region, name, func(g *groupRecord) error {
		merged := maps.Clone(g.Tags)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, tags)
		if len(merged) > maxTags {
			return Errorf(CodeTooManyTags, "A resource can have no more than %d tags.", maxTags)
		}
		g.Tags = merged
		return nil
	})
}

// UntagLogGroup removes tags from a group; keys it does not have are no error.
func (s *Service) UntagLogGroup(ctx context.Context, account, region, name string, keys []string) error {
	if err := CheckGroupName("logGroupName", name); err != nil {
		return err
	}
	if len(keys) > maxTags {
		return validationf(fmt.Sprint(keys), "tagKeys", fmt.Sprintf("Member must have length less than or equal to %d", maxTags))
	}
	for _, k := range keys {
		if k == "" || utf8.RuneCountInString(k) > maxTagKey || !tagKeyRE.MatchString(k) {
			return validationf(k, "tagKeys", "Member must satisfy constraint: [Member must satisfy regular expression pattern: "+tagKeyPattern+"]")
		}
	}
	return s.updateGroup(ctx, account, region, name, func(g *groupRecord) error {
		for _, k := range keys {
			delete(g.Tags, k)
		}
		if len(g.Tags) == 0 {
			g.Tags = nil
		}
		return nil
	})
}

// ListTags are a group's tags.
func (s *Service) ListTags(ctx context.Context, account, region, name string) (map[string]string, error) {
	if err := CheckGroupName("logGroupName", name); err != nil {
		return nil, err
	}
	g, _, err := s.getGroup(ctx, account, region, name)
	if err != nil {
		return nil, err
	}
	return g.Tags, nil
}

// GroupTags are a group's tags, for aws:ResourceTag; nil when it does not exist.
func (s *Service) GroupTags(ctx context.Context, account, region, name string) map[string]string {
	if CheckGroupName("logGroupName", name) != nil {
		return nil
	}
	g, _, err := s.getGroup(ctx, account, region, name)
	if err != nil {
		return nil
	}
	return g.Tags
}

// GroupOfARN is the name of the log group a tagging call's resourceArn
// names in the caller's account and region.
func GroupOfARN(account, region, arn string) (string, error) {
	if arn == "" {
		return "", Missing("resourceArn")
	}
	if len(arn) > 1011 || !identifierRE.MatchString(arn) {
		return "", validationf(arn, "resourceArn", `Member must satisfy regular expression pattern: [\w+=/:,.@-]*`)
	}
	arnRegion, arnAccount, name, ok := ParseGroupARN(arn)
	if !ok {
		if strings.HasPrefix(arn, "arn:") && strings.Contains(arn, ":logs:") {
			return "", Errorf(CodeResourceNotFound, "The specified resource does not exist.")
		}
		return "", Errorf(CodeInvalidParameter, "Invalid resourceArn: %s", awserr.Echo(arn))
	}
	if arnRegion != region || arnAccount != account {
		return "", errNoGroup
	}
	return name, CheckGroupName("resourceArn", name)
}
