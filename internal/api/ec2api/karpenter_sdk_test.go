package ec2api

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// oneKey is a front door with one access key, allowed everything.
type oneKey struct{}

func (oneKey) ResolveAccessKey(context.Context, string) (string, string, awsproto.Principal, error) {
	return "secret", "", awsproto.Principal{Account: testAccount, ARN: "arn:aws:iam::" + testAccount + ":user/alice", AccessKeyID: "AKIDKEKS"}, nil
}

// sdkClient serves w's handler behind a Router and returns an
// aws-sdk-go-v2 EC2 client of it: the shapes Karpenter's SDK parses.
func sdkClient(t *testing.T, w *world) *sdk.Client {
	t.Helper()
	rt := &awsproto.Router{Keys: oneKey{}, Services: map[string]*awsproto.Service{"ec2": w.h.Service()}, Region: testRegion,
		Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	return sdk.New(sdk.Options{Region: testRegion, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDKEKS", "secret", "")})
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Errorf("%s: error %v, want %s", what, err, code)
	}
}

func TestInstanceTypesWithSDK(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	c := sdkClient(t, w)

	_, err := c.DescribeInstanceTypes(ctx, &sdk.DescribeInstanceTypesInput{DryRun: aws.Bool(true)})
	wantCode(t, "dry run", err, "DryRunOperation")

	// Karpenter's query: hvm, x86_64 or arm64, 100 a page.
	var all []types.InstanceTypeInfo
	p := sdk.NewDescribeInstanceTypesPaginator(c, &sdk.DescribeInstanceTypesInput{MaxResults: aws.Int32(5), Filters: []types.Filter{
		{Name: aws.String("supported-virtualization-type"), Values: []string{"hvm"}},
		{Name: aws.String("processor-info.supported-architecture"), Values: []string{"x86_64", "arm64"}}}})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, out.InstanceTypes...)
	}
	if len(all) != len(ec2.InstanceTypes) {
		t.Fatalf("%d types over the pages, want %d", len(all), len(ec2.InstanceTypes))
	}
	for _, it := range all {
		want := ec2.InstanceTypes[string(it.InstanceType)]
		n := it.NetworkInfo
		if aws.ToInt32(it.VCpuInfo.DefaultVCpus) != int32(want.VCPUs) || aws.ToInt64(it.MemoryInfo.SizeInMiB) != want.MemoryMB ||
			it.ProcessorInfo.SupportedArchitectures[0] != types.ArchitectureTypeX8664 || it.Hypervisor != types.InstanceTypeHypervisorNitro ||
			aws.ToInt32(n.NetworkCards[aws.ToInt32(n.DefaultNetworkCardIndex)].MaximumNetworkInterfaces) != int32(want.ENIs) ||
			!slices.Contains(it.SupportedUsageClasses, types.UsageClassTypeSpot) || n.EnaSupport != types.EnaSupportRequired ||
			aws.ToBool(it.BareMetal) || it.EbsInfo.EbsOptimizedInfo == nil {
			t.Errorf("%s: %+v", it.InstanceType, it)
		}
		// MaxPods is the ENI formula Karpenter and the EKS AMI use.
		if got := int(aws.ToInt32(n.MaximumNetworkInterfaces))*(int(aws.ToInt32(n.Ipv4AddressesPerInterface))-1) + 2; got != want.MaxPods {
			t.Errorf("%s: ENI formula gives %d pods, the table %d", it.InstanceType, got, want.MaxPods)
		}
	}
	_, err = c.DescribeInstanceTypes(ctx, &sdk.DescribeInstanceTypesInput{InstanceTypes: []types.InstanceType{"m5.large", "p5.48xlarge"}})
	wantCode(t, "an unknown type", err, "InvalidInstanceType")
	_, err = c.DescribeInstanceTypes(ctx, &sdk.DescribeInstanceTypesInput{Filters: []types.Filter{{Name: aws.String("bogus"), Values: []string{"x"}}}})
	wantCode(t, "an unknown filter", err, "InvalidParameterValue")

	offers, err := c.DescribeInstanceTypeOfferings(ctx, &sdk.DescribeInstanceTypeOfferingsInput{LocationType: types.LocationTypeAvailabilityZone,
		MaxResults: aws.Int32(1000), Filters: []types.Filter{{Name: aws.String("instance-type"), Values: []string{"t3.*"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(offers.InstanceTypeOfferings) != 5*3 || offers.InstanceTypeOfferings[0].LocationType != types.LocationTypeAvailabilityZone ||
		!strings.HasPrefix(aws.ToString(offers.InstanceTypeOfferings[0].Location), testRegion) {
		t.Errorf("t3 offerings by zone: %+v", offers.InstanceTypeOfferings)
	}
	byID, err := c.DescribeInstanceTypeOfferings(ctx, &sdk.DescribeInstanceTypeOfferingsInput{LocationType: types.LocationTypeAvailabilityZoneId,
		Filters: []types.Filter{{Name: aws.String("location"), Values: []string{"use1-az2"}}, {Name: aws.String("instance-type"), Values: []string{"m5.large"}}}})
	if err != nil || len(byID.InstanceTypeOfferings) != 1 {
		t.Errorf("m5.large in use1-az2: %+v %v", byID, err)
	}

	// Types no host of a zone can run are not offered there.
	w.h.EC2.MaxVCPUs = func(_ context.Context, zone string) int {
		return map[bool]int{true: 4, false: 2}[zone == testRegion+"a"]
	}
	small, err := c.DescribeInstanceTypeOfferings(ctx, &sdk.DescribeInstanceTypeOfferingsInput{LocationType: types.LocationTypeAvailabilityZone,
		Filters: []types.Filter{{Name: aws.String("instance-type"), Values: []string{"m5.*"}}}})
	if err != nil || len(small.InstanceTypeOfferings) != 1+1+1+1 {
		t.Errorf("m5 offerings on small hosts (m5.large in 3 zones, m5.xlarge in one): %+v %v", small, err)
	}
	w.h.EC2.MaxVCPUs = nil

	spot, err := c.DescribeSpotPriceHistory(ctx, &sdk.DescribeSpotPriceHistoryInput{ProductDescriptions: []string{"Linux/UNIX", "Linux/UNIX (Amazon VPC)"}, MaxResults: aws.Int32(2000)})
	if err != nil {
		t.Fatal(err)
	}
	if len(spot.SpotPriceHistory) != len(ec2.InstanceTypes)*3 || aws.ToString(spot.SpotPriceHistory[0].SpotPrice) == "" ||
		spot.SpotPriceHistory[0].Timestamp == nil || aws.ToString(spot.SpotPriceHistory[0].AvailabilityZone) == "" {
		t.Errorf("spot prices: %d, first %+v", len(spot.SpotPriceHistory), spot.SpotPriceHistory[0])
	}
	none, err := c.DescribeSpotPriceHistory(ctx, &sdk.DescribeSpotPriceHistoryInput{ProductDescriptions: []string{"Windows"}})
	if err != nil || len(none.SpotPriceHistory) != 0 {
		t.Errorf("Windows spot prices: %+v %v", none, err)
	}
}

func TestImagesAndInstanceStatusWithSDK(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	c := sdkClient(t, w)
	img := ec2.NodeImages()[0]

	out, err := c.DescribeImages(ctx, &sdk.DescribeImagesInput{ImageIds: []string{img.ID}, IncludeDeprecated: aws.Bool(true),
		Filters: []types.Filter{{Name: aws.String("state"), Values: []string{"available"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Images) != 1 || out.Images[0].Architecture != types.ArchitectureValuesX8664 || aws.ToString(out.Images[0].Name) != img.Name ||
		aws.ToString(out.Images[0].CreationDate) == "" || out.Images[0].State != types.ImageStateAvailable ||
		aws.ToString(out.Images[0].PlatformDetails) != "Linux/UNIX" || len(out.Images[0].BlockDeviceMappings) != 1 {
		t.Errorf("image by id: %+v", out.Images)
	}
	named, err := c.DescribeImages(ctx, &sdk.DescribeImagesInput{Owners: []string{"self", "amazon"},
		Filters: []types.Filter{{Name: aws.String("name"), Values: []string{"amazon-eks-node-al2023-x86_64-standard-*"}}}})
	if err != nil || len(named.Images) != len(ec2.NodeImages()) {
		t.Errorf("images by name: %d %v", len(named.Images), err)
	}
	mine, err := c.DescribeImages(ctx, &sdk.DescribeImagesInput{Owners: []string{"self"}})
	if err != nil || len(mine.Images) != 0 {
		t.Errorf("the account's own images: %+v %v", mine, err)
	}
	_, err = c.DescribeImages(ctx, &sdk.DescribeImagesInput{ImageIds: []string{"ami-0123456789abcdef0"}})
	wantCode(t, "an unknown image", err, "InvalidAMIID.NotFound")
	_, err = c.DescribeImages(ctx, &sdk.DescribeImagesInput{ImageIds: []string{"ami-keks-1-20-0-20200101"}})
	wantCode(t, "a node image of a version keks does not run", err, "InvalidAMIID.NotFound")
	_, err = c.DescribeImages(ctx, &sdk.DescribeImagesInput{ImageIds: []string{"bogus"}})
	wantCode(t, "a malformed image id", err, "InvalidAMIID.Malformed")

	// The world's instance is pending: listed with IncludeAllInstances only.
	st, err := c.DescribeInstanceStatus(ctx, &sdk.DescribeInstanceStatusInput{})
	if err != nil || len(st.InstanceStatuses) != 0 {
		t.Errorf("running instances' status: %+v %v", st, err)
	}
	if _, err := w.h.EC2.UpdateInstance(ctx, w.instance.ID, func(in *ec2.Instance) error { in.State = ec2.StateRunning; return nil }); err != nil {
		t.Fatal(err)
	}
	st, err = c.DescribeInstanceStatus(ctx, &sdk.DescribeInstanceStatusInput{IncludeAllInstances: aws.Bool(true)})
	if err != nil || len(st.InstanceStatuses) != 1 || st.InstanceStatuses[0].InstanceStatus.Status != types.SummaryStatusOk ||
		st.InstanceStatuses[0].SystemStatus.Status != types.SummaryStatusOk || st.InstanceStatuses[0].InstanceState.Name != types.InstanceStateNameRunning {
		t.Errorf("all instances' status: %+v %v", st, err)
	}
	// Karpenter's three queries find nothing to act on.
	for _, f := range []types.Filter{{Name: aws.String("instance-status.status"), Values: []string{"impaired"}},
		{Name: aws.String("system-status.status"), Values: []string{"impaired"}},
		{Name: aws.String("event.code"), Values: []string{"instance-reboot", "system-reboot", "system-maintenance", "instance-retirement", "instance-stop"}}} {
		st, err := c.DescribeInstanceStatus(ctx, &sdk.DescribeInstanceStatusInput{IncludeAllInstances: aws.Bool(true), Filters: []types.Filter{f}})
		if err != nil || len(st.InstanceStatuses) != 0 {
			t.Errorf("%s: %+v %v", aws.ToString(f.Name), st, err)
		}
	}
	_, err = c.DescribeInstanceStatus(ctx, &sdk.DescribeInstanceStatusInput{InstanceIds: []string{"i-0123456789abcdef0"}})
	wantCode(t, "an unknown instance", err, "InvalidInstanceID.NotFound")
}

// nodeConfigUserData is user data as Karpenter writes it for AL2023.
var nodeConfigUserData = base64.StdEncoding.EncodeToString([]byte(`MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="//"

--//
Content-Type: application/node.eks.aws

apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  cluster:
    name: demo
  kubelet:
    config:
      maxPods: 20
      registerWithTaints:
      - effect: NoExecute
        key: karpenter.sh/unregistered
    flags:
    - --node-labels="karpenter.sh/nodepool=default"

--//--
`))

func TestLaunchTemplatesAndFleetWithSDK(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	c := sdkClient(t, w)
	name := "karpenter.k8s.aws/1234567890"

	_, err := c.DescribeLaunchTemplates(ctx, &sdk.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{name}})
	wantCode(t, "a template not made yet", err, "InvalidLaunchTemplateName.NotFoundException")

	made, err := c.CreateLaunchTemplate(ctx, &sdk.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(ec2.NodeImages()[0].ID), UserData: aws.String(nodeConfigUserData),
			IamInstanceProfile: &types.LaunchTemplateIamInstanceProfileSpecificationRequest{Name: aws.String("nodes")},
			SecurityGroupIds:   []string{w.group.ID},
			MetadataOptions:    &types.LaunchTemplateInstanceMetadataOptionsRequest{HttpTokens: types.LaunchTemplateHttpTokensStateRequired},
			TagSpecifications: []types.LaunchTemplateTagSpecificationRequest{{ResourceType: types.ResourceTypeInstance,
				Tags: []types.Tag{{Key: aws.String("from"), Value: aws.String("template")}, {Key: aws.String("team"), Value: aws.String("template")}}}}},
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeLaunchTemplate,
			Tags: []types.Tag{{Key: aws.String("karpenter.k8s.aws/cluster"), Value: aws.String("demo")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	lt := made.LaunchTemplate
	if !strings.HasPrefix(aws.ToString(lt.LaunchTemplateId), "lt-") || aws.ToInt64(lt.LatestVersionNumber) != 1 || len(lt.Tags) != 1 {
		t.Errorf("created: %+v", lt)
	}
	_, err = c.CreateLaunchTemplate(ctx, &sdk.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name), LaunchTemplateData: &types.RequestLaunchTemplateData{}})
	wantCode(t, "a second template of the name", err, "InvalidLaunchTemplateName.AlreadyExistsException")

	found, err := c.DescribeLaunchTemplates(ctx, &sdk.DescribeLaunchTemplatesInput{Filters: []types.Filter{{Name: aws.String("tag:karpenter.k8s.aws/cluster"), Values: []string{"demo"}}}})
	if err != nil || len(found.LaunchTemplates) != 1 || aws.ToString(found.LaunchTemplates[0].LaunchTemplateName) != name {
		t.Errorf("by tag: %+v %v", found, err)
	}

	v2, err := c.CreateLaunchTemplateVersion(ctx, &sdk.CreateLaunchTemplateVersionInput{LaunchTemplateId: lt.LaunchTemplateId, SourceVersion: aws.String("1"),
		VersionDescription: aws.String("bigger"), LaunchTemplateData: &types.RequestLaunchTemplateData{InstanceType: types.InstanceTypeM5Xlarge}})
	if err != nil || aws.ToInt64(v2.LaunchTemplateVersion.VersionNumber) != 2 || v2.LaunchTemplateVersion.LaunchTemplateData.InstanceType != types.InstanceTypeM5Xlarge ||
		aws.ToString(v2.LaunchTemplateVersion.LaunchTemplateData.ImageId) == "" || aws.ToBool(v2.LaunchTemplateVersion.DefaultVersion) {
		t.Fatalf("version 2: %+v %v", v2, err)
	}
	versions, err := c.DescribeLaunchTemplateVersions(ctx, &sdk.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String(name), Versions: []string{"$Latest", "$Default"}})
	if err != nil || len(versions.LaunchTemplateVersions) != 2 {
		t.Fatalf("$Latest and $Default: %+v %v", versions, err)
	}
	data := versions.LaunchTemplateVersions[0].LaunchTemplateData
	if aws.ToString(data.IamInstanceProfile.Name) != "nodes" || !slices.Equal(data.SecurityGroupIds, []string{w.group.ID}) ||
		data.MetadataOptions.HttpTokens != types.LaunchTemplateHttpTokensStateRequired || len(data.TagSpecifications) != 1 ||
		len(data.TagSpecifications[0].Tags) != 2 || aws.ToString(data.UserData) != nodeConfigUserData {
		t.Errorf("the template's data: %+v", data)
	}
	if _, err := c.ModifyLaunchTemplate(ctx, &sdk.ModifyLaunchTemplateInput{LaunchTemplateName: aws.String(name), DefaultVersion: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ModifyLaunchTemplate(ctx, &sdk.ModifyLaunchTemplateInput{LaunchTemplateName: aws.String(name), DefaultVersion: aws.String("9")})
	wantCode(t, "a default that does not exist", err, "InvalidLaunchTemplateId.VersionNotFound")

	// RunInstances from version 1: the request's tags win, the template gives the rest.
	run, err := c.RunInstances(ctx, &sdk.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: aws.String(w.subnet.ID),
		InstanceType:   types.InstanceTypeT3Medium,
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String(name), Version: aws.String("1")},
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstance,
			Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("request")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	in, err := w.h.EC2.GetInstance(ctx, aws.ToString(run.Instances[0].InstanceId))
	if err != nil {
		t.Fatal(err)
	}
	if in.InstanceType != "t3.medium" || in.ImageID != ec2.NodeImages()[0].ID || !strings.HasSuffix(in.RoleARN, "role/eks/nodes") ||
		!slices.Equal(in.SecurityGroupIDs, []string{w.group.ID}) || in.Tags["team"] != "request" || in.Tags["from"] != "template" ||
		in.Tags["kubernetes.io/cluster/demo"] != "owned" || in.NodeLabels["karpenter.sh/nodepool"] != "default" ||
		!slices.Equal(in.NodeTaints, []string{"karpenter.sh/unregistered:NoExecute"}) || in.MaxPods != 20 {
		t.Errorf("launched from the template: %+v", in)
	}
	_, err = c.RunInstances(ctx, &sdk.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: aws.String(w.subnet.ID),
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("missing"), Version: aws.String("$Latest")}})
	wantCode(t, "a launch from a missing template", err, "InvalidLaunchTemplateName.NotFoundException")
	_, err = c.RunInstances(ctx, &sdk.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1), DryRun: aws.Bool(true),
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String(name), Version: aws.String("$Latest")}})
	wantCode(t, "Karpenter's dry run", err, "DryRunOperation")

	// CreateFleet as Karpenter asks: the hosts have 2 CPUs, so the 4-vCPU
	// override fails fast with a capacity error and the next is launched.
	w.h.EC2.MaxVCPUs = func(context.Context, string) int { return 2 }
	spec := &types.FleetLaunchTemplateSpecificationRequest{LaunchTemplateName: aws.String(name), Version: aws.String("$Latest")}
	fleetTags := []types.TagSpecification{
		{ResourceType: types.ResourceTypeFleet, Tags: []types.Tag{{Key: aws.String("karpenter.sh/nodepool"), Value: aws.String("default")}}},
		{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String("karpenter.sh/nodepool"), Value: aws.String("default")}}}}
	fleet, err := c.CreateFleet(ctx, &sdk.CreateFleetInput{Type: types.FleetTypeInstant, TagSpecifications: fleetTags,
		TargetCapacitySpecification: &types.TargetCapacitySpecificationRequest{TotalTargetCapacity: aws.Int32(1), DefaultTargetCapacityType: types.DefaultTargetCapacityTypeOnDemand},
		OnDemandOptions:             &types.OnDemandOptionsRequest{AllocationStrategy: types.FleetOnDemandAllocationStrategyLowestPrice},
		LaunchTemplateConfigs: []types.FleetLaunchTemplateConfigRequest{{LaunchTemplateSpecification: spec, Overrides: []types.FleetLaunchTemplateOverridesRequest{
			{InstanceType: types.InstanceTypeM5Large, SubnetId: aws.String(w.subnet.ID), AvailabilityZone: aws.String(w.subnet.AvailabilityZone)},
			{InstanceType: types.InstanceTypeT3Xlarge, SubnetId: aws.String(w.subnet.ID), AvailabilityZone: aws.String(w.subnet.AvailabilityZone)},
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	// Lowest price first: the m5.large (0.096 an hour) before the t3.xlarge (0.1664).
	if len(fleet.Instances) != 1 || fleet.Instances[0].InstanceType != types.InstanceTypeM5Large || len(fleet.Instances[0].InstanceIds) != 1 ||
		aws.ToString(fleet.Instances[0].LaunchTemplateAndOverrides.Overrides.SubnetId) != w.subnet.ID || !strings.HasPrefix(aws.ToString(fleet.FleetId), "fleet-") ||
		fleet.Instances[0].Lifecycle != types.InstanceLifecycleOnDemand {
		t.Errorf("fleet: %+v", fleet)
	}
	fin, err := w.h.EC2.GetInstance(ctx, fleet.Instances[0].InstanceIds[0])
	if err != nil || fin.Tags["karpenter.sh/nodepool"] != "default" || fin.Tags["from"] != "template" || fin.NodeLabels["karpenter.sh/nodepool"] != "default" {
		t.Errorf("the fleet's instance: %+v %v", fin, err)
	}
	// Only an override that cannot fit: its error comes back, no instance.
	failed, err := c.CreateFleet(ctx, &sdk.CreateFleetInput{Type: types.FleetTypeInstant,
		TargetCapacitySpecification: &types.TargetCapacitySpecificationRequest{TotalTargetCapacity: aws.Int32(1)},
		LaunchTemplateConfigs: []types.FleetLaunchTemplateConfigRequest{{LaunchTemplateSpecification: spec, Overrides: []types.FleetLaunchTemplateOverridesRequest{
			{InstanceType: types.InstanceTypeC5Xlarge, SubnetId: aws.String(w.subnet.ID)}}}}})
	if err != nil || len(failed.Instances) != 0 || len(failed.Errors) != 1 || aws.ToString(failed.Errors[0].ErrorCode) != "InsufficientInstanceCapacity" ||
		failed.Errors[0].LaunchTemplateAndOverrides.Overrides.InstanceType != types.InstanceTypeC5Xlarge {
		t.Errorf("a fleet without capacity: %+v %v", failed, err)
	}
	// A spot fleet's instance is a spot instance to DescribeInstances.
	spotFleet, err := c.CreateFleet(ctx, &sdk.CreateFleetInput{Type: types.FleetTypeInstant,
		TargetCapacitySpecification: &types.TargetCapacitySpecificationRequest{TotalTargetCapacity: aws.Int32(1), DefaultTargetCapacityType: types.DefaultTargetCapacityTypeSpot},
		SpotOptions:                 &types.SpotOptionsRequest{AllocationStrategy: types.SpotAllocationStrategyPriceCapacityOptimized},
		LaunchTemplateConfigs: []types.FleetLaunchTemplateConfigRequest{{LaunchTemplateSpecification: spec, Overrides: []types.FleetLaunchTemplateOverridesRequest{
			{InstanceType: types.InstanceTypeT3Large, SubnetId: aws.String(w.subnet.ID)}}}}})
	if err != nil || len(spotFleet.Instances) != 1 || spotFleet.Instances[0].Lifecycle != types.InstanceLifecycleSpot {
		t.Fatalf("spot fleet: %+v %v", spotFleet, err)
	}
	described, err := c.DescribeInstances(ctx, &sdk.DescribeInstancesInput{Filters: []types.Filter{{Name: aws.String("instance-lifecycle"), Values: []string{"spot"}}}})
	if err != nil || len(described.Reservations) != 1 || described.Reservations[0].Instances[0].InstanceLifecycle != types.InstanceLifecycleTypeSpot ||
		aws.ToString(described.Reservations[0].Instances[0].InstanceId) != spotFleet.Instances[0].InstanceIds[0] {
		t.Errorf("spot instances: %+v %v", described, err)
	}
	_, err = c.CreateFleet(ctx, &sdk.CreateFleetInput{Type: types.FleetTypeMaintain,
		TargetCapacitySpecification: &types.TargetCapacitySpecificationRequest{TotalTargetCapacity: aws.Int32(1)},
		LaunchTemplateConfigs:       []types.FleetLaunchTemplateConfigRequest{{LaunchTemplateSpecification: spec}}})
	wantCode(t, "a maintained fleet", err, "UnsupportedOperation")
	_, err = c.CreateFleet(ctx, &sdk.CreateFleetInput{Type: types.FleetTypeInstant, DryRun: aws.Bool(true),
		TargetCapacitySpecification: &types.TargetCapacitySpecificationRequest{TotalTargetCapacity: aws.Int32(1)},
		LaunchTemplateConfigs:       []types.FleetLaunchTemplateConfigRequest{{LaunchTemplateSpecification: spec}}})
	wantCode(t, "a fleet's dry run", err, "DryRunOperation")

	if _, err := c.CreateTags(ctx, &sdk.CreateTagsInput{Resources: []string{aws.ToString(lt.LaunchTemplateId)},
		Tags: []types.Tag{{Key: aws.String("later"), Value: aws.String("yes")}}}); err != nil {
		t.Fatal(err)
	}
	tagged, err := c.DescribeLaunchTemplates(ctx, &sdk.DescribeLaunchTemplatesInput{Filters: []types.Filter{{Name: aws.String("tag-key"), Values: []string{"later"}}}})
	if err != nil || len(tagged.LaunchTemplates) != 1 || len(tagged.LaunchTemplates[0].Tags) != 2 {
		t.Errorf("tagged later: %+v %v", tagged, err)
	}

	deleted, err := c.DeleteLaunchTemplate(ctx, &sdk.DeleteLaunchTemplateInput{LaunchTemplateId: lt.LaunchTemplateId})
	if err != nil || aws.ToString(deleted.LaunchTemplate.LaunchTemplateName) != name {
		t.Errorf("delete: %+v %v", deleted, err)
	}
	_, err = c.DeleteLaunchTemplate(ctx, &sdk.DeleteLaunchTemplateInput{LaunchTemplateName: aws.String(name)})
	wantCode(t, "a deleted template", err, "InvalidLaunchTemplateName.NotFoundException")
}
