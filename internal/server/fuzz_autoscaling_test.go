package server_test

import "testing"

// asOps are the Auto Scaling actions keks serves, each seed valid (the
// group names none that exists: keks's groups are node groups').
var asOps = []queryOp{
	{"DescribeAutoScalingGroups", "Filters.member.1.Name=tag-key&Filters.member.1.Values.member.1=k8s.io%2Fcluster-autoscaler%2Fenabled&MaxRecords=5"},
	{"DescribeAutoScalingInstances", "MaxRecords=5"},
	{"DescribeScalingActivities", "MaxRecords=5"},
	{"DescribeLaunchConfigurations", "MaxRecords=5"},
	{"DescribeTags", "Filters.member.1.Name=key&Filters.member.1.Values.member.1=team"},
}

// asWrites are the group-changing actions, on a group that does not exist:
// refused before their handler for a caller without rights, a
// ValidationError for one with them.
var asWrites = []queryOp{
	{"SetDesiredCapacity", "AutoScalingGroupName=eks-fz-00000000-0000-0000-0000-000000000000&DesiredCapacity=1"},
	{"UpdateAutoScalingGroup", "AutoScalingGroupName=eks-fz-00000000-0000-0000-0000-000000000000&MaxSize=3"},
	{"TerminateInstanceInAutoScalingGroup", "InstanceId=i-00000000000000000&ShouldDecrementDesiredCapacity=true"},
	{"CreateOrUpdateTags", "Tags.member.1.ResourceId=eks-fz-00000000-0000-0000-0000-000000000000&Tags.member.1.ResourceType=auto-scaling-group&Tags.member.1.Key=a&Tags.member.1.Value=b"},
}

func FuzzAutoScaling(f *testing.F) {
	fuzzQuery(f, "autoscaling", "2011-01-01", wireQuery, asOps, asWrites...)
}

// The EC2 calls Karpenter makes, appended from here so that the shared
// list stays as it is.
func init() {
	ec2Ops = append(ec2Ops,
		queryOp{"DescribeInstanceTypes", "Filter.1.Name=processor-info.supported-architecture&Filter.1.Value.1=x86_64&MaxResults=10"},
		queryOp{"DescribeInstanceTypeOfferings", "LocationType=availability-zone&Filter.1.Name=instance-type&Filter.1.Value.1=t3.*"},
		queryOp{"DescribeImages", "Owner.1=amazon&Filter.1.Name=name&Filter.1.Value.1=amazon-eks-node-al2023-*&IncludeDeprecated=true"},
		queryOp{"DescribeSpotPriceHistory", "ProductDescription.1=Linux%2FUNIX&MaxResults=2000"},
		queryOp{"DescribeInstanceStatus", "Filter.1.Name=instance-status.status&Filter.1.Value.1=impaired"},
		queryOp{"CreateLaunchTemplate", "LaunchTemplateName=fz-lt&LaunchTemplateData.InstanceType=t3.small&LaunchTemplateData.ImageId=ami-fuzz"},
		queryOp{"DescribeLaunchTemplates", "LaunchTemplateName.1=fz-lt"},
		queryOp{"CreateLaunchTemplateVersion", "LaunchTemplateName=fz-lt&SourceVersion=1&LaunchTemplateData.InstanceType=t3.medium"},
		queryOp{"DescribeLaunchTemplateVersions", "LaunchTemplateName=fz-lt&LaunchTemplateVersion.1=%24Latest"},
		queryOp{"DeleteLaunchTemplate", "LaunchTemplateName=fz-lt"},
	)
}
