package eksctl

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// fakeAWS records the calls a plan makes, in order, and answers as the
// services would once each operation has finished.
type fakeAWS struct {
	mu     sync.Mutex
	calls  []string
	stacks map[string]*cfntypes.Stack
	bodies map[string]string
	// failStack makes that stack's creation fail with a failed event.
	failStack                   string
	keyPairs                    []string
	oidcARN                     string
	nodegroups, fargate, addons []string
	clusterExists               bool
}

func newFakeAWS() *fakeAWS {
	return &fakeAWS{stacks: map[string]*cfntypes.Stack{}, bodies: map[string]string{}, clusterExists: true}
}

func (f *fakeAWS) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeAWS) clients() Clients {
	return Clients{CFN: f, EKS: &fakeEKS{f}, EC2: &fakeEC2{f}, IAM: &fakeIAM{f}}
}

func notFound(code, msg string) error { return &smithy.GenericAPIError{Code: code, Message: msg} }

func (f *fakeAWS) CreateStack(_ context.Context, in *cloudformation.CreateStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.CreateStackOutput, error) {
	name := aws.ToString(in.StackName)
	f.record("CreateStack %s", name)
	f.mu.Lock()
	defer f.mu.Unlock()
	status := cfntypes.StackStatusCreateComplete
	if name == f.failStack {
		status = cfntypes.StackStatusRollbackComplete
	}
	outputs := []cfntypes.Output{}
	for k, v := range map[string]string{OutputVPC: "vpc-1", OutputSubnetsPublic: "subnet-1,subnet-2", ServiceAccountRoleOutput: "arn:aws:iam::1:role/sa", OutputFargatePodExecutionRoleARN: "arn:aws:iam::1:role/fargate"} {
		outputs = append(outputs, cfntypes.Output{OutputKey: aws.String(k), OutputValue: aws.String(v)})
	}
	f.stacks[name] = &cfntypes.Stack{StackName: in.StackName, StackStatus: status, Tags: in.Tags, Outputs: outputs}
	f.bodies[name] = aws.ToString(in.TemplateBody)
	return &cloudformation.CreateStackOutput{StackId: aws.String("id/" + name)}, nil
}

func (f *fakeAWS) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if in.StackName == nil {
		out := &cloudformation.DescribeStacksOutput{}
		for _, s := range f.stacks {
			out.Stacks = append(out.Stacks, *s)
		}
		return out, nil
	}
	s, ok := f.stacks[aws.ToString(in.StackName)]
	if !ok {
		return nil, notFound("ValidationError", "Stack with id "+aws.ToString(in.StackName)+" does not exist")
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []cfntypes.Stack{*s}}, nil
}

func (f *fakeAWS) DescribeStackEvents(_ context.Context, in *cloudformation.DescribeStackEventsInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error) {
	name := aws.ToString(in.StackName)
	events := []cfntypes.StackEvent{{EventId: aws.String("1"), ResourceType: aws.String("AWS::EC2::VPC"), LogicalResourceId: aws.String("VPC"), ResourceStatus: cfntypes.ResourceStatusCreateInProgress}}
	if name == f.failStack {
		// Newest first, as CloudFormation answers.
		events = append([]cfntypes.StackEvent{{EventId: aws.String("2"), ResourceType: aws.String("AWS::EKS::Cluster"), LogicalResourceId: aws.String("ControlPlane"),
			ResourceStatus: cfntypes.ResourceStatusCreateFailed, ResourceStatusReason: aws.String("Subnets specified must be in at least two different AZs")}}, events...)
	}
	return &cloudformation.DescribeStackEventsOutput{StackEvents: events}, nil
}

func (f *fakeAWS) DeleteStack(_ context.Context, in *cloudformation.DeleteStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error) {
	f.record("DeleteStack %s", aws.ToString(in.StackName))
	f.mu.Lock()
	delete(f.stacks, aws.ToString(in.StackName))
	f.mu.Unlock()
	return &cloudformation.DeleteStackOutput{}, nil
}

func (f *fakeAWS) ListStackResources(_ context.Context, in *cloudformation.ListStackResourcesInput, _ ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error) {
	out := &cloudformation.ListStackResourcesOutput{}
	for _, id := range []string{"SubnetPrivateUSWEST2A", "SubnetPrivateUSWEST2B", "SubnetPublicUSWEST2A"} {
		out.StackResourceSummaries = append(out.StackResourceSummaries, cfntypes.StackResourceSummary{LogicalResourceId: aws.String(id), PhysicalResourceId: aws.String("subnet-" + strings.ToLower(id))})
	}
	return out, nil
}

type fakeEKS struct{ f *fakeAWS }

var now = time.Unix(1700000000, 0)

func (e *fakeEKS) DescribeCluster(_ context.Context, in *eks.DescribeClusterInput, _ ...func(*eks.Options)) (*eks.DescribeClusterOutput, error) {
	if !e.f.clusterExists {
		return nil, &ekstypes.ResourceNotFoundException{Message: aws.String("No cluster found for name: " + aws.ToString(in.Name))}
	}
	return &eks.DescribeClusterOutput{Cluster: &ekstypes.Cluster{
		Name: in.Name, Status: ekstypes.ClusterStatusActive, Version: aws.String("1.37"), CreatedAt: &now,
		Identity: &ekstypes.Identity{Oidc: &ekstypes.OIDC{Issuer: aws.String("https://127.0.0.1:1/id/ABC")}},
	}}, nil
}
func (e *fakeEKS) ListClusters(context.Context, *eks.ListClustersInput, ...func(*eks.Options)) (*eks.ListClustersOutput, error) {
	return &eks.ListClustersOutput{Clusters: []string{"demo"}}, nil
}
func (e *fakeEKS) DeleteCluster(_ context.Context, in *eks.DeleteClusterInput, _ ...func(*eks.Options)) (*eks.DeleteClusterOutput, error) {
	e.f.record("DeleteCluster %s", aws.ToString(in.Name))
	e.f.clusterExists = false
	return &eks.DeleteClusterOutput{}, nil
}
func (e *fakeEKS) UpdateClusterConfig(_ context.Context, in *eks.UpdateClusterConfigInput, _ ...func(*eks.Options)) (*eks.UpdateClusterConfigOutput, error) {
	e.f.record("UpdateClusterConfig logging %v", in.Logging.ClusterLogging[0].Types)
	return &eks.UpdateClusterConfigOutput{Update: &ekstypes.Update{Id: aws.String("u1")}}, nil
}
func (e *fakeEKS) UpdateClusterVersion(_ context.Context, in *eks.UpdateClusterVersionInput, _ ...func(*eks.Options)) (*eks.UpdateClusterVersionOutput, error) {
	e.f.record("UpdateClusterVersion %s", aws.ToString(in.Version))
	return &eks.UpdateClusterVersionOutput{Update: &ekstypes.Update{Id: aws.String("u2")}}, nil
}
func (e *fakeEKS) DescribeUpdate(context.Context, *eks.DescribeUpdateInput, ...func(*eks.Options)) (*eks.DescribeUpdateOutput, error) {
	return &eks.DescribeUpdateOutput{Update: &ekstypes.Update{Status: ekstypes.UpdateStatusSuccessful}}, nil
}
func (e *fakeEKS) ListNodegroups(context.Context, *eks.ListNodegroupsInput, ...func(*eks.Options)) (*eks.ListNodegroupsOutput, error) {
	return &eks.ListNodegroupsOutput{Nodegroups: e.f.nodegroups}, nil
}
func (e *fakeEKS) DescribeNodegroup(_ context.Context, in *eks.DescribeNodegroupInput, _ ...func(*eks.Options)) (*eks.DescribeNodegroupOutput, error) {
	for _, n := range e.f.nodegroups {
		if n == aws.ToString(in.NodegroupName) {
			return &eks.DescribeNodegroupOutput{Nodegroup: &ekstypes.Nodegroup{NodegroupName: in.NodegroupName, Status: ekstypes.NodegroupStatusActive,
				ScalingConfig: &ekstypes.NodegroupScalingConfig{MinSize: aws.Int32(1), MaxSize: aws.Int32(3), DesiredSize: aws.Int32(2)},
				InstanceTypes: []string{"t3.medium"}, AmiType: ekstypes.AMITypesAl2023X8664Standard, CreatedAt: &now}}, nil
		}
	}
	return nil, &ekstypes.ResourceNotFoundException{Message: aws.String("nodegroup not found")}
}
func (e *fakeEKS) DeleteNodegroup(_ context.Context, in *eks.DeleteNodegroupInput, _ ...func(*eks.Options)) (*eks.DeleteNodegroupOutput, error) {
	e.f.record("DeleteNodegroup %s", aws.ToString(in.NodegroupName))
	e.f.nodegroups = remove(e.f.nodegroups, aws.ToString(in.NodegroupName))
	return &eks.DeleteNodegroupOutput{}, nil
}
func (e *fakeEKS) UpdateNodegroupConfig(_ context.Context, in *eks.UpdateNodegroupConfigInput, _ ...func(*eks.Options)) (*eks.UpdateNodegroupConfigOutput, error) {
	s := in.ScalingConfig
	e.f.record("UpdateNodegroupConfig %s %d/%d/%d", aws.ToString(in.NodegroupName), aws.ToInt32(s.MinSize), aws.ToInt32(s.DesiredSize), aws.ToInt32(s.MaxSize))
	return &eks.UpdateNodegroupConfigOutput{Update: &ekstypes.Update{Id: aws.String("u3")}}, nil
}
func (e *fakeEKS) UpdateNodegroupVersion(_ context.Context, in *eks.UpdateNodegroupVersionInput, _ ...func(*eks.Options)) (*eks.UpdateNodegroupVersionOutput, error) {
	e.f.record("UpdateNodegroupVersion %s", aws.ToString(in.NodegroupName))
	return &eks.UpdateNodegroupVersionOutput{Update: &ekstypes.Update{Id: aws.String("u4")}}, nil
}
func (e *fakeEKS) CreateAddon(_ context.Context, in *eks.CreateAddonInput, _ ...func(*eks.Options)) (*eks.CreateAddonOutput, error) {
	e.f.record("CreateAddon %s", aws.ToString(in.AddonName))
	e.f.addons = append(e.f.addons, aws.ToString(in.AddonName))
	return &eks.CreateAddonOutput{}, nil
}
func (e *fakeEKS) DescribeAddon(_ context.Context, in *eks.DescribeAddonInput, _ ...func(*eks.Options)) (*eks.DescribeAddonOutput, error) {
	for _, a := range e.f.addons {
		if a == aws.ToString(in.AddonName) {
			return &eks.DescribeAddonOutput{Addon: &ekstypes.Addon{AddonName: in.AddonName, Status: ekstypes.AddonStatusActive, AddonVersion: aws.String("v1")}}, nil
		}
	}
	return nil, &ekstypes.ResourceNotFoundException{Message: aws.String("addon not found")}
}
func (e *fakeEKS) ListAddons(context.Context, *eks.ListAddonsInput, ...func(*eks.Options)) (*eks.ListAddonsOutput, error) {
	return &eks.ListAddonsOutput{Addons: e.f.addons}, nil
}
func (e *fakeEKS) DeleteAddon(_ context.Context, in *eks.DeleteAddonInput, _ ...func(*eks.Options)) (*eks.DeleteAddonOutput, error) {
	e.f.record("DeleteAddon %s", aws.ToString(in.AddonName))
	e.f.addons = remove(e.f.addons, aws.ToString(in.AddonName))
	return &eks.DeleteAddonOutput{}, nil
}
func (e *fakeEKS) CreateFargateProfile(_ context.Context, in *eks.CreateFargateProfileInput, _ ...func(*eks.Options)) (*eks.CreateFargateProfileOutput, error) {
	e.f.record("CreateFargateProfile %s role=%s subnets=%v", aws.ToString(in.FargateProfileName), aws.ToString(in.PodExecutionRoleArn), in.Subnets)
	e.f.fargate = append(e.f.fargate, aws.ToString(in.FargateProfileName))
	return &eks.CreateFargateProfileOutput{}, nil
}
func (e *fakeEKS) DescribeFargateProfile(_ context.Context, in *eks.DescribeFargateProfileInput, _ ...func(*eks.Options)) (*eks.DescribeFargateProfileOutput, error) {
	for _, p := range e.f.fargate {
		if p == aws.ToString(in.FargateProfileName) {
			return &eks.DescribeFargateProfileOutput{FargateProfile: &ekstypes.FargateProfile{FargateProfileName: in.FargateProfileName, Status: ekstypes.FargateProfileStatusActive}}, nil
		}
	}
	return nil, &ekstypes.ResourceNotFoundException{Message: aws.String("profile not found")}
}
func (e *fakeEKS) ListFargateProfiles(context.Context, *eks.ListFargateProfilesInput, ...func(*eks.Options)) (*eks.ListFargateProfilesOutput, error) {
	return &eks.ListFargateProfilesOutput{FargateProfileNames: e.f.fargate}, nil
}
func (e *fakeEKS) DeleteFargateProfile(_ context.Context, in *eks.DeleteFargateProfileInput, _ ...func(*eks.Options)) (*eks.DeleteFargateProfileOutput, error) {
	e.f.record("DeleteFargateProfile %s", aws.ToString(in.FargateProfileName))
	e.f.fargate = remove(e.f.fargate, aws.ToString(in.FargateProfileName))
	return &eks.DeleteFargateProfileOutput{}, nil
}

type fakeEC2 struct{ f *fakeAWS }

func (e *fakeEC2) DescribeSubnets(_ context.Context, in *ec2.DescribeSubnetsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	e.f.record("DescribeSubnets %v", in.SubnetIds)
	out := &ec2.DescribeSubnetsOutput{}
	for i, id := range in.SubnetIds {
		zone := []string{"us-west-2a", "us-west-2b", "us-west-2c"}[i%3]
		out.Subnets = append(out.Subnets, ec2types.Subnet{SubnetId: aws.String(id), VpcId: aws.String("vpc-1"), AvailabilityZone: aws.String(zone), CidrBlock: aws.String(fmt.Sprintf("172.31.%d.0/20", 16*i))})
	}
	return out, nil
}
func (e *fakeEC2) DescribeKeyPairs(_ context.Context, in *ec2.DescribeKeyPairsInput, _ ...func(*ec2.Options)) (*ec2.DescribeKeyPairsOutput, error) {
	out := &ec2.DescribeKeyPairsOutput{}
	for _, k := range e.f.keyPairs {
		if len(in.KeyNames) == 0 || in.KeyNames[0] == k {
			out.KeyPairs = append(out.KeyPairs, ec2types.KeyPairInfo{KeyName: aws.String(k)})
		}
	}
	if len(in.KeyNames) > 0 && len(out.KeyPairs) == 0 {
		return nil, notFound("InvalidKeyPair.NotFound", "The key pair '"+in.KeyNames[0]+"' does not exist")
	}
	return out, nil
}
func (e *fakeEC2) ImportKeyPair(_ context.Context, in *ec2.ImportKeyPairInput, _ ...func(*ec2.Options)) (*ec2.ImportKeyPairOutput, error) {
	e.f.record("ImportKeyPair %s", aws.ToString(in.KeyName))
	e.f.keyPairs = append(e.f.keyPairs, aws.ToString(in.KeyName))
	return &ec2.ImportKeyPairOutput{KeyName: in.KeyName}, nil
}
func (e *fakeEC2) DeleteKeyPair(_ context.Context, in *ec2.DeleteKeyPairInput, _ ...func(*ec2.Options)) (*ec2.DeleteKeyPairOutput, error) {
	e.f.record("DeleteKeyPair %s", aws.ToString(in.KeyName))
	e.f.keyPairs = remove(e.f.keyPairs, aws.ToString(in.KeyName))
	return &ec2.DeleteKeyPairOutput{}, nil
}

type fakeIAM struct{ f *fakeAWS }

func (i *fakeIAM) CreateOpenIDConnectProvider(_ context.Context, in *iam.CreateOpenIDConnectProviderInput, _ ...func(*iam.Options)) (*iam.CreateOpenIDConnectProviderOutput, error) {
	i.f.record("CreateOpenIDConnectProvider %s %v", aws.ToString(in.Url), in.ClientIDList)
	i.f.oidcARN = "arn:aws:iam::1:oidc-provider/" + IssuerHostPath(aws.ToString(in.Url))
	return &iam.CreateOpenIDConnectProviderOutput{OpenIDConnectProviderArn: aws.String(i.f.oidcARN)}, nil
}
func (i *fakeIAM) ListOpenIDConnectProviders(context.Context, *iam.ListOpenIDConnectProvidersInput, ...func(*iam.Options)) (*iam.ListOpenIDConnectProvidersOutput, error) {
	out := &iam.ListOpenIDConnectProvidersOutput{}
	if i.f.oidcARN != "" {
		out.OpenIDConnectProviderList = []iamtypes.OpenIDConnectProviderListEntry{{Arn: aws.String(i.f.oidcARN)}}
	}
	return out, nil
}
func (i *fakeIAM) GetOpenIDConnectProvider(context.Context, *iam.GetOpenIDConnectProviderInput, ...func(*iam.Options)) (*iam.GetOpenIDConnectProviderOutput, error) {
	return &iam.GetOpenIDConnectProviderOutput{}, nil
}
func (i *fakeIAM) DeleteOpenIDConnectProvider(_ context.Context, in *iam.DeleteOpenIDConnectProviderInput, _ ...func(*iam.Options)) (*iam.DeleteOpenIDConnectProviderOutput, error) {
	i.f.record("DeleteOpenIDConnectProvider %s", aws.ToString(in.OpenIDConnectProviderArn))
	i.f.oidcARN = ""
	return &iam.DeleteOpenIDConnectProviderOutput{}, nil
}

// keyPairsBefore is the one key pair a test imported.
func (f *fakeAWS) keyPairsBefore() string {
	for _, c := range f.calls {
		if k, ok := strings.CutPrefix(c, "DeleteKeyPair "); ok {
			return k
		}
	}
	return ""
}

func remove(list []string, s string) []string {
	var out []string
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}
