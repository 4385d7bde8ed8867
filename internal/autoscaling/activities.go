package autoscaling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/store"
)

// Activity statuses, as Auto Scaling names them.
const (
	ActivityInProgress = "InProgress"
	ActivitySuccessful = "Successful"
	ActivityFailed     = "Failed"
)

// maxActivities is the history kept per group: the oldest go as new ones
// come (Auto Scaling keeps six weeks; a count bounds the store instead).
const maxActivities = 100

// ActivityPrefix is where scaling activities live in the store.
const ActivityPrefix = "autoscaling/activities/"

// Activity is a scaling activity of a group.
type Activity struct {
	ID          string    `json:"id"`
	Group       string    `json:"group"`
	Region      string    `json:"region"`
	Description string    `json:"description"`
	Cause       string    `json:"cause"`
	Details     string    `json:"details,omitempty"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end,omitzero"`
	Status      string    `json:"status"`
	Message     string    `json:"message,omitempty"`
	Progress    int       `json:"progress"`
	ARN         string    `json:"groupArn,omitempty"`
}

func groupActivities(region, group string) string { return ActivityPrefix + region + "/" + group + "/" }
func activityKey(a *Activity) string              { return groupActivities(a.Region, a.Group) + a.ID }

// sortKey orders activities newest first (then by id), for pages.
func (a Activity) sortKey() string { return fmt.Sprintf("%020d/%s", a.Start.UnixNano(), a.ID) }

// instanceDetails is an activity's Details for an instance, as Auto Scaling writes them.
func instanceDetails(subnet, zone string) string {
	b, _ := json.Marshal(map[string]string{"Subnet ID": subnet, "Availability Zone": zone})
	return string(b)
}

// addActivity puts a new activity in t and drops the group's oldest beyond
// the history's bound.
func (s *Service) addActivity(ctx context.Context, t *store.Txn, a *Activity) error {
	if a.ID == "" {
		a.ID = uuid.NewString()
	}
	if a.Start.IsZero() {
		a.Start = s.now()
	}
	have, err := store.List[Activity](ctx, s.Store, groupActivities(a.Region, a.Group))
	if err != nil {
		return fmt.Errorf("list activities of %s: %w", a.Group, err)
	}
	sort.Slice(have, func(i, j int) bool { return have[i].sortKey() < have[j].sortKey() })
	for i := 0; i < len(have)-(maxActivities-1); i++ {
		t.Delete(activityKey(&have[i]))
	}
	t.Create(activityKey(a), a)
	return nil
}

// RecordActivity records a finished or failed activity of a group (a
// launch), in its own transaction.
func (s *Service) RecordActivity(ctx context.Context, a Activity) (*Activity, error) {
	if a.Status != ActivityInProgress && a.End.IsZero() {
		a.End = s.now()
	}
	if a.Status == ActivitySuccessful {
		a.Progress = 100
	}
	err := s.Store.Transact(ctx, func(t *store.Txn) error { return s.addActivity(ctx, t, &a) })
	if err != nil {
		return nil, fmt.Errorf("record activity of %s: %w", a.Group, err)
	}
	return &a, nil
}

// FinishActivity marks an activity done: Successful, or Failed with why.
func (s *Service) FinishActivity(ctx context.Context, region, group, id, status, message string) error {
	_, err := store.Mutate(ctx, s.Store, groupActivities(region, group)+id, func(a *Activity) error {
		if a.Status != ActivityInProgress {
			return nil
		}
		a.Status, a.Message, a.End = status, message, s.now()
		if status == ActivitySuccessful {
			a.Progress = 100
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // dropped from the history, or its group forgotten
	}
	return err
}

// Activities lists a region's activities, or a group's, newest first;
// ids, when given, keep only those.
func (s *Service) Activities(ctx context.Context, region, group string, ids []string) ([]Activity, error) {
	prefix := ActivityPrefix + region + "/"
	if group != "" {
		prefix = groupActivities(region, group)
	}
	all, err := store.List[Activity](ctx, s.Store, prefix)
	if err != nil {
		return nil, fmt.Errorf("list activities: %w", err)
	}
	if len(ids) > 0 {
		all = slices.DeleteFunc(all, func(a Activity) bool { return !slices.Contains(ids, a.ID) })
	}
	sort.Slice(all, func(i, j int) bool { return all[i].sortKey() > all[j].sortKey() })
	return all, nil
}

// PageActivities cuts a page of Activities' list.
func PageActivities(all []Activity, maxRecords int, token string) ([]Activity, string, error) {
	return page(all, maxRecords, token, Activity.sortKey, func(key, token string) bool { return key < token })
}

// ForgetGroup removes a deleted group's activities.
func (s *Service) ForgetGroup(ctx context.Context, region, group string) error {
	if err := s.Store.DeletePrefix(ctx, groupActivities(region, group)); err != nil {
		return fmt.Errorf("forget activities of %s: %w", group, err)
	}
	return nil
}

// BeginTermination marks an instance for draining and termination by its
// node group's controller and records the InProgress activity that names
// it, in one transaction; cause says why. An instance already marked keeps
// its mark. It returns the instance as marked.
func (s *Service) BeginTermination(ctx context.Context, instanceID, cause string) (*ec2.Instance, error) {
	var out ec2.Instance
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		rev, err := s.Store.Get(ctx, ec2.InstancePrefix+instanceID, &out)
		if err != nil {
			return fmt.Errorf("read instance %s: %w", instanceID, err)
		}
		if out.Tags[TagDraining] != "" {
			return nil
		}
		if _, err := s.markTerminating(ctx, t, &out, cause); err != nil {
			return err
		}
		t.Unchanged(ec2.InstancePrefix+instanceID, rev)
		t.Put(ec2.InstancePrefix+instanceID, &out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// markTerminating tags in as draining under a new InProgress activity,
// which it adds to t; the caller writes in.
func (s *Service) markTerminating(ctx context.Context, t *store.Txn, in *ec2.Instance, cause string) (*Activity, error) {
	now := s.now()
	a := &Activity{Group: in.Tags[TagGroupName], Region: in.Region, Description: "Terminating EC2 instance: " + in.ID,
		Cause: fmt.Sprintf("At %s %s", now.Format(time.RFC3339), cause), Details: instanceDetails(in.SubnetID, in.Zone),
		Start: now, Status: ActivityInProgress}
	if err := s.addActivity(ctx, t, a); err != nil {
		return nil, err
	}
	tags := make(map[string]string, len(in.Tags)+2)
	for k, v := range in.Tags {
		tags[k] = v
	}
	tags[TagDraining], tags[TagActivity] = now.Format(time.RFC3339), a.ID
	in.Tags = tags
	return a, nil
}

// EndTermination marks the activity of an instance's termination Successful.
func (s *Service) EndTermination(ctx context.Context, in *ec2.Instance) error {
	id := in.Tags[TagActivity]
	if id == "" {
		return nil
	}
	return s.FinishActivity(ctx, in.Region, in.Tags[TagGroupName], id, ActivitySuccessful, "")
}
