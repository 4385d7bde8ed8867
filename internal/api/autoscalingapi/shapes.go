package autoscalingapi

import (
	"strings"

	"github.com/keksdev/keks/internal/autoscaling"
	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
)

// The shapes of Auto Scaling's answers (botocore's autoscaling 2011-01-01
// model), for the groups EKS makes for its node groups.

func awsErr(code, format string, args ...any) error { return awserr.Errorf(code, format, args...) }

func members(name string, values []string) awsproto.Node {
	var items []awsproto.Node
	for _, v := range values {
		items = append(items, awsproto.Tx("", v))
	}
	return awsproto.List(name, "member", items)
}

func launchTemplateNode(g *autoscaling.Group) awsproto.Node {
	return awsproto.El("LaunchTemplateSpecification", awsproto.Tx("LaunchTemplateId", g.LaunchTemplateID),
		awsproto.Tx("LaunchTemplateName", g.LaunchTemplateName), awsproto.Tx("Version", "1"))
}

// groupNode is an AutoScalingGroup as EKS makes it for a node group: a
// MixedInstancesPolicy naming EKS's launch template (version 1) with the
// node group's instance types as overrides (cluster-autoscaler takes the
// first for a group scaled to zero), no top-level LaunchTemplate, EC2
// health checks, the default termination policy.
func groupNode(g *autoscaling.Group, withInstances bool) awsproto.Node {
	var overrides []awsproto.Node
	for _, t := range g.InstanceTypes {
		overrides = append(overrides, awsproto.El("", awsproto.Tx("InstanceType", t)))
	}
	onDemandPct, spot := 100, "lowest-price"
	if g.Nodegroup.CapacityType == "SPOT" {
		onDemandPct, spot = 0, "capacity-optimized"
	}
	mixed := awsproto.El("MixedInstancesPolicy",
		awsproto.El("LaunchTemplate", launchTemplateNode(g), awsproto.List("Overrides", "member", overrides)),
		awsproto.El("InstancesDistribution", awsproto.Tx("OnDemandAllocationStrategy", "prioritized"), awsproto.Int("OnDemandBaseCapacity", 0),
			awsproto.Int("OnDemandPercentageAboveBaseCapacity", onDemandPct), awsproto.Tx("SpotAllocationStrategy", spot)))
	n := awsproto.El("", awsproto.Tx("AutoScalingGroupName", g.Name), awsproto.Tx("AutoScalingGroupARN", g.ARN), mixed,
		awsproto.Int("MinSize", g.Min), awsproto.Int("MaxSize", g.Max), awsproto.Int("DesiredCapacity", g.Desired),
		awsproto.Int("DefaultCooldown", 300), members("AvailabilityZones", g.Zones), awsproto.El("LoadBalancerNames"),
		awsproto.El("TargetGroupARNs"), awsproto.Tx("HealthCheckType", "EC2"), awsproto.Int("HealthCheckGracePeriod", 15))
	if withInstances {
		var ins []awsproto.Node
		for _, in := range g.Instances {
			ins = append(ins, awsproto.El("", awsproto.Tx("InstanceId", in.ID), awsproto.Tx("InstanceType", in.Type),
				awsproto.Tx("AvailabilityZone", in.Zone), awsproto.Tx("LifecycleState", in.Lifecycle), awsproto.Tx("HealthStatus", in.Health),
				named(launchTemplateNode(g), "LaunchTemplate"), awsproto.Bool("ProtectedFromScaleIn", false)))
		}
		n.Kids = append(n.Kids, awsproto.List("Instances", "member", ins))
	}
	n.Kids = append(n.Kids, awsproto.Time("CreatedTime", g.Created), awsproto.El("SuspendedProcesses"),
		awsproto.Tx("VPCZoneIdentifier", strings.Join(g.Subnets, ",")), awsproto.El("EnabledMetrics"))
	if g.Status != "" {
		n.Kids = append(n.Kids, awsproto.Tx("Status", g.Status))
	}
	var tags []awsproto.Node
	for _, t := range g.Tags {
		tags = append(tags, tagNode(t))
	}
	n.Kids = append(n.Kids, awsproto.List("Tags", "member", tags),
		members("TerminationPolicies", []string{"AllocationStrategy", "OldestLaunchTemplate", "OldestInstance"}),
		awsproto.Bool("NewInstancesProtectedFromScaleIn", false), awsproto.Tx("ServiceLinkedRoleARN", g.ServiceLinkedRoleARN),
		awsproto.Bool("CapacityRebalance", g.Nodegroup.CapacityType == "SPOT"))
	return n
}

// named is n under another element name (the same shape appears as
// LaunchTemplateSpecification and as an instance's LaunchTemplate).
func named(n awsproto.Node, name string) awsproto.Node {
	n.Name = name
	return n
}

func tagNode(t autoscaling.Tag) awsproto.Node {
	return awsproto.El("", awsproto.Tx("ResourceId", t.Group), awsproto.Tx("ResourceType", autoscaling.ResourceTypeGroup),
		awsproto.Tx("Key", t.Key), awsproto.Tx("Value", t.Value), awsproto.Bool("PropagateAtLaunch", t.Propagate))
}

func autoScalingInstanceNode(gi autoscaling.GroupInstance) awsproto.Node {
	in := gi.Instance
	// DescribeAutoScalingInstances spells health in capitals.
	return awsproto.El("", awsproto.Tx("InstanceId", in.ID), awsproto.Tx("InstanceType", in.Type),
		awsproto.Tx("AutoScalingGroupName", gi.Group.Name), awsproto.Tx("AvailabilityZone", in.Zone),
		awsproto.Tx("LifecycleState", in.Lifecycle), awsproto.Tx("HealthStatus", "HEALTHY"),
		named(launchTemplateNode(gi.Group), "LaunchTemplate"), awsproto.Bool("ProtectedFromScaleIn", false))
}

func activityNode(name string, a *autoscaling.Activity) awsproto.Node {
	n := awsproto.El(name, awsproto.Tx("ActivityId", a.ID), awsproto.Tx("AutoScalingGroupName", a.Group),
		awsproto.Tx("Description", a.Description), awsproto.Tx("Cause", a.Cause), awsproto.Time("StartTime", a.Start))
	if !a.End.IsZero() {
		n.Kids = append(n.Kids, awsproto.Time("EndTime", a.End))
	}
	n.Kids = append(n.Kids, awsproto.Tx("StatusCode", a.Status))
	if a.Message != "" {
		n.Kids = append(n.Kids, awsproto.Tx("StatusMessage", a.Message))
	}
	n.Kids = append(n.Kids, awsproto.Int("Progress", a.Progress))
	if a.Details != "" {
		n.Kids = append(n.Kids, awsproto.Tx("Details", a.Details))
	}
	return n
}
