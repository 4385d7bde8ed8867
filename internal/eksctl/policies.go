package eksctl

// eksctl's inline policy statements, by the add-on or permission they are for.

func statement(resource any, actions ...string) map[string]any {
	return map[string]any{"Effect": "Allow", "Resource": resource, "Action": toAny(actions)}
}

// addInlinePolicy attaches an inline policy to a role of the template, as
// eksctl does: AWS::IAM::Policy "<stack>-<logical id>".
func addInlinePolicy(t *Template, logicalID, role string, statements []map[string]any) {
	t.add(logicalID, "AWS::IAM::Policy", map[string]any{
		"PolicyName":     sub("${AWS::StackName}-" + logicalID),
		"PolicyDocument": policyDocument(statements...),
		"Roles":          []any{ref(role)},
	})
}

func cloudWatchMetricsStatements() []map[string]any {
	return []map[string]any{statement("*", "cloudwatch:PutMetricData")}
}

func elbPermissionsStatements() []map[string]any {
	return []map[string]any{statement("*", "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeInternetGateways")}
}

func externalDNSChangeSetStatements() []map[string]any {
	return []map[string]any{statement("arn:aws:route53:::hostedzone/*", "route53:ChangeResourceRecordSets")}
}

func externalDNSHostedZonesStatements() []map[string]any {
	return []map[string]any{statement("*", "route53:ListHostedZones", "route53:ListResourceRecordSets", "route53:ListTagsForResource")}
}

func certManagerHostedZonesStatements() []map[string]any {
	return []map[string]any{statement("*", "route53:ListResourceRecordSets", "route53:ListHostedZonesByName")}
}

func certManagerGetChangeStatements() []map[string]any {
	return []map[string]any{statement("arn:aws:route53:::change/*", "route53:GetChange")}
}

func autoScalerStatements() []map[string]any {
	return []map[string]any{statement("*",
		"autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
		"autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeTags",
		"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup",
		"ec2:DescribeLaunchTemplateVersions")}
}

func ebsStatements() []map[string]any {
	return []map[string]any{statement("*",
		"ec2:AttachVolume", "ec2:CreateSnapshot", "ec2:CreateTags", "ec2:CreateVolume", "ec2:DeleteSnapshot",
		"ec2:DeleteTags", "ec2:DeleteVolume", "ec2:DescribeAvailabilityZones", "ec2:DescribeInstances",
		"ec2:DescribeSnapshots", "ec2:DescribeTags", "ec2:DescribeVolumes", "ec2:DescribeVolumesModifications",
		"ec2:DetachVolume", "ec2:ModifyVolume")}
}

func loadBalancerControllerStatements() []map[string]any {
	return []map[string]any{
		{
			"Effect": "Allow", "Resource": "arn:aws:ec2:*:*:security-group/*", "Action": toAny([]string{"ec2:CreateTags"}),
			"Condition": map[string]any{
				"StringEquals": map[string]any{"ec2:CreateAction": "CreateSecurityGroup"},
				"Null":         map[string]any{"aws:RequestTag/elbv2.k8s.aws/cluster": "false"},
			},
		},
		{
			"Effect": "Allow", "Resource": "arn:aws:ec2:*:*:security-group/*", "Action": toAny([]string{"ec2:CreateTags", "ec2:DeleteTags"}),
			"Condition": map[string]any{"Null": map[string]any{
				"aws:RequestTag/elbv2.k8s.aws/cluster": "true", "aws:ResourceTag/elbv2.k8s.aws/cluster": "false",
			}},
		},
		{
			"Effect": "Allow", "Resource": "*",
			"Action":    toAny([]string{"elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"}),
			"Condition": map[string]any{"Null": map[string]any{"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}},
		},
		statement([]any{
			"arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
			"arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*",
			"arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*",
		}, "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"),
		statement("arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
			"elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"),
		statement("*",
			"iam:CreateServiceLinkedRole", "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses",
			"ec2:DescribeAvailabilityZones", "ec2:DescribeInternetGateways", "ec2:DescribeVpcs",
			"ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
			"ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "elasticloadbalancing:DescribeLoadBalancers",
			"elasticloadbalancing:DescribeLoadBalancerAttributes", "elasticloadbalancing:DescribeListeners",
			"elasticloadbalancing:DescribeListenerCertificates", "elasticloadbalancing:DescribeSSLPolicies",
			"elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTargetGroups",
			"elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetHealth",
			"elasticloadbalancing:DescribeTags", "ec2:AuthorizeSecurityGroupIngress",
			"ec2:RevokeSecurityGroupIngress", "ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup",
			"elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
			"elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule",
			"elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyRule",
			"elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
			"elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
			"elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
			"elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup"),
	}
}
