package server_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	keks "github.com/keksdev/keks/internal/eks"
)

// activeCluster creates a cluster and marks it ACTIVE, as the control plane
// reconciler (off in these tests) would.
func activeCluster(t *testing.T, f *fixture, name string) {
	t.Helper()
	if _, err := f.create(name); err != nil {
		t.Fatal(err)
	}
	if _, err := testServer.models.EKS.SetStatus(context.Background(), "us-east-1", name, func(c *keks.Cluster) error {
		c.Status.Phase = keks.StatusActive
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func nodeRoleARN(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	c := iam.NewFromConfig(awsConfig())
	if r, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("apiNodeRole")}); err == nil {
		return aws.ToString(r.Role.Arn)
	}
	r, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("apiNodeRole"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(r.Role.Arn)
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestNodegroupAPI(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	role := nodeRoleARN(t)
	in := func(name string, mod ...func(*eks.CreateNodegroupInput)) *eks.CreateNodegroupInput {
		i := &eks.CreateNodegroupInput{ClusterName: aws.String("ngapi"), NodegroupName: aws.String(name), NodeRole: aws.String(role), Subnets: f.subnets}
		for _, m := range mod {
			m(i)
		}
		return i
	}
	if _, err := f.create("ngapi"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eks.CreateNodegroup(ctx, in("early")); errorCode(err) != keks.CodeInvalidRequest {
		t.Fatalf("node group on a CREATING cluster: %v", err)
	}
	if _, err := testServer.models.EKS.SetStatus(ctx, "us-east-1", "ngapi", func(c *keks.Cluster) error { c.Status.Phase = keks.StatusActive; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		what string
		in   *eks.CreateNodegroupInput
		code string
	}{
		{"bad name", in("-bad"), keks.CodeInvalidParameter},
		{"unknown role", in("x", func(i *eks.CreateNodegroupInput) { i.NodeRole = aws.String("arn:aws:iam::000000000000:role/none") }), keks.CodeInvalidParameter},
		{"min above max", in("x", func(i *eks.CreateNodegroupInput) {
			i.ScalingConfig = &ekstypes.NodegroupScalingConfig{MinSize: aws.Int32(3), MaxSize: aws.Int32(2), DesiredSize: aws.Int32(2)}
		}), keks.CodeInvalidParameter},
		{"desired above max", in("x", func(i *eks.CreateNodegroupInput) {
			i.ScalingConfig = &ekstypes.NodegroupScalingConfig{MinSize: aws.Int32(1), MaxSize: aws.Int32(2), DesiredSize: aws.Int32(3)}
		}), keks.CodeInvalidParameter},
		{"unknown instance type", in("x", func(i *eks.CreateNodegroupInput) { i.InstanceTypes = []string{"z9.huge"} }), keks.CodeInvalidParameter},
		{"other version", in("x", func(i *eks.CreateNodegroupInput) { i.Version = aws.String("1.34") }), keks.CodeInvalidParameter},
		{"subnet of another VPC", in("x", func(i *eks.CreateNodegroupInput) { i.Subnets = []string{f.otherVPC} }), keks.CodeInvalidParameter},
		{"bad taint effect", in("x", func(i *eks.CreateNodegroupInput) {
			i.Taints = []ekstypes.Taint{{Key: aws.String("k"), Value: aws.String("v"), Effect: "SOMETIMES"}}
		}), keks.CodeInvalidParameter},
		{"both update configs", in("x", func(i *eks.CreateNodegroupInput) {
			i.UpdateConfig = &ekstypes.NodegroupUpdateConfig{MaxUnavailable: aws.Int32(1), MaxUnavailablePercentage: aws.Int32(10)}
		}), keks.CodeInvalidParameter},
		{"unknown cluster", in("x", func(i *eks.CreateNodegroupInput) { i.ClusterName = aws.String("nope") }), keks.CodeResourceNotFound},
		{"unknown SSH key", in("x", func(i *eks.CreateNodegroupInput) {
			i.RemoteAccess = &ekstypes.RemoteAccessConfig{Ec2SshKey: aws.String("nope")}
		}), keks.CodeInvalidParameter},
	} {
		if _, err := f.eks.CreateNodegroup(ctx, tc.in); errorCode(err) != tc.code {
			t.Errorf("%s: got %v, want %s", tc.what, err, tc.code)
		}
	}

	out, err := f.eks.CreateNodegroup(ctx, in("workers", func(i *eks.CreateNodegroupInput) {
		i.Labels = map[string]string{"team": "a"}
		i.Taints = []ekstypes.Taint{{Key: aws.String("dedicated"), Value: aws.String("x"), Effect: ekstypes.TaintEffectNoSchedule}}
	}))
	if err != nil {
		t.Fatal(err)
	}
	ng := out.Nodegroup
	if ng.Status != ekstypes.NodegroupStatusCreating || ng.CapacityType != ekstypes.CapacityTypesOnDemand || aws.ToInt32(ng.DiskSize) != 20 ||
		len(ng.InstanceTypes) != 1 || ng.InstanceTypes[0] != "t3.medium" || aws.ToInt32(ng.ScalingConfig.DesiredSize) != 2 ||
		aws.ToInt32(ng.UpdateConfig.MaxUnavailable) != 1 || aws.ToString(ng.Version) != keksDefaultVersion() ||
		!strings.HasPrefix(aws.ToString(ng.NodegroupArn), "arn:aws:eks:us-east-1:") || len(ng.Resources.AutoScalingGroups) != 1 {
		t.Errorf("created node group: %+v", ng)
	}
	if _, err := f.eks.CreateNodegroup(ctx, in("workers")); errorCode(err) != keks.CodeResourceInUse {
		t.Errorf("duplicate: %v", err)
	}
	list, err := f.eks.ListNodegroups(ctx, &eks.ListNodegroupsInput{ClusterName: aws.String("ngapi")})
	if err != nil || len(list.Nodegroups) != 1 || list.Nodegroups[0] != "workers" {
		t.Errorf("list: %v %v", list, err)
	}
	if _, err := f.eks.UpdateNodegroupConfig(ctx, &eks.UpdateNodegroupConfigInput{ClusterName: aws.String("ngapi"), NodegroupName: aws.String("workers"),
		ScalingConfig: &ekstypes.NodegroupScalingConfig{DesiredSize: aws.Int32(3)}}); errorCode(err) != keks.CodeResourceInUse {
		t.Errorf("update while CREATING: %v", err)
	}
	setNodegroupStatus(t, "ngapi", "workers", keks.NodegroupActive)
	upd, err := f.eks.UpdateNodegroupConfig(ctx, &eks.UpdateNodegroupConfigInput{ClusterName: aws.String("ngapi"), NodegroupName: aws.String("workers"),
		ScalingConfig: &ekstypes.NodegroupScalingConfig{DesiredSize: aws.Int32(3), MaxSize: aws.Int32(4)}})
	if err != nil {
		t.Fatal(err)
	}
	if upd.Update.Type != ekstypes.UpdateTypeConfigUpdate || upd.Update.Status != ekstypes.UpdateStatusInProgress || len(upd.Update.Params) != 2 {
		t.Errorf("update: %+v", upd.Update)
	}
	if _, err := f.eks.UpdateNodegroupConfig(ctx, &eks.UpdateNodegroupConfigInput{ClusterName: aws.String("ngapi"), NodegroupName: aws.String("workers"),
		Labels: &ekstypes.UpdateLabelsPayload{AddOrUpdateLabels: map[string]string{"b": "c"}}}); errorCode(err) != keks.CodeResourceInUse {
		t.Errorf("second update while one runs: %v", err)
	}
	d, err := f.eks.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: aws.String("ngapi"), NodegroupName: aws.String("workers"), UpdateId: upd.Update.Id})
	if err != nil || d.Update.Status != ekstypes.UpdateStatusInProgress {
		t.Errorf("describe update: %v %v", d, err)
	}
	if _, err := f.eks.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: aws.String("ngapi"), UpdateId: upd.Update.Id}); errorCode(err) != keks.CodeResourceNotFound {
		t.Errorf("a node group update described as the cluster's: %v", err)
	}
	ups, err := f.eks.ListUpdates(ctx, &eks.ListUpdatesInput{Name: aws.String("ngapi"), NodegroupName: aws.String("workers")})
	if err != nil || len(ups.UpdateIds) != 1 {
		t.Errorf("list updates: %v %v", ups, err)
	}
	desc, err := f.eks.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String("ngapi"), NodegroupName: aws.String("workers")})
	if err != nil || desc.Nodegroup.Status != ekstypes.NodegroupStatusUpdating || aws.ToInt32(desc.Nodegroup.ScalingConfig.DesiredSize) != 3 || desc.Nodegroup.Labels["team"] != "a" {
		t.Errorf("describe after update: %+v %v", desc, err)
	}
	if _, err := f.eks.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("ngapi")}); errorCode(err) != keks.CodeResourceInUse {
		t.Errorf("delete cluster with a node group: %v", err)
	}
	setNodegroupStatus(t, "ngapi", "workers", keks.NodegroupActive)
	del, err := f.eks.DeleteNodegroup(ctx, &eks.DeleteNodegroupInput{ClusterName: aws.String("ngapi"), NodegroupName: aws.String("workers")})
	if err != nil || del.Nodegroup.Status != ekstypes.NodegroupStatusDeleting {
		t.Errorf("delete: %v %v", del, err)
	}
	if _, err := f.eks.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String("ngapi"), NodegroupName: aws.String("none")}); errorCode(err) != keks.CodeResourceNotFound {
		t.Errorf("describe missing: %v", err)
	}
}

func setNodegroupStatus(t *testing.T, cluster, name, status string) {
	t.Helper()
	ctx := context.Background()
	ng, err := testServer.models.EKS.GetNodegroup(ctx, "us-east-1", cluster, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testServer.models.EKS.SetNodegroup(ctx, ng, func(n *keks.Nodegroup) error { n.Status = status; return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestAddonAPI(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	activeCluster(t, f, "addonapi")
	list, err := f.eks.ListAddons(ctx, &eks.ListAddonsInput{ClusterName: aws.String("addonapi")})
	if err != nil || strings.Join(list.Addons, ",") != "coredns,kube-proxy,vpc-cni" {
		t.Fatalf("a new cluster's add-ons: %v %v", list, err)
	}
	vers, err := f.eks.DescribeAddonVersions(ctx, &eks.DescribeAddonVersionsInput{AddonName: aws.String("kube-proxy"), KubernetesVersion: aws.String(keksDefaultVersion())})
	if err != nil || len(vers.Addons) != 1 || len(vers.Addons[0].AddonVersions) != 1 || !vers.Addons[0].AddonVersions[0].Compatibilities[0].DefaultVersion {
		t.Fatalf("describe-addon-versions: %+v %v", vers, err)
	}
	av := vers.Addons[0].AddonVersions[0].AddonVersion
	schema, err := f.eks.DescribeAddonConfiguration(ctx, &eks.DescribeAddonConfigurationInput{AddonName: aws.String("kube-proxy"), AddonVersion: av})
	if err != nil || !strings.Contains(aws.ToString(schema.ConfigurationSchema), `"type":"object"`) {
		t.Errorf("describe-addon-configuration: %v %v", schema, err)
	}
	if _, err := f.eks.DescribeAddonConfiguration(ctx, &eks.DescribeAddonConfigurationInput{AddonName: aws.String("kube-proxy"), AddonVersion: aws.String("v0")}); errorCode(err) != keks.CodeResourceNotFound {
		t.Errorf("configuration of an unknown version: %v", err)
	}
	if _, err := f.eks.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String("addonapi"), AddonName: aws.String("coredns")}); errorCode(err) != keks.CodeResourceInUse {
		t.Errorf("duplicate add-on: %v", err)
	}
	if _, err := f.eks.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String("addonapi"), AddonName: aws.String("nope")}); errorCode(err) != keks.CodeInvalidParameter {
		t.Errorf("unknown add-on: %v", err)
	}
	del, err := f.eks.DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: aws.String("addonapi"), AddonName: aws.String("vpc-cni"), Preserve: true})
	if err != nil || del.Addon.Status != ekstypes.AddonStatusDeleting {
		t.Fatalf("delete add-on: %v %v", del, err)
	}
	if _, err := f.eks.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String("addonapi"), AddonName: aws.String("kube-proxy"), AddonVersion: aws.String("v0.0.1")}); errorCode(err) != keks.CodeResourceInUse {
		t.Errorf("existing add-on with a bad version: %v", err)
	}
	if _, err := f.eks.UpdateAddon(ctx, &eks.UpdateAddonInput{ClusterName: aws.String("addonapi"), AddonName: aws.String("coredns"), AddonVersion: aws.String("v9.9.9")}); errorCode(err) != keks.CodeResourceInUse {
		t.Errorf("update of a CREATING add-on: %v", err)
	}
	if _, err := f.eks.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String("addonapi"), AddonName: aws.String("missing")}); errorCode(err) != keks.CodeResourceNotFound {
		t.Errorf("describe missing add-on: %v", err)
	}
}

func TestECRAPI(t *testing.T) {
	ctx := context.Background()
	c := ecr.NewFromConfig(awsConfig())
	out, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("team/app")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Repository.RepositoryName) != "team/app" || !strings.HasSuffix(aws.ToString(out.Repository.RepositoryArn), ":repository/team/app") ||
		out.Repository.ImageTagMutability != ecrtypes.ImageTagMutabilityMutable {
		t.Errorf("repository: %+v", out.Repository)
	}
	if _, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("team/app")}); errorCode(err) != "RepositoryAlreadyExistsException" {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("Bad Name")}); errorCode(err) != "InvalidParameterException" {
		t.Errorf("bad name: %v", err)
	}
	if _, err := c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"missing"}}); errorCode(err) != "RepositoryNotFoundException" {
		t.Errorf("describe missing: %v", err)
	}
	all, err := c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
	if err != nil || len(all.Repositories) != 1 {
		t.Errorf("describe all: %v %v", all, err)
	}
	tok, err := c.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil || len(tok.AuthorizationData) != 1 {
		t.Fatalf("token: %v %v", tok, err)
	}
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(tok.AuthorizationData[0].AuthorizationToken))
	if err != nil || !strings.HasPrefix(string(raw), "AWS:") {
		t.Errorf("token %q does not decode to AWS:<password>: %v", raw, err)
	}
	if _, err := testServer.models.ECR.Check(ctx, strings.TrimPrefix(string(raw), "AWS:")); err != nil {
		t.Errorf("the registry refuses the token: %v", err)
	}
	if _, err := testServer.models.ECR.Check(ctx, strings.TrimPrefix(string(raw), "AWS:")+"x"); err == nil {
		t.Errorf("the registry accepts a tampered token")
	}
	if _, err := c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("team/app")}); err != nil {
		t.Errorf("delete: %v", err)
	}
}
