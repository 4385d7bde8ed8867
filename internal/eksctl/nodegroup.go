package eksctl

import (
	"fmt"
	"slices"
	"sort"
)

// AMIType is the EKS AMI type of a node group's family.
func (ng *ManagedNodeGroup) AMIType() string {
	if ng.AMIFamily == "AmazonLinux2" {
		return "AL2_x86_64"
	}
	return "AL2023_x86_64_STANDARD"
}

// InstanceTypeList is the group's instance types.
func (ng *ManagedNodeGroup) InstanceTypeList() []string {
	if len(ng.InstanceTypes) > 0 {
		return ng.InstanceTypes
	}
	return []string{ng.InstanceType}
}

// BuildManagedNodeGroupStack is the template of
// "eksctl-<cluster>-nodegroup-<ng>": the node role with eksctl's managed and
// inline policies, the SSH security group when SSH is allowed, and the
// EKS node group, taking the cluster's network from its stack's exports.
// The SSH key pair must already be resolved (ng.SSH.PublicKeyName).
func BuildManagedNodeGroupStack(cfg *ClusterConfig, ng *ManagedNodeGroup) (*Template, error) {
	clusterStack := ClusterStackName(cfg.Metadata.Name)
	sshAllowed := isEnabled(ng.SSH.Allow)
	t := newTemplate(fmt.Sprintf("EKS Managed Nodes (SSH access: %v)", sshAllowed))

	nodeRole := any(ng.IAM.InstanceRoleARN)
	if ng.IAM.InstanceRoleARN == "" {
		addNodeRole(t, ng)
		nodeRole = getAtt("NodeInstanceRole", "Arn")
	}

	subnets, err := nodeGroupSubnets(cfg, ng)
	if err != nil {
		return nil, err
	}
	nodeGroup := map[string]any{
		"ClusterName":   cfg.Metadata.Name,
		"NodegroupName": ng.Name,
		"ScalingConfig": map[string]any{"MinSize": *ng.MinSize, "MaxSize": *ng.MaxSize, "DesiredSize": *ng.DesiredCapacity},
		"Subnets":       subnets,
		"InstanceTypes": toAny(ng.InstanceTypeList()),
		"AmiType":       ng.AMIType(),
		"DiskSize":      *ng.VolumeSize,
		"NodeRole":      nodeRole,
		"Labels":        stringMap(ng.Labels),
		"Tags":          stringMap(mergeTags(cfg.Metadata.Tags, ng.Tags)),
	}
	if len(ng.Taints) > 0 {
		var taints []any
		for _, tn := range ng.Taints {
			taints = append(taints, map[string]any{"Key": tn.Key, "Value": tn.Value, "Effect": taintEffect(tn.Effect)})
		}
		nodeGroup["Taints"] = taints
	}
	if ng.Spot {
		nodeGroup["CapacityType"] = "SPOT"
	}
	if ng.ReleaseVersion != "" {
		nodeGroup["ReleaseVersion"] = ng.ReleaseVersion
	}
	if sshAllowed {
		if ng.SSH.PublicKeyName == "" {
			return nil, fmt.Errorf("nodegroup %q: SSH is allowed but no key pair was resolved", ng.Name)
		}
		// eksctl puts the key and its "<stack>-remoteAccess" group in a
		// launch template, which attaches the group to the nodes. keks has
		// no launch templates: the group is still made (it is what users
		// look for), and the same access comes from EKS's own remote access,
		// which opens port 22 to the given source groups or, with none, to
		// anywhere, through the eks-remoteAccess group it attaches itself.
		// (EKS's sourceSecurityGroups are peers allowed in, not groups put
		// on the nodes, so eksctl's group cannot go there.)
		remote := map[string]any{"Ec2SshKey": ng.SSH.PublicKeyName}
		if len(ng.SSH.SourceSecurityGroupIDs) > 0 {
			sources := []any{}
			for _, id := range ng.SSH.SourceSecurityGroupIDs {
				sources = append(sources, id)
			}
			remote["SourceSecurityGroups"] = sources
		} else {
			cidr := "0.0.0.0/0"
			if ng.PrivateNetworking && cfg.VPC.CIDR != "" {
				cidr = cfg.VPC.CIDR
			}
			t.add("SSH", "AWS::EC2::SecurityGroup", map[string]any{
				"GroupName":        sub("${AWS::StackName}-remoteAccess"),
				"GroupDescription": "Allow SSH access",
				"VpcId":            importValue(clusterStack, OutputVPC),
				// keks's networks are IPv4 only, so eksctl's ::/0 rule is left out.
				"SecurityGroupIngress": []any{map[string]any{"FromPort": 22, "ToPort": 22, "IpProtocol": "tcp", "CidrIp": cidr}},
				"Tags":                 nameTag("SSH"),
			})
		}
		nodeGroup["RemoteAccess"] = remote
	}
	t.add("ManagedNodeGroup", "AWS::EKS::Nodegroup", nodeGroup)
	return t, nil
}

// addNodeRole adds NodeInstanceRole: EC2's trust, eksctl's managed
// policies (or only attachPolicyARNs when given, as eksctl), and the
// inline policies of the add-on permissions asked for.
func addNodeRole(t *Template, ng *ManagedNodeGroup) {
	p := ng.IAM.WithAddonPolicies
	var managed []string
	if len(ng.IAM.AttachPolicyARNs) > 0 {
		managed = append(managed, ng.IAM.AttachPolicyARNs...)
	} else {
		ecr := "AmazonEC2ContainerRegistryReadOnly"
		if isEnabled(p.ImageBuilder) {
			ecr = "AmazonEC2ContainerRegistryPowerUser"
		}
		managed = append(managed, awsPolicy(ecr), awsPolicy("AmazonEKSWorkerNodePolicy"), awsPolicy("AmazonEKS_CNI_Policy"), awsPolicy("AmazonSSMManagedInstanceCore"))
	}
	if isEnabled(p.CloudWatch) {
		managed = append(managed, awsPolicy("CloudWatchAgentServerPolicy"))
	}
	if isEnabled(p.XRay) {
		managed = append(managed, awsPolicy("AWSXRayDaemonWriteAccess"))
	}
	sort.Strings(managed)
	managed = slices.Compact(managed)
	role := map[string]any{
		"AssumeRolePolicyDocument": assumeRoleFor([]string{"sts:AssumeRole"}, "ec2.amazonaws.com"),
		"ManagedPolicyArns":        toAny(managed),
		"Path":                     "/",
		"Tags":                     nameTag("NodeInstanceRole"),
	}
	if ng.IAM.InstanceRoleName != "" {
		role["RoleName"] = ng.IAM.InstanceRoleName
	}
	t.add("NodeInstanceRole", "AWS::IAM::Role", role)

	if isEnabled(p.AutoScaler) {
		addInlinePolicy(t, "PolicyAutoScaling", "NodeInstanceRole", autoScalerStatements())
	}
	if isEnabled(p.CertManager) {
		addInlinePolicy(t, "PolicyCertManagerChangeSet", "NodeInstanceRole", externalDNSChangeSetStatements())
		addInlinePolicy(t, "PolicyCertManagerHostedZones", "NodeInstanceRole", certManagerHostedZonesStatements())
		addInlinePolicy(t, "PolicyCertManagerGetChange", "NodeInstanceRole", certManagerGetChangeStatements())
	} else if isEnabled(p.ExternalDNS) {
		addInlinePolicy(t, "PolicyExternalDNSChangeSet", "NodeInstanceRole", externalDNSChangeSetStatements())
		addInlinePolicy(t, "PolicyExternalDNSHostedZones", "NodeInstanceRole", externalDNSHostedZonesStatements())
	}
	if isEnabled(p.AWSLoadBalancerController) {
		addInlinePolicy(t, "PolicyAWSLoadBalancerController", "NodeInstanceRole", loadBalancerControllerStatements())
	}
	if isEnabled(p.EBS) {
		addInlinePolicy(t, "PolicyEBS", "NodeInstanceRole", ebsStatements())
	}
}

// nodeGroupSubnets are the group's subnets: those it names; those of its
// zones when the cluster's subnets are known; else all the cluster's
// public (or, with privateNetworking, private) subnets, imported.
func nodeGroupSubnets(cfg *ClusterConfig, ng *ManagedNodeGroup) (any, error) {
	if len(ng.Subnets) > 0 {
		return toAny(ng.Subnets), nil
	}
	kind, output := cfg.VPC.Subnets.Public, OutputSubnetsPublic
	if ng.PrivateNetworking {
		kind, output = cfg.VPC.Subnets.Private, OutputSubnetsPrivate
	}
	if len(kind) == 0 {
		which := "public"
		if ng.PrivateNetworking {
			which = "private"
		}
		return nil, fmt.Errorf("nodegroup %q: the cluster has no %s subnets", ng.Name, which)
	}
	if len(ng.AvailabilityZones) == 0 {
		return split(",", importValue(ClusterStackName(cfg.Metadata.Name), output)), nil
	}
	var ids []any
	for _, k := range sortedKeys(kind) {
		n := kind[k]
		if !slices.Contains(ng.AvailabilityZones, n.AZ) {
			continue
		}
		if n.ID == "" {
			return nil, fmt.Errorf("nodegroup %q: availabilityZones needs the cluster's subnet ids, which are not known yet", ng.Name)
		}
		ids = append(ids, n.ID)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("nodegroup %q: no subnets in availability zones %v", ng.Name, ng.AvailabilityZones)
	}
	return ids, nil
}

func taintEffect(e string) string {
	switch e {
	case "NoSchedule":
		return "NO_SCHEDULE"
	case "PreferNoSchedule":
		return "PREFER_NO_SCHEDULE"
	default:
		return "NO_EXECUTE"
	}
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func mergeTags(cluster, ng map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range cluster {
		out[k] = v
	}
	for k, v := range ng {
		out[k] = v
	}
	return out
}
