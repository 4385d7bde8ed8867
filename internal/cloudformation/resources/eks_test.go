package resources

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/keksdev/keks/internal/cloudformation/resource"
)

// CloudFormation's EKS properties are EKS's members: decoding them fills
// the API's requests.
func TestEKSPropertiesDecodeIntoRequests(t *testing.T) {
	var ng eks.CreateNodegroupInput
	props := map[string]any{"ClusterName": "c", "NodegroupName": "ng", "NodeRole": "arn:aws:iam::1:role/n", "Subnets": []any{"subnet-1", "subnet-2"},
		"ScalingConfig": map[string]any{"MinSize": 1.0, "MaxSize": 3.0, "DesiredSize": 2.0}, "InstanceTypes": []any{"t3.medium"}, "DiskSize": 20.0,
		"AmiType": "AL2023_x86_64_STANDARD", "CapacityType": "ON_DEMAND", "Labels": map[string]any{"role": "worker"},
		"Taints": []any{map[string]any{"Key": "k", "Value": "v", "Effect": "NO_SCHEDULE"}}, "UpdateConfig": map[string]any{"MaxUnavailable": 1.0},
		"Tags": map[string]any{"team": "a"}}
	if err := decode(props, &ng, "Tags"); err != nil {
		t.Fatal(err)
	}
	if aws.ToString(ng.ClusterName) != "c" || aws.ToInt32(ng.ScalingConfig.DesiredSize) != 2 || ng.InstanceTypes[0] != "t3.medium" || aws.ToInt32(ng.DiskSize) != 20 ||
		ng.AmiType != ekstypes.AMITypesAl2023X8664Standard || ng.Labels["role"] != "worker" || ng.Taints[0].Effect != ekstypes.TaintEffectNoSchedule ||
		aws.ToInt32(ng.UpdateConfig.MaxUnavailable) != 1 || len(ng.Subnets) != 2 {
		t.Errorf("node group request %+v", ng)
	}
	var cl eks.CreateClusterInput
	cprops := map[string]any{"Name": "c", "Version": "1.33", "RoleArn": "arn:aws:iam::1:role/c",
		"ResourcesVpcConfig":        map[string]any{"SubnetIds": []any{"s1", "s2"}, "EndpointPublicAccess": true},
		"KubernetesNetworkConfig":   map[string]any{"ServiceIpv4Cidr": "10.100.0.0/16"},
		"AccessConfig":              map[string]any{"AuthenticationMode": "API_AND_CONFIG_MAP", "BootstrapClusterCreatorAdminPermissions": true},
		"EncryptionConfig":          []any{map[string]any{"Provider": map[string]any{"KeyArn": "arn:k"}, "Resources": []any{"secrets"}}},
		"ControlPlaneScalingConfig": map[string]any{"Tier": "tier-xl"},
		"Logging":                   map[string]any{"ClusterLogging": map[string]any{"EnabledTypes": []any{map[string]any{"Type": "api"}}}}}
	if err := decode(cprops, &cl, "Tags", "Logging"); err != nil {
		t.Fatal(err)
	}
	if cl.ResourcesVpcConfig.SubnetIds[1] != "s2" || !aws.ToBool(cl.ResourcesVpcConfig.EndpointPublicAccess) ||
		aws.ToString(cl.KubernetesNetworkConfig.ServiceIpv4Cidr) != "10.100.0.0/16" || cl.AccessConfig.AuthenticationMode != ekstypes.AuthenticationModeApiAndConfigMap ||
		aws.ToString(cl.EncryptionConfig[0].Provider.KeyArn) != "arn:k" || cl.ControlPlaneScalingConfig.Tier != ekstypes.ProvisionedControlPlaneTierTierXl {
		t.Errorf("cluster request %+v", cl)
	}
	l := clusterLogging(cprops)
	if len(l.ClusterLogging) != 2 || !aws.ToBool(l.ClusterLogging[0].Enabled) || l.ClusterLogging[0].Types[0] != "api" || len(l.ClusterLogging[1].Types) != 4 {
		t.Errorf("logging %+v", l)
	}
	if err := decode(map[string]any{"ScalingConfig": "big"}, &ng); err == nil {
		t.Error("a string for an object decoded")
	}
}

func TestGeneratedNamesFitAndRepeat(t *testing.T) {
	req := &resource.Request{StackName: "eksctl-a-very-long-cluster-name-for-testing-cluster", LogicalID: "ServiceRoleForTheControlPlane", StackID: "arn:x", ClientToken: "t1"}
	a, b := req.GeneratedName(64), req.GeneratedName(64)
	if a != b || len(a) > 64 {
		t.Errorf("names %q %q", a, b)
	}
	req.ClientToken = "t2"
	if c := req.GeneratedName(64); c == a {
		t.Errorf("another operation got the same name %q", c)
	}
	short := &resource.Request{StackName: "s", LogicalID: "Role", StackID: "arn:y", ClientToken: "t"}
	if n := short.GeneratedName(64); len(n) != len("s-Role-")+13 || n[:7] != "s-Role-" {
		t.Errorf("short name %q", n)
	}
}
