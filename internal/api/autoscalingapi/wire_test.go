package autoscalingapi

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsas "github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/keksdev/keks/internal/autoscaling"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
)

// TestClusterAutoscalerDiscoversAndScales is cluster-autoscaler's AWS
// provider's conversation: discovery by tags, paged; the group's fields
// it reads; SetDesiredCapacity; TerminateInstanceInAutoScalingGroup and
// its Activity; DescribeScalingActivities; DescribeLaunchConfigurations.
func TestClusterAutoscalerDiscoversAndScales(t *testing.T) {
	ctx := context.Background()
	c := client()
	ca := unique("ca")
	names := cluster(t, ca, 3)
	cluster(t, unique("other"), 1)
	in, err := front.model.EC2.RunInstance(ctx, ec2.Instance{SubnetID: front.subnets[0].ID, InstanceType: "m5.large",
		Tags: map[string]string{autoscaling.TagGroupName: names[0]}})
	if err != nil {
		t.Fatal(err)
	}
	var found []types.AutoScalingGroup
	p := awsas.NewDescribeAutoScalingGroupsPaginator(c, &awsas.DescribeAutoScalingGroupsInput{MaxRecords: aws.Int32(2), Filters: []types.Filter{
		{Name: aws.String("tag-key"), Values: []string{"k8s.io/cluster-autoscaler/enabled", "k8s.io/cluster-autoscaler/" + ca}},
		{Name: aws.String("tag:k8s.io/cluster-autoscaler/" + ca), Values: []string{"owned"}},
	}})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		found = append(found, out.AutoScalingGroups...)
	}
	if len(found) != 3 || pages != 2 {
		t.Fatalf("%d groups in %d pages; want the 3 of cluster ca in 2", len(found), pages)
	}
	g := found[0]
	if aws.ToString(g.AutoScalingGroupName) != names[0] || aws.ToInt32(g.MinSize) != 1 || aws.ToInt32(g.MaxSize) != 3 || aws.ToInt32(g.DesiredCapacity) != 1 ||
		len(g.AvailabilityZones) != 1 || g.AvailabilityZones[0] != front.subnets[0].AvailabilityZone || g.LaunchTemplate != nil ||
		aws.ToString(g.HealthCheckType) != "EC2" || g.CreatedTime == nil || aws.ToString(g.VPCZoneIdentifier) != front.subnets[0].ID {
		t.Errorf("group %+v", g)
	}
	mip := g.MixedInstancesPolicy
	if mip == nil || mip.LaunchTemplate.LaunchTemplateSpecification == nil || len(mip.LaunchTemplate.Overrides) != 1 ||
		aws.ToString(mip.LaunchTemplate.Overrides[0].InstanceType) != "m5.large" {
		t.Fatalf("mixed instances policy %+v", mip)
	}
	if len(g.Instances) != 1 || aws.ToString(g.Instances[0].InstanceId) != in.ID || string(g.Instances[0].LifecycleState) != "Pending" ||
		aws.ToString(g.Instances[0].HealthStatus) != "Healthy" || aws.ToString(g.Instances[0].AvailabilityZone) != in.Zone {
		t.Errorf("instances %+v", g.Instances)
	}
	tags := map[string]string{}
	for _, tg := range g.Tags {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		if aws.ToString(tg.ResourceType) != "auto-scaling-group" || aws.ToString(tg.ResourceId) != names[0] {
			t.Errorf("tag %+v", tg)
		}
	}
	if tags["eks:nodegroup-name"] != "a-workers" || tags["kubernetes.io/cluster/"+ca] != "owned" {
		t.Errorf("tags %v", tags)
	}
	// By name, as --nodes gives them; a name of nothing is left out.
	out, err := c.DescribeAutoScalingGroups(ctx, &awsas.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{names[1], "eks-nope"}})
	if err != nil || len(out.AutoScalingGroups) != 1 || aws.ToString(out.AutoScalingGroups[0].AutoScalingGroupName) != names[1] {
		t.Fatalf("by name: %+v %v", out, err)
	}

	// Scale up, and past the maximum.
	if _, err := c.SetDesiredCapacity(ctx, &awsas.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(names[0]), DesiredCapacity: aws.Int32(2),
		HonorCooldown: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	ng, err := front.model.EKS.GetNodegroup(ctx, testRegion, ca, "a-workers")
	if err != nil || ng.Scaling.Desired != 2 {
		t.Fatalf("node group after SetDesiredCapacity 2: %+v %v", ng, err)
	}
	_, err = c.SetDesiredCapacity(ctx, &awsas.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(names[0]), DesiredCapacity: aws.Int32(4)})
	apiError(t, err, "ValidationError", "New SetDesiredCapacity value 4 is above max value 3 for the AutoScalingGroup.")
	checks := front.authz.ChecksOf("autoscaling:SetDesiredCapacity")
	if len(checks) != 1 || checks[0].Resource != "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:"+names[0][len(names[0])-36:]+":autoScalingGroupName/"+names[0] {
		t.Errorf("checks %+v", checks)
	}
	// EKS's side sees it and changes it back.
	if _, err := front.model.EKS.UpdateNodegroupConfig(ctx, eks.NodegroupConfigInput{Region: testRegion, ClusterName: ca, Name: "a-workers",
		Scaling: &eks.Scaling{Min: -1, Max: -1, Desired: 3}}); err != nil {
		t.Fatal(err)
	}
	out, err = c.DescribeAutoScalingGroups(ctx, &awsas.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{names[0]}})
	if err != nil || aws.ToInt32(out.AutoScalingGroups[0].DesiredCapacity) != 3 {
		t.Fatalf("after UpdateNodegroupConfig 3: %+v %v", out, err)
	}

	// Scale down the named instance.
	term, err := c.TerminateInstanceInAutoScalingGroup(ctx, &awsas.TerminateInstanceInAutoScalingGroupInput{InstanceId: aws.String(in.ID),
		ShouldDecrementDesiredCapacity: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	a := term.Activity
	if a == nil || aws.ToString(a.ActivityId) == "" || aws.ToString(a.AutoScalingGroupName) != names[0] || a.StatusCode != types.ScalingActivityStatusCodeInProgress ||
		a.StartTime == nil || !strings.Contains(aws.ToString(a.Cause), "shrinking the capacity from 3 to 2") {
		t.Fatalf("activity %+v", a)
	}
	_, err = c.TerminateInstanceInAutoScalingGroup(ctx, &awsas.TerminateInstanceInAutoScalingGroupInput{InstanceId: aws.String("i-0123456789abcdef0"),
		ShouldDecrementDesiredCapacity: aws.Bool(true)})
	apiError(t, err, "ValidationError", "Instance Id not found - No managed instance found for instance ID: i-0123456789abcdef0")
	acts, err := c.DescribeScalingActivities(ctx, &awsas.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String(names[0])})
	if err != nil || len(acts.Activities) != 1 || aws.ToString(acts.Activities[0].ActivityId) != aws.ToString(a.ActivityId) {
		t.Fatalf("activities %+v %v", acts, err)
	}
	out, _ = c.DescribeAutoScalingGroups(ctx, &awsas.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{names[0]}})
	if gi := out.AutoScalingGroups[0]; aws.ToInt32(gi.DesiredCapacity) != 2 || string(gi.Instances[0].LifecycleState) != "Terminating" {
		t.Errorf("after terminate: desired %d, instances %+v", aws.ToInt32(gi.DesiredCapacity), gi.Instances)
	}
	lcs, err := c.DescribeLaunchConfigurations(ctx, &awsas.DescribeLaunchConfigurationsInput{})
	if err != nil || len(lcs.LaunchConfigurations) != 0 {
		t.Errorf("launch configurations %+v %v", lcs, err)
	}
}

func TestUpdateTagsAndRefusals(t *testing.T) {
	ctx := context.Background()
	c := client()
	cl := unique("tags")
	names := cluster(t, cl, 1)
	_, err := c.UpdateAutoScalingGroup(ctx, &awsas.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(names[0]), MinSize: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.DescribeAutoScalingGroups(ctx, &awsas.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: names})
	if err != nil || aws.ToInt32(out.AutoScalingGroups[0].MinSize) != 2 || aws.ToInt32(out.AutoScalingGroups[0].DesiredCapacity) != 2 {
		t.Fatalf("after MinSize 2: %+v %v", out, err)
	}
	_, err = c.UpdateAutoScalingGroup(ctx, &awsas.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(names[0]), DesiredCapacity: aws.Int32(7)})
	apiError(t, err, "ValidationError", "Desired capacity:7 must be between the specified min size:2 and max size:3")
	_, err = c.UpdateAutoScalingGroup(ctx, &awsas.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(names[0]), HealthCheckType: aws.String("ELB")})
	apiError(t, err, "ValidationError", "")
	_, err = c.SetDesiredCapacity(ctx, &awsas.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("eks-nope"), DesiredCapacity: aws.Int32(1)})
	apiError(t, err, "ValidationError", "AutoScalingGroup name not found - AutoScalingGroup eks-nope not found")
	_, err = c.CreateAutoScalingGroup(ctx, &awsas.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("mine"), MinSize: aws.Int32(0), MaxSize: aws.Int32(1)})
	apiError(t, err, "ValidationError", "")

	if _, err := c.CreateOrUpdateTags(ctx, &awsas.CreateOrUpdateTagsInput{Tags: []types.Tag{{ResourceId: aws.String(names[0]),
		ResourceType: aws.String("auto-scaling-group"), Key: aws.String("k8s.io/cluster-autoscaler/node-template/label/pool"), Value: aws.String("blue"),
		PropagateAtLaunch: aws.Bool(true)}}}); err != nil {
		t.Fatal(err)
	}
	ng, err := front.model.EKS.GetNodegroup(ctx, testRegion, cl, "a-workers")
	if err != nil || ng.Tags["k8s.io/cluster-autoscaler/node-template/label/pool"] != "blue" {
		t.Fatalf("node group tags %v %v", ng, err)
	}
	checks := front.authz.ChecksOf("autoscaling:CreateOrUpdateTags")
	if len(checks) != 1 || checks[0].Context["aws:RequestTag/k8s.io/cluster-autoscaler/node-template/label/pool"][0] != "blue" {
		t.Errorf("tag checks %+v", checks)
	}
	dt, err := c.DescribeTags(ctx, &awsas.DescribeTagsInput{Filters: []types.Filter{{Name: aws.String("auto-scaling-group"), Values: names},
		{Name: aws.String("key"), Values: []string{"k8s.io/cluster-autoscaler/node-template/label/pool"}}}})
	if err != nil || len(dt.Tags) != 1 || aws.ToString(dt.Tags[0].Value) != "blue" {
		t.Fatalf("DescribeTags %+v %v", dt, err)
	}
	if _, err := c.DeleteTags(ctx, &awsas.DeleteTagsInput{Tags: []types.Tag{{ResourceId: aws.String(names[0]), ResourceType: aws.String("auto-scaling-group"),
		Key: aws.String("k8s.io/cluster-autoscaler/node-template/label/pool")}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteTags(ctx, &awsas.DeleteTagsInput{Tags: []types.Tag{{ResourceId: aws.String(names[0]), ResourceType: aws.String("auto-scaling-group"),
		Key: aws.String("eks:cluster-name")}}})
	apiError(t, err, "ValidationError", "Tag eks:cluster-name is set by EKS on the Auto Scaling group of node group a-workers and cannot be deleted")
	_, err = c.DescribeAutoScalingGroups(ctx, &awsas.DescribeAutoScalingGroupsInput{NextToken: aws.String("!!")})
	apiError(t, err, "InvalidNextToken", "")
}
