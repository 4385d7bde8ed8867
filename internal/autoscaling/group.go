package autoscaling

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/store"
)

// Tags keks's node groups put on their instances, shared with the node
// group controller (internal/nodegroups).
const (
	// TagGroupName names an instance's Auto Scaling group, as EC2 Auto Scaling tags it.
	TagGroupName = "aws:autoscaling:groupName"
	// TagDraining is set when an instance starts being drained for
	// termination (by the controller's own choice or by
	// TerminateInstanceInAutoScalingGroup): the controller drains and
	// terminates exactly the instances that carry it.
	TagDraining = "keks:draining-since"
	// TagActivity names the scaling activity an instance's termination is.
	TagActivity = "keks:scaling-activity"
)

// Lifecycle states and health of a group's instances, as Auto Scaling names them.
const (
	LifecyclePending     = "Pending"
	LifecycleInService   = "InService"
	LifecycleTerminating = "Terminating"
	Healthy              = "Healthy"
)

// StatusDeleting is the Status of a group being deleted, the only one
// DescribeAutoScalingGroups shows.
const StatusDeleting = "Delete in progress"

// Service is the Auto Scaling model.
type Service struct {
	Store *store.Store
	EKS   *eks.Service
	EC2   *ec2.Service
	Now   func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// Group is an Auto Scaling group as its node group makes it.
type Group struct {
	Name, ARN, Region, Account string
	Min, Max, Desired          int
	Zones, Subnets             []string
	InstanceTypes              []string
	// LaunchTemplateID and LaunchTemplateName are the launch template EKS
	// makes for a node group (eks-<uuid>, version 1): the group's
	// MixedInstancesPolicy names it, and its overrides carry the types.
	LaunchTemplateID, LaunchTemplateName string
	Instances                            []Instance
	Tags                                 []Tag
	Created                              time.Time
	Status                               string // "" or StatusDeleting
	ServiceLinkedRoleARN                 string
	Nodegroup                            eks.Nodegroup
}

// Instance is a member of a group.
type Instance struct {
	ID, Type, Zone, Lifecycle, Health string
}

// Tag is a group's tag; Propagate says its instances carry it too.
type Tag struct {
	Key, Value, Group string
	Propagate         bool
}

// groupUUID is the uuid in a node group's Auto Scaling group name
// (eks-<nodegroup>-<uuid>): EKS uses it for the launch template too.
func groupUUID(ng *eks.Nodegroup) string {
	if len(ng.ASGName) > 36 {
		return ng.ASGName[len(ng.ASGName)-36:]
	}
	return ng.ASGName
}

// ARN is a group's ARN.
func ARN(region, account, uuid, name string) string {
	return fmt.Sprintf("arn:aws:autoscaling:%s:%s:autoScalingGroup:%s:autoScalingGroupName/%s", region, account, uuid, name)
}

// nodegroups lists the node groups of a region, each once, by group name.
func (s *Service) nodegroups(ctx context.Context, region string) ([]eks.Nodegroup, error) {
	all, err := s.EKS.Nodegroups(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list node groups: %w", err)
	}
	out := all[:0]
	for _, ng := range all {
		if ng.Region == region && ng.ASGName != "" {
			out = append(out, ng)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ASGName < out[j].ASGName })
	return out, nil
}

// nodegroupOf finds the node group behind a group name.
func (s *Service) nodegroupOf(ctx context.Context, region, name string) (*eks.Nodegroup, error) {
	ngs, err := s.nodegroups(ctx, region)
	if err != nil {
		return nil, err
	}
	for i := range ngs {
		if ngs[i].ASGName == name {
			return &ngs[i], nil
		}
	}
	return nil, groupNotFound(name)
}

// Groups returns the region's groups, by name; names, when given, keep
// only those (a name that names nothing is left out, as Auto Scaling does).
func (s *Service) Groups(ctx context.Context, region string, names []string) ([]Group, error) {
	ngs, err := s.nodegroups(ctx, region)
	if err != nil {
		return nil, err
	}
	instances, err := s.EC2.Instances(ctx, region)
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	zoneOf := map[string]string{}
	var out []Group
	for i := range ngs {
		ng := &ngs[i]
		if len(names) > 0 && !slices.Contains(names, ng.ASGName) {
			continue
		}
		g := view(ng, instances)
		for _, id := range ng.Subnets {
			z, ok := zoneOf[id]
			if !ok {
				if sn, err := s.EC2.GetSubnet(ctx, id); err == nil {
					z = sn.AvailabilityZone
				}
				zoneOf[id] = z
			}
			if z != "" && !slices.Contains(g.Zones, z) {
				g.Zones = append(g.Zones, z)
			}
		}
		slices.Sort(g.Zones)
		out = append(out, g)
	}
	return out, nil
}

// Group returns one group.
func (s *Service) Group(ctx context.Context, region, name string) (*Group, error) {
	gs, err := s.Groups(ctx, region, []string{name})
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return nil, groupNotFound(name)
	}
	return &gs[0], nil
}

// view builds a group from its node group and the region's instances
// (zones aside, which need the subnets).
func view(ng *eks.Nodegroup, instances []ec2.Instance) Group {
	id := groupUUID(ng)
	g := Group{
		Name: ng.ASGName, ARN: ARN(ng.Region, ng.Account, id, ng.ASGName), Region: ng.Region, Account: ng.Account,
		Min: ng.Scaling.Min, Max: ng.Scaling.Max, Desired: ng.Scaling.Desired,
		Subnets: slices.Clone(ng.Subnets), InstanceTypes: slices.Clone(ng.InstanceTypes),
		LaunchTemplateID: launchTemplateID(id), LaunchTemplateName: "eks-" + id,
		Created: ng.CreatedAt, Nodegroup: *ng,
		ServiceLinkedRoleARN: "arn:aws:iam::" + ng.Account + ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
	}
	if ng.DeletionRequested {
		// EKS empties the group before it deletes it.
		g.Status, g.Min, g.Desired = StatusDeleting, 0, 0
	}
	for _, in := range instances {
		if in.Tags[TagGroupName] != ng.ASGName {
			continue
		}
		life := ""
		switch {
		case in.State == ec2.StateShutting, (in.State == ec2.StatePending || in.State == ec2.StateRunning) && in.Tags[TagDraining] != "":
			life = LifecycleTerminating // being drained counts as terminating, as cluster-autoscaler must skip it
		case in.State == ec2.StatePending:
			life = LifecyclePending
		case in.State == ec2.StateRunning:
			life = LifecycleInService
		default:
			continue // terminated: no longer a member
		}
		g.Instances = append(g.Instances, Instance{ID: in.ID, Type: in.InstanceType, Zone: in.Zone, Lifecycle: life, Health: Healthy})
	}
	sort.Slice(g.Instances, func(i, j int) bool { return g.Instances[i].ID < g.Instances[j].ID })
	g.Tags = tagsOf(ng)
	return g
}

// launchTemplateID is a stable lt- id for a node group's launch template.
func launchTemplateID(uuid string) string {
	sum := sha256.Sum256([]byte("launch-template/" + uuid))
	return "lt-" + hex.EncodeToString(sum[:])[:17]
}

// reservedTags are the keys EKS puts on a node group's Auto Scaling group;
// they are not the node group's own tags and cannot be changed through Auto
// Scaling.
func reservedTags(ng *eks.Nodegroup) []Tag {
	return []Tag{
		{Key: "eks:cluster-name", Value: ng.ClusterName, Propagate: true},
		{Key: "eks:nodegroup-name", Value: ng.Name, Propagate: true},
		{Key: "k8s.io/cluster-autoscaler/enabled", Value: "true"},
		{Key: "k8s.io/cluster-autoscaler/" + ng.ClusterName, Value: "owned"},
		{Key: "kubernetes.io/cluster/" + ng.ClusterName, Value: "owned", Propagate: true},
	}
}

func isReserved(ng *eks.Nodegroup, key string) bool {
	return slices.ContainsFunc(reservedTags(ng), func(t Tag) bool { return t.Key == key })
}

// tagsOf is a group's tags sorted by key: the reserved ones and the node
// group's own, which its instances carry (the controller copies them at
// launch).
func tagsOf(ng *eks.Nodegroup) []Tag {
	tags := reservedTags(ng)
	for k, v := range ng.Tags {
		if !isReserved(ng, k) {
			tags = append(tags, Tag{Key: k, Value: v, Propagate: true})
		}
	}
	for i := range tags {
		tags[i].Group = ng.ASGName
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	return tags
}

// MatchesFilter reports whether a group passes one DescribeAutoScalingGroups
// filter: tag:<key> (any of values), tag-key, tag-value.
func (g *Group) MatchesFilter(name string, values []string) bool {
	for _, t := range g.Tags {
		switch {
		case name == "tag-key" && slices.Contains(values, t.Key),
			name == "tag-value" && slices.Contains(values, t.Value),
			strings.HasPrefix(name, "tag:") && t.Key == name[len("tag:"):] && slices.Contains(values, t.Value):
			return true
		}
	}
	return false
}
