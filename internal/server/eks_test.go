package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	keks "github.com/keksdev/keks/internal/eks"
)

type fixture struct {
	eks      *eks.Client
	roleARN  string
	subnets  []string // the default VPC's three private subnets, one per zone
	oneZone  []string // two subnets in the same zone
	otherVPC string   // a subnet of another VPC
}

var fx *fixture

func setup(t *testing.T) *fixture {
	t.Helper()
	if fx != nil {
		return fx
	}
	ctx := context.Background()
	cfg := awsConfig()
	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("eksClusterRole"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	e2 := ec2.NewFromConfig(cfg)
	sn, err := e2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("map-public-ip-on-launch"), Values: []string{"false"}}}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{eks: eks.NewFromConfig(cfg), roleARN: aws.ToString(role.Role.Arn)}
	zones := map[string]string{}
	for _, s := range sn.Subnets {
		f.subnets = append(f.subnets, aws.ToString(s.SubnetId))
		zones[aws.ToString(s.SubnetId)] = aws.ToString(s.AvailabilityZone)
	}
	all, err := e2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("availability-zone"), Values: []string{"us-east-1a"}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all.Subnets {
		f.oneZone = append(f.oneZone, aws.ToString(s.SubnetId))
	}
	vpc, err := e2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.20.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	other, err := e2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.20.1.0/24"), AvailabilityZone: aws.String("us-east-1b")})
	if err != nil {
		t.Fatal(err)
	}
	f.otherVPC = aws.ToString(other.Subnet.SubnetId)
	fx = f
	return f
}

func (f *fixture) create(name string, mod ...func(*eks.CreateClusterInput)) (*eks.CreateClusterOutput, error) {
	in := &eks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String(f.roleARN), ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: f.subnets}}
	for _, m := range mod {
		m(in)
	}
	return f.eks.CreateCluster(context.Background(), in)
}

func TestCreateClusterValidation(t *testing.T) {
	f := setup(t)
	cases := []struct {
		name string
		mod  func(*eks.CreateClusterInput)
		code string
		msg  string
	}{
		{"bad name", func(in *eks.CreateClusterInput) { in.Name = aws.String("-bad") }, "InvalidParameterException", "regular expression"},
		{"long name", func(in *eks.CreateClusterInput) { in.Name = aws.String(strings.Repeat("a", 101)) }, "InvalidParameterException", "length"},
		{"unknown role", func(in *eks.CreateClusterInput) {
			in.RoleArn = aws.String(strings.Replace(f.roleARN, "eksClusterRole", "nope", 1))
		}, "InvalidParameterException", "could not be assumed"},
		{"one subnet", func(in *eks.CreateClusterInput) { in.ResourcesVpcConfig.SubnetIds = f.subnets[:1] }, "InvalidParameterException", "at least two different AZs"},
		{"one zone", func(in *eks.CreateClusterInput) { in.ResourcesVpcConfig.SubnetIds = f.oneZone }, "InvalidParameterException", "at least two different AZs"},
		{"unknown subnet", func(in *eks.CreateClusterInput) {
			in.ResourcesVpcConfig.SubnetIds = []string{f.subnets[0], "subnet-0000000000000000"}
		}, "InvalidParameterException", "does not exist"},
		{"two VPCs", func(in *eks.CreateClusterInput) {
			in.ResourcesVpcConfig.SubnetIds = []string{f.subnets[0], f.otherVPC}
		}, "InvalidParameterException", "same VPC"},
		{"unsupported version", func(in *eks.CreateClusterInput) { in.Version = aws.String("1.20") }, "InvalidParameterException", "unsupported Kubernetes version"},
		{"public service CIDR", func(in *eks.CreateClusterInput) {
			in.KubernetesNetworkConfig = &ekstypes.KubernetesNetworkConfigRequest{ServiceIpv4Cidr: aws.String("8.8.0.0/16")}
		}, "InvalidParameterException", "RFC 1918"},
		{"service CIDR overlaps VPC", func(in *eks.CreateClusterInput) {
			in.KubernetesNetworkConfig = &ekstypes.KubernetesNetworkConfigRequest{ServiceIpv4Cidr: aws.String("172.31.0.0/16")}
		}, "InvalidParameterException", "overlaps"},
		{"bad log type", func(in *eks.CreateClusterInput) {
			in.Logging = &ekstypes.Logging{ClusterLogging: []ekstypes.LogSetup{{Types: []ekstypes.LogType{"kernel"}, Enabled: aws.Bool(true)}}}
		}, "InvalidParameterException", "enum"},
		{"bad public CIDR", func(in *eks.CreateClusterInput) { in.ResourcesVpcConfig.PublicAccessCidrs = []string{"300.0.0.0/8"} }, "InvalidParameterException", "invalid"},
		{"no endpoint access", func(in *eks.CreateClusterInput) {
			in.ResourcesVpcConfig.EndpointPublicAccess, in.ResourcesVpcConfig.EndpointPrivateAccess = aws.Bool(false), aws.Bool(false)
		}, "InvalidParameterException", "At least one"},
		{"reserved tag", func(in *eks.CreateClusterInput) { in.Tags = map[string]string{"aws:x": "y"} }, "InvalidParameterException", "aws:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.create("valid-name", tc.mod)
			if code := apiErrorCode(t, err); code != tc.code || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %s (%v), want %s containing %q", code, err, tc.code, tc.msg)
			}
		})
	}
	if _, err := f.eks.DescribeCluster(context.Background(), &eks.DescribeClusterInput{Name: aws.String("valid-name")}); err == nil {
		t.Fatal("a refused create left a cluster behind")
	}
}

func TestClusterLifecycleAPI(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	out, err := f.create("life", func(in *eks.CreateClusterInput) {
		in.Tags = map[string]string{"team": "a"}
		in.Logging = &ekstypes.Logging{ClusterLogging: []ekstypes.LogSetup{{Types: []ekstypes.LogType{"api", "audit"}, Enabled: aws.Bool(true)}}}
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Cluster
	if c.Status != ekstypes.ClusterStatusCreating || aws.ToString(c.Version) != keksDefaultVersion() || !strings.HasPrefix(aws.ToString(c.Arn), "arn:aws:eks:us-east-1:") {
		t.Fatalf("create answered %+v", c)
	}
	if c.CreatedAt == nil || c.ResourcesVpcConfig == nil || aws.ToString(c.ResourcesVpcConfig.VpcId) == "" || aws.ToString(c.ResourcesVpcConfig.ClusterSecurityGroupId) == "" {
		t.Fatalf("create lacks createdAt or vpc config: %+v", c.ResourcesVpcConfig)
	}
	if c.KubernetesNetworkConfig == nil || aws.ToString(c.KubernetesNetworkConfig.ServiceIpv4Cidr) != "10.100.0.0/16" || c.AccessConfig.AuthenticationMode != ekstypes.AuthenticationModeConfigMap {
		t.Fatalf("defaults: %+v %+v", c.KubernetesNetworkConfig, c.AccessConfig)
	}
	if _, err := f.create("life"); apiErrorCode(t, err) != "ResourceInUseException" {
		t.Fatalf("duplicate name: %v", err)
	}
	d, err := f.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("life")})
	if err != nil || d.Cluster.Tags["team"] != "a" || len(d.Cluster.Logging.ClusterLogging) != 2 {
		t.Fatalf("describe: %v %+v", err, d)
	}
	if _, err := f.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("nope")}); apiErrorCode(t, err) != "ResourceNotFoundException" || !strings.Contains(err.Error(), "No cluster found for name: nope.") {
		t.Fatalf("describe missing: %v", err)
	}
	// Updates need an ACTIVE cluster.
	_, err = f.eks.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String("life"), ResourcesVpcConfig: &ekstypes.VpcConfigRequest{EndpointPrivateAccess: aws.Bool(true)}})
	if apiErrorCode(t, err) != "InvalidRequestException" {
		t.Fatalf("update of CREATING cluster: %v", err)
	}
	markActive(t, "life")
	_, err = f.eks.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String("life"), ResourcesVpcConfig: &ekstypes.VpcConfigRequest{EndpointPrivateAccess: aws.Bool(false)}})
	if apiErrorCode(t, err) != "InvalidParameterException" || !strings.Contains(err.Error(), "already at the desired configuration") {
		t.Fatalf("no-op update: %v", err)
	}
	_, err = f.eks.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String("life"), ResourcesVpcConfig: &ekstypes.VpcConfigRequest{EndpointPrivateAccess: aws.Bool(true)},
		Logging: &ekstypes.Logging{ClusterLogging: []ekstypes.LogSetup{{Types: []ekstypes.LogType{"scheduler"}, Enabled: aws.Bool(true)}}}})
	if apiErrorCode(t, err) != "InvalidParameterException" || !strings.Contains(err.Error(), "Only one type of update") {
		t.Fatalf("two kinds in one update: %v", err)
	}
	up, err := f.eks.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String("life"), ResourcesVpcConfig: &ekstypes.VpcConfigRequest{EndpointPrivateAccess: aws.Bool(true), PublicAccessCidrs: []string{"203.0.113.5/32"}}})
	if err != nil || up.Update.Type != ekstypes.UpdateTypeEndpointAccessUpdate || up.Update.Status != ekstypes.UpdateStatusInProgress || len(up.Update.Params) != 3 {
		t.Fatalf("endpoint update: %v %+v", err, up)
	}
	_, err = f.eks.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String("life"), Logging: &ekstypes.Logging{ClusterLogging: []ekstypes.LogSetup{{Types: []ekstypes.LogType{"scheduler"}, Enabled: aws.Bool(true)}}}})
	if apiErrorCode(t, err) != "ResourceInUseException" {
		t.Fatalf("second update while one is in progress: %v", err)
	}
	du, err := f.eks.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: aws.String("life"), UpdateId: up.Update.Id})
	if err != nil || aws.ToString(du.Update.Id) != aws.ToString(up.Update.Id) {
		t.Fatalf("describe update: %v", err)
	}
	lu, err := f.eks.ListUpdates(ctx, &eks.ListUpdatesInput{Name: aws.String("life")})
	if err != nil || len(lu.UpdateIds) != 1 {
		t.Fatalf("list updates: %v %+v", err, lu)
	}
	if _, err := f.eks.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: aws.String("life"), UpdateId: aws.String("nope")}); apiErrorCode(t, err) != "ResourceNotFoundException" {
		t.Fatalf("describe missing update: %v", err)
	}
	finishUpdates(t, "life")
	for _, v := range []struct{ version, msg string }{{"1.37", "already"}, {"1.35", "Unsupported Kubernetes minor version update"}, {"1.99", "unsupported Kubernetes version"}} {
		if _, err := f.eks.UpdateClusterVersion(ctx, &eks.UpdateClusterVersionInput{Name: aws.String("life"), Version: aws.String(v.version)}); apiErrorCode(t, err) != "InvalidParameterException" || !strings.Contains(err.Error(), v.msg) {
			t.Fatalf("update version to %s: %v", v.version, err)
		}
	}
	// Tags.
	arn := d.Cluster.Arn
	if _, err := f.eks.TagResource(ctx, &eks.TagResourceInput{ResourceArn: arn, Tags: map[string]string{"env": "dev"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eks.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := f.eks.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: arn})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["env"] != "dev" {
		t.Fatalf("tags: %v %+v", err, tags)
	}
	if _, err := f.eks.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: aws.String(strings.Replace(*arn, "life", "nope", 1))}); apiErrorCode(t, err) != "NotFoundException" {
		t.Fatalf("tags of missing cluster: %v", err)
	}
	if _, err := f.eks.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: aws.String("not-an-arn")}); apiErrorCode(t, err) != "BadRequestException" {
		t.Fatalf("tags of bad ARN: %v", err)
	}
	// Delete.
	del, err := f.eks.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("life")})
	if err != nil || del.Cluster.Status != ekstypes.ClusterStatusDeleting {
		t.Fatalf("delete: %v %+v", err, del)
	}
	if _, err := f.eks.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("nope")}); apiErrorCode(t, err) != "ResourceNotFoundException" {
		t.Fatalf("delete missing: %v", err)
	}
}

func TestDeletionProtection(t *testing.T) {
	f := setup(t)
	if _, err := f.create("protected", func(in *eks.CreateClusterInput) { in.DeletionProtection = aws.Bool(true) }); err != nil {
		t.Fatal(err)
	}
	_, err := f.eks.DeleteCluster(context.Background(), &eks.DeleteClusterInput{Name: aws.String("protected")})
	if apiErrorCode(t, err) != "InvalidRequestException" {
		t.Fatalf("delete of protected cluster: %v", err)
	}
}

func TestListClustersPagination(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if _, err := f.create(fmt.Sprintf("page-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	pages := 0
	p := eks.NewListClustersPaginator(f.eks, &eks.ListClustersInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Clusters) > 2 {
			t.Fatalf("page of %d > maxResults 2", len(out.Clusters))
		}
		pages++
		names = append(names, out.Clusters...)
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Fatalf("%s listed twice", n)
		}
		seen[n] = true
	}
	for i := 0; i < 5; i++ {
		if !seen[fmt.Sprintf("page-%d", i)] {
			t.Fatalf("page-%d missing from %v", i, names)
		}
	}
	if pages < 3 {
		t.Fatalf("%d pages for %d clusters at 2 per page", pages, len(names))
	}
	if _, err := f.eks.ListClusters(ctx, &eks.ListClustersInput{MaxResults: aws.Int32(101)}); apiErrorCode(t, err) != "InvalidParameterException" {
		t.Fatalf("maxResults 101: %v", err)
	}
	if _, err := f.eks.ListClusters(ctx, &eks.ListClustersInput{NextToken: aws.String("garbage")}); apiErrorCode(t, err) != "InvalidParameterException" {
		t.Fatalf("bad token: %v", err)
	}
}

func TestDescribeClusterVersions(t *testing.T) {
	f := setup(t)
	out, err := f.eks.DescribeClusterVersions(context.Background(), &eks.DescribeClusterVersionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ClusterVersions) < 4 {
		t.Fatalf("want 1.34..1.37, got %d versions", len(out.ClusterVersions))
	}
	defaults := 0
	for _, v := range out.ClusterVersions {
		if v.ReleaseDate == nil || v.EndOfStandardSupportDate == nil || v.EndOfExtendedSupportDate == nil || aws.ToString(v.KubernetesPatchVersion) == "" {
			t.Fatalf("version %s lacks dates or patch version", aws.ToString(v.ClusterVersion))
		}
		if !v.EndOfStandardSupportDate.Before(*v.EndOfExtendedSupportDate) {
			t.Fatalf("version %s: standard support ends after extended", aws.ToString(v.ClusterVersion))
		}
		if v.DefaultVersion {
			defaults++
		}
	}
	if defaults != 1 {
		t.Fatalf("%d default versions", defaults)
	}
	only, err := f.eks.DescribeClusterVersions(context.Background(), &eks.DescribeClusterVersionsInput{DefaultOnly: aws.Bool(true)})
	if err != nil || len(only.ClusterVersions) != 1 || aws.ToString(only.ClusterVersions[0].ClusterVersion) != keksDefaultVersion() {
		t.Fatalf("defaultOnly: %v %+v", err, only)
	}
	some, err := f.eks.DescribeClusterVersions(context.Background(), &eks.DescribeClusterVersionsInput{ClusterVersions: []string{"1.35", "1.36"}})
	if err != nil || len(some.ClusterVersions) != 2 {
		t.Fatalf("clusterVersions filter: %v %+v", err, some)
	}
}

func markActive(t *testing.T, name string) {
	t.Helper()
	_, err := testServer.models.EKS.SetStatus(context.Background(), "us-east-1", name, func(c *keks.Cluster) error {
		c.Status.Phase = keks.StatusActive
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func finishUpdates(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	c, err := testServer.models.EKS.GetCluster(ctx, "us-east-1", name)
	if err != nil {
		t.Fatal(err)
	}
	ups, err := testServer.models.EKS.PendingUpdates(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups {
		if err := testServer.models.EKS.FinishUpdate(ctx, u, nil); err != nil {
			t.Fatal(err)
		}
	}
	markActive(t, name)
}
