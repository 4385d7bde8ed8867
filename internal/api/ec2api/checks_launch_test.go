package ec2api

import (
	"context"
	"slices"
	"testing"

	"github.com/keksdev/keks/internal/ec2"
)

func hasCheck(checks []described, action, resource string) bool {
	return slices.ContainsFunc(checks, func(d described) bool { return d.Action == action && d.Resource == resource })
}

func TestChecksOfLaunchTemplatesAndFleets(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	lt, err := w.h.EC2.CreateLaunchTemplate(ctx, ec2.LaunchTemplate{Region: testRegion, Name: "nodes-lt", Tags: map[string]string{"team": "k"}},
		ec2.LaunchTemplateVersion{Data: map[string]string{"ImageId": "ami-0123456789abcdef0", "IamInstanceProfile.Name": "nodes", "SecurityGroupId.1": w.group.ID}})
	if err != nil {
		t.Fatal(err)
	}
	ltARN := arn("launch-template", lt.ID)

	made := describe(checksOf(w.h, map[string]string{"Action": "CreateLaunchTemplate", "LaunchTemplateName": "x-lt",
		"TagSpecification.1.ResourceType": "launch-template", "TagSpecification.1.Tag.1.Key": "team", "TagSpecification.1.Tag.1.Value": "k"}))
	if !hasCheck(made, "ec2:CreateLaunchTemplate", arn("launch-template", "*")) || !hasCheck(made, "ec2:CreateTags", arn("launch-template", "*")) {
		t.Errorf("CreateLaunchTemplate: %+v", made)
	}
	for _, action := range []string{"DeleteLaunchTemplate", "ModifyLaunchTemplate", "CreateLaunchTemplateVersion"} {
		if got := describe(checksOf(w.h, map[string]string{"Action": action, "LaunchTemplateName": "nodes-lt"})); !hasCheck(got, "ec2:"+action, ltARN) {
			t.Errorf("%s: %+v", action, got)
		}
	}

	// A launch from the template is checked as the template completes it.
	run := describe(checksOf(w.h, map[string]string{"Action": "RunInstances", "MinCount": "1", "MaxCount": "1", "SubnetId": w.subnet.ID,
		"LaunchTemplate.LaunchTemplateName": "nodes-lt", "LaunchTemplate.Version": "$Latest"}))
	for _, want := range [][2]string{{"ec2:RunInstances", ltARN}, {"ec2:RunInstances", "arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0"},
		{"ec2:RunInstances", arn("security-group", w.group.ID)}, {"iam:PassRole", "arn:aws:iam::" + testAccount + ":role/eks/nodes"},
		{"ec2:RunInstances", arn("instance", "*")}} {
		if !hasCheck(run, want[0], want[1]) {
			t.Errorf("RunInstances from a template lacks %s on %s: %+v", want[0], want[1], run)
		}
	}

	fleet := describe(checksOf(w.h, map[string]string{"Action": "CreateFleet", "Type": "instant", "TargetCapacitySpecification.TotalTargetCapacity": "1",
		"LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateName": "nodes-lt", "LaunchTemplateConfigs.1.LaunchTemplateSpecification.Version": "$Latest",
		"LaunchTemplateConfigs.1.Overrides.1.InstanceType": "m5.large", "LaunchTemplateConfigs.1.Overrides.1.SubnetId": w.subnet.ID,
		"LaunchTemplateConfigs.1.Overrides.2.InstanceType": "t3.large", "LaunchTemplateConfigs.1.Overrides.2.SubnetId": w.subnet.ID,
		"TagSpecification.1.ResourceType": "fleet", "TagSpecification.1.Tag.1.Key": "karpenter.sh/nodepool", "TagSpecification.1.Tag.1.Value": "default"}))
	if !hasCheck(fleet, "ec2:CreateFleet", arn("fleet", "*")) || !hasCheck(fleet, "ec2:CreateTags", arn("fleet", "*")) ||
		!hasCheck(fleet, "ec2:RunInstances", ltARN) || !hasCheck(fleet, "ec2:RunInstances", arn("subnet", w.subnet.ID)) {
		t.Errorf("CreateFleet: %+v", fleet)
	}
	launches := 0
	for _, d := range fleet {
		if d.Action == "ec2:RunInstances" && d.Resource == arn("subnet", w.subnet.ID) {
			launches++
		}
	}
	if launches != 1 {
		t.Errorf("CreateFleet checks the subnet both overrides share %d times, want once", launches)
	}
}
