package cwlogs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/store"
)

// LogGroup is a log group as the API shows it.
type LogGroup struct {
	Name            string
	ARN             string // logGroupArn, without ":*"
	CreationTime    int64  // milliseconds since the epoch
	RetentionInDays int    // 0: events never expire
	StoredBytes     int64
	KMSKeyID        string
	Class           string
	Tags            map[string]string
}

// Log group classes.
const (
	ClassStandard         = "STANDARD"
	ClassInfrequentAccess = "INFREQUENT_ACCESS"
	ClassDelivery         = "DELIVERY"
)

// retentionDays are the retention periods CloudWatch allows.
var retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

func (s *Service) view(g *groupRecord) LogGroup {
	return LogGroup{Name: g.Name, ARN: GroupARN(g.Region, g.Account, g.Name), CreationTime: g.CreationTime,
		RetentionInDays: g.RetentionInDays, StoredBytes: s.storedBytes(g.ID), KMSKeyID: g.KMSKeyID, Class: g.Class, Tags: g.Tags}
}

// CreateLogGroupInput is CreateLogGroup's request.
type CreateLogGroupInput struct {
	Name     string
	Tags     map[string]string
	KMSKeyID string // kept and shown; keks does not encrypt with it
	Class    string
}

func checkClass(class string) error {
	if class != "" && class != ClassStandard && class != ClassInfrequentAccess && class != ClassDelivery {
		return validationf(class, "logGroupClass", "Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]")
	}
	return nil
}

// CreateLogGroup makes a log group.
func (s *Service) CreateLogGroup(ctx context.Context, account, region string, in CreateLogGroupInput) error {
	if err := CheckGroupName("logGroupName", in.Name); err != nil {
		return err
	}
	if strings.HasPrefix(in.Name, "aws/") {
		return Errorf(CodeInvalidParameter, "Log group names cannot start with 'aws/'.")
	}
	if len(in.KMSKeyID) > 256 {
		return validationf(in.KMSKeyID, "kmsKeyId", "Member must have length less than or equal to 256")
	}
	if err := checkClass(in.Class); err != nil {
		return err
	}
	if in.Tags != nil {
		if err := checkTags(in.Tags); err != nil {
			return err
		}
	}
	g := s.newGroup(account, region, in.Name)
	g.KMSKeyID, g.Tags = in.KMSKeyID, in.Tags
	if in.Class != "" {
		g.Class = in.Class
	}
	err := s.Store.Create(ctx, groupKey(account, region, in.Name), g)
	if errors.Is(err, store.ErrExists) {
		return errGroupExists
	}
	if err != nil {
		return fmt.Errorf("store log group %s: %w", in.Name, err)
	}
	return nil
}

func (s *Service) newGroup(account, region, name string) *groupRecord {
	return &groupRecord{ID: newID(), Account: account, Region: region, Name: name, CreationTime: s.nowMillis(), Class: ClassStandard}
}

// DeleteLogGroup removes a log group, its streams and their events.
func (s *Service) DeleteLogGroup(ctx context.Context, account, region, name string) error {
	if err := CheckGroupName("logGroupName", name); err != nil {
		return err
	}
	var g *groupRecord
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		var rev int64
		var err error
		if g, rev, err = s.getGroup(ctx, account, region, name); err != nil {
			return err
		}
		t.Unchanged(groupKey(account, region, name), rev)
		t.Delete(groupKey(account, region, name))
		return nil
	})
	if err != nil {
		if isAWSError(err) {
			return err
		}
		return fmt.Errorf("delete log group %s: %w", name, err)
	}
	// The streams' records live under the group's id, which no group will
	// have again: they are unreachable now, and a crash before this
	// removal leaves them for Open to clear. One transaction cannot hold
	// them all (a group may have thousands).
	if err := s.Store.DeletePrefix(ctx, streamsKey(g.ID)); err != nil {
		s.log().Warn("remove a deleted log group's streams", "group", name, "err", err)
	}
	s.forgetGroup(g.ID)
	return nil
}

// DescribeLogGroupsInput is DescribeLogGroups' request.
type DescribeLogGroupsInput struct {
	NamePrefix  string
	NamePattern string   // case-sensitive substring
	Identifiers []string // names or ARNs
	Class       string
	Limit       *int // nil: 50
	NextToken   string
}

// DescribeLogGroupsOutput is a page of log groups, in name order.
type DescribeLogGroupsOutput struct {
	Groups    []LogGroup
	NextToken string
	// Brief is set when a name pattern was given: CloudWatch then answers
	// only each group's arn, creationTime and logGroupName.
	Brief bool
}

// DescribeLogGroups lists the caller's log groups in a region.
func (s *Service) DescribeLogGroups(ctx context.Context, account, region string, in DescribeLogGroupsInput) (*DescribeLogGroupsOutput, error) {
	if in.NamePrefix != "" && in.NamePattern != "" {
		return nil, Errorf(CodeInvalidParameter, "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	if in.NamePrefix != "" {
		if err := CheckGroupName("logGroupNamePrefix", in.NamePrefix); err != nil {
			return nil, err
		}
	}
	if len(in.NamePattern) > maxNameLength || (in.NamePattern != "" && !groupNameRE.MatchString(in.NamePattern)) {
		return nil, validationf(in.NamePattern, "logGroupNamePattern", `Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]*`)
	}
	if err := checkClass(in.Class); err != nil {
		return nil, err
	}
	limit, err := describeLimit(in.Limit)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	if in.Identifiers != nil {
		if len(in.Identifiers) < 1 || len(in.Identifiers) > 50 {
			return nil, validationf(fmt.Sprint(in.Identifiers), "logGroupIdentifiers", "Member must have length between 1 and 50")
		}
		for _, id := range in.Identifiers {
			name, err := GroupRef{Identifier: id}.resolve(account, region)
			if err != nil && !errors.Is(err, errNoGroup) {
				return nil, err
			}
			names[name] = true
		}
	}
	after, err := nameToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	all, err := store.List[groupRecord](ctx, s.Store, groupsKey(account, region)+in.NamePrefix)
	if err != nil {
		return nil, fmt.Errorf("list log groups: %w", err)
	}
	out := &DescribeLogGroupsOutput{Brief: in.NamePattern != ""}
	for i := range all {
		g := &all[i]
		switch {
		case after != "" && g.Name <= after,
			in.Identifiers != nil && !names[g.Name],
			in.NamePattern != "" && !strings.Contains(g.Name, in.NamePattern),
			in.Class != "" && g.Class != in.Class:
			continue
		}
		if len(out.Groups) == limit {
			out.NextToken = makeNameToken(out.Groups[limit-1].Name)
			break
		}
		out.Groups = append(out.Groups, s.view(g))
	}
	return out, nil
}

// PutRetentionPolicy sets how many days a group keeps its events.
func (s *Service) PutRetentionPolicy(ctx context.Context, account, region, name string, days int) error {
	if err := CheckGroupName("logGroupName", name); err != nil {
		return err
	}
	if !slices.Contains(retentionDays, days) {
		return validationf(fmt.Sprint(days), "retentionInDays", "Member must satisfy enum value set: "+strings.ReplaceAll(fmt.Sprint(retentionDays), " ", ", "))
	}
	if err := s.updateGroup(ctx, account, region, name, func(g *groupRecord) error { g.RetentionInDays = days; return nil }); err != nil {
		return err
	}
	s.requestSweep()
	return nil
}

// DeleteRetentionPolicy makes a group's events never expire.
func (s *Service) DeleteRetentionPolicy(ctx context.Context, account, region, name string) error {
	if err := CheckGroupName("logGroupName", name); err != nil {
		return err
	}
	return s.updateGroup(ctx, account, region, name, func(g *groupRecord) error { g.RetentionInDays = 0; return nil })
}

// updateGroup changes a group's record.
func (s *Service) updateGroup(ctx context.Context, account, region, name string, change func(*groupRecord) error) error {
	_, err := store.Mutate(ctx, s.Store, groupKey(account, region, name), change)
	if errors.Is(err, store.ErrNotFound) {
		return errNoGroup
	}
	if err != nil && !isAWSError(err) {
		return fmt.Errorf("update log group %s: %w", name, err)
	}
	return err
}

// requestSweep asks Run for a sweep soon (a retention was shortened).
func (s *Service) requestSweep() {
	if s.kick == nil {
		return
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
}
