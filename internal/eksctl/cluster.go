package eksctl

import (
	"sort"
)

// The cluster stack's outputs, exported as "<stack>::<name>" for the node
// group stacks to import.
const (
	OutputVPC                        = "VPC"
	OutputSecurityGroup              = "SecurityGroup"
	OutputSubnetsPublic              = "SubnetsPublic"
	OutputSubnetsPrivate             = "SubnetsPrivate"
	OutputClusterSecurityGroupID     = "ClusterSecurityGroupId"
	OutputSharedNodeSecurityGroup    = "SharedNodeSecurityGroup"
	OutputServiceRoleARN             = "ServiceRoleARN"
	OutputEndpoint                   = "Endpoint"
	OutputARN                        = "ARN"
	OutputCertificateAuthorityData   = "CertificateAuthorityData"
	OutputFeatureNATMode             = "FeatureNATMode"
	OutputClusterStackName           = "ClusterStackName"
	OutputFargatePodExecutionRoleARN = "FargatePodExecutionRoleARN"
)

// BuildClusterStack is the template of "eksctl-<name>-cluster": the network
// (made, or the given subnets), the cluster role, the control plane and
// shared node security groups with their rules, the Fargate pod execution
// role when Fargate profiles are wanted, and the control plane itself.
func BuildClusterStack(cfg *ClusterConfig) *Template {
	t := newTemplate("EKS cluster (dedicated VPC: " + boolString(cfg.OwnsVPC()) + ", dedicated IAM: true)")
	var n clusterNetwork
	if cfg.OwnsVPC() {
		n = addVPC(t, cfg)
	} else {
		n = importedNetwork(cfg)
	}

	controlPlaneSG := t.add("ControlPlaneSecurityGroup", "AWS::EC2::SecurityGroup", map[string]any{
		"GroupDescription": "Communication between the control plane and worker nodegroups",
		"VpcId":            n.vpc, "Tags": nameTag("ControlPlaneSecurityGroup"),
	})
	sharedSG := t.add("ClusterSharedNodeSecurityGroup", "AWS::EC2::SecurityGroup", map[string]any{
		"GroupDescription": "Communication between all nodes in the cluster",
		"VpcId":            n.vpc, "Tags": nameTag("ClusterSharedNodeSecurityGroup"),
	})
	allPorts := func(desc string, group, source any) map[string]any {
		return map[string]any{"Description": desc, "FromPort": 0, "ToPort": 65535, "IpProtocol": "-1", "GroupId": group, "SourceSecurityGroupId": source}
	}
	clusterSG := getAtt("ControlPlane", "ClusterSecurityGroupId")
	t.add("IngressInterNodeGroupSG", "AWS::EC2::SecurityGroupIngress",
		allPorts("Allow nodes to communicate with each other (all ports)", sharedSG, sharedSG))
	if isEnabled(cfg.VPC.ManageSharedNodeSG) {
		t.add("IngressDefaultClusterToNodeSG", "AWS::EC2::SecurityGroupIngress",
			allPorts("Allow managed and unmanaged nodes to communicate with each other (all ports)", sharedSG, clusterSG))
		t.add("IngressNodeToDefaultClusterSG", "AWS::EC2::SecurityGroupIngress",
			allPorts("Allow unmanaged nodes to communicate with control plane (all ports)", clusterSG, sharedSG))
	}

	serviceRole := any(cfg.IAM.ServiceRoleARN)
	if cfg.IAM.ServiceRoleARN == "" {
		t.add("ServiceRole", "AWS::IAM::Role", map[string]any{
			"AssumeRolePolicyDocument": assumeRoleFor([]string{"sts:AssumeRole", "sts:TagSession"}, "eks.amazonaws.com"),
			"ManagedPolicyArns":        toAny([]string{awsPolicy("AmazonEKSClusterPolicy"), awsPolicy("AmazonEKSVPCResourceController")}),
			"Tags":                     nameTag("ServiceRole"),
		})
		addInlinePolicy(t, "PolicyCloudWatchMetrics", "ServiceRole", cloudWatchMetricsStatements())
		addInlinePolicy(t, "PolicyELBPermissions", "ServiceRole", elbPermissionsStatements())
		serviceRole = getAtt("ServiceRole", "Arn")
	}
	if len(cfg.FargateProfiles) > 0 && cfg.IAM.FargatePodExecutionRoleARN == "" {
		t.add("FargatePodExecutionRole", "AWS::IAM::Role", map[string]any{
			"AssumeRolePolicyDocument": assumeRoleFor([]string{"sts:AssumeRole"}, "eks-fargate-pods.amazonaws.com"),
			"ManagedPolicyArns":        toAny([]string{awsPolicy("AmazonEKSFargatePodExecutionRolePolicy")}),
			"Tags":                     nameTag("FargatePodExecutionRole"),
		})
		t.output(OutputFargatePodExecutionRoleARN, getAtt("FargatePodExecutionRole", "Arn"), true)
	}

	subnets := append(append([]any{}, n.publicSubnets...), n.privateSubnets...)
	vpcConfig := map[string]any{
		"SecurityGroupIds":      []any{controlPlaneSG},
		"SubnetIds":             subnets,
		"EndpointPublicAccess":  isEnabled(cfg.VPC.ClusterEndpoints.PublicAccess),
		"EndpointPrivateAccess": isEnabled(cfg.VPC.ClusterEndpoints.PrivateAccess),
	}
	if len(cfg.VPC.PublicAccessCIDRs) > 0 {
		vpcConfig["PublicAccessCidrs"] = toAny(cfg.VPC.PublicAccessCIDRs)
	}
	netConfig := map[string]any{"IpFamily": lowerIPFamily(cfg.KubernetesNetwork.IPFamily)}
	if cfg.KubernetesNetwork.ServiceIPv4CIDR != "" {
		netConfig["ServiceIpv4Cidr"] = cfg.KubernetesNetwork.ServiceIPv4CIDR
	}
	access := map[string]any{"AuthenticationMode": cfg.AccessConfig.AuthenticationMode}
	if b := cfg.AccessConfig.BootstrapClusterCreatorAdminPermissions; b != nil {
		access["BootstrapClusterCreatorAdminPermissions"] = *b
	} else {
		access["BootstrapClusterCreatorAdminPermissions"] = true
	}
	cluster := map[string]any{
		"Name": cfg.Metadata.Name, "Version": cfg.Metadata.Version, "RoleArn": serviceRole,
		"ResourcesVpcConfig": vpcConfig, "KubernetesNetworkConfig": netConfig, "AccessConfig": access,
		"Tags": clusterTags(cfg),
	}
	// Logging is enabled after creation with UpdateClusterConfig, as eksctl does.
	if cfg.SecretsEncryption != nil {
		cluster["EncryptionConfig"] = []any{map[string]any{
			"Provider": map[string]any{"KeyArn": cfg.SecretsEncryption.KeyARN}, "Resources": []any{"secrets"},
		}}
	}
	t.add("ControlPlane", "AWS::EKS::Cluster", cluster)

	t.output(OutputARN, getAtt("ControlPlane", "Arn"), true)
	t.output(OutputCertificateAuthorityData, getAtt("ControlPlane", "CertificateAuthorityData"), false)
	t.output(OutputClusterSecurityGroupID, clusterSG, true)
	t.output(OutputClusterStackName, ref("AWS::StackName"), false)
	t.output(OutputEndpoint, getAtt("ControlPlane", "Endpoint"), true)
	t.output(OutputSecurityGroup, controlPlaneSG, true)
	t.output(OutputSharedNodeSecurityGroup, sharedSG, true)
	t.output(OutputVPC, n.vpc, true)
	if len(n.publicSubnets) > 0 {
		t.output(OutputSubnetsPublic, join(",", n.publicSubnets), true)
	}
	if len(n.privateSubnets) > 0 {
		t.output(OutputSubnetsPrivate, join(",", n.privateSubnets), true)
	}
	// eksctl records the NAT mode even for a VPC it did not make, unexported.
	if cfg.VPC.NAT != nil {
		t.output(OutputFeatureNATMode, cfg.VPC.NAT.Gateway, false)
	}
	if cfg.IAM.ServiceRoleARN == "" {
		t.output(OutputServiceRoleARN, serviceRole, true)
	}
	return t
}

func clusterTags(cfg *ClusterConfig) []any {
	tags := []any{map[string]any{"Key": "Name", "Value": sub("${AWS::StackName}/ControlPlane")}}
	keys := make([]string, 0, len(cfg.Metadata.Tags))
	for k := range cfg.Metadata.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		tags = append(tags, map[string]any{"Key": k, "Value": cfg.Metadata.Tags[k]})
	}
	return tags
}

func lowerIPFamily(f string) string {
	if f == "IPv6" {
		return "ipv6"
	}
	return "ipv4"
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
