package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// rulesRegion keeps the rules tests' VPCs, clusters and repositories apart
// from those other tests count.
const rulesRegion = "ap-northeast-1"

func rulesConfig() aws.Config {
	cfg := awsConfig()
	cfg.Region = rulesRegion
	return cfg
}

// wantError checks an error's code and that its message holds msg.
func wantError(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	if got := codeOf(err); got != code || !strings.Contains(fmt.Sprint(err), msg) {
		t.Errorf("%s: got %v, want %s containing %q", what, err, code, msg)
	}
}

// TestVPCAndSubnetBlocks holds CreateVpc and CreateSubnet to EC2's rules
// on IPv4 blocks.
func TestVPCAndSubnetBlocks(t *testing.T) {
	ctx := context.Background()
	c := ec2.NewFromConfig(rulesConfig())
	for _, tc := range []struct{ cidr, code, msg string }{
		{"10.0.0.0/15", "InvalidVpc.Range", "The CIDR '10.0.0.0/15' is invalid."},
		{"10.0.0.0/29", "InvalidVpc.Range", "The CIDR '10.0.0.0/29' is invalid."},
		{"10.0.0.1/16", "InvalidParameterValue", "Value (10.0.0.1/16) for parameter cidrBlock is invalid. This is not a valid CIDR block."},
		{"10.0.0.0/33", "InvalidParameterValue", "This is not a valid CIDR block."},
		{"10.0.0.0", "InvalidParameterValue", "This is not a valid CIDR block."},
		{"2001:db8::/56", "InvalidParameterValue", "This is not a valid CIDR block."},
		{"::ffff:10.0.0.0/112", "InvalidParameterValue", "This is not a valid CIDR block."},
		{"", "MissingParameter", "cidrBlock"},
	} {
		_, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(tc.cidr)})
		wantError(t, "CreateVpc "+tc.cidr, err, tc.code, tc.msg)
	}
	for _, ok := range []string{"10.0.0.0/16", "10.0.0.0/28"} {
		if _, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(ok)}); err != nil {
			t.Errorf("CreateVpc %s: %v", ok, err)
		}
	}
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.50.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.50.1.0/24")}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ vpc, cidr, zone, code, msg string }{
		{"", "10.51.0.0/24", "", "InvalidSubnet.Range", "The CIDR '10.51.0.0/24' is invalid."},
		{"", "10.50.0.0/15", "", "InvalidSubnet.Range", "The CIDR '10.50.0.0/15' is invalid."},
		{"", "10.50.2.0/29", "", "InvalidSubnet.Range", "The CIDR '10.50.2.0/29' is invalid."},
		{"", "10.50.1.128/25", "", "InvalidSubnet.Conflict", "The CIDR '10.50.1.128/25' conflicts with another subnet"},
		{"", "10.50.0.0/23", "", "InvalidSubnet.Conflict", "conflicts with another subnet"},
		{"", "10.50.0.0/16", "", "InvalidSubnet.Conflict", "conflicts with another subnet"},
		{"", "10.50.2.5/24", "", "InvalidParameterValue", "This is not a valid CIDR block."},
		{"", "10.50.2.0/24", "us-east-1a", "InvalidParameterValue", "Value (us-east-1a) for parameter availabilityZone is invalid."},
		{"vpc-00000000000000000", "10.50.2.0/24", "", "InvalidVpcID.NotFound", "The vpc ID 'vpc-00000000000000000' does not exist"},
	} {
		id := aws.ToString(vpc.Vpc.VpcId)
		if tc.vpc != "" {
			id = tc.vpc
		}
		in := &ec2.CreateSubnetInput{VpcId: aws.String(id), CidrBlock: aws.String(tc.cidr)}
		if tc.zone != "" {
			in.AvailabilityZone = aws.String(tc.zone)
		}
		_, err := c.CreateSubnet(ctx, in)
		wantError(t, "CreateSubnet "+tc.cidr, err, tc.code, tc.msg)
	}
	// A /16 subnet is the whole of a /16 VPC; a /28 is the narrowest.
	whole, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.52.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: whole.Vpc.VpcId, CidrBlock: aws.String("10.52.0.0/16")}); err != nil {
		t.Errorf("CreateSubnet of a whole /16: %v", err)
	}
	if _, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.50.200.16/28")}); err != nil {
		t.Errorf("CreateSubnet /28: %v", err)
	}
}

// TestEC2FiltersAndPaging checks filter names and MaxResults/NextToken on
// the Describe actions EC2 pages.
func TestEC2FiltersAndPaging(t *testing.T) {
	ctx := context.Background()
	c := ec2.NewFromConfig(rulesConfig())
	filter := func(name string, values ...string) []ec2types.Filter {
		return []ec2types.Filter{{Name: aws.String(name), Values: values}}
	}
	_, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: filter("vpc-ids", "x")})
	wantError(t, "misspelt filter", err, "InvalidParameterValue", "The filter 'vpc-ids' is invalid")
	_, err = c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: filter("nope", "x")})
	wantError(t, "unknown filter", err, "InvalidParameterValue", "The filter 'nope' is invalid")
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: filter("instance-state", "running")})
	wantError(t, "misspelt instance filter", err, "InvalidParameterValue", "The filter 'instance-state' is invalid")
	_, err = c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{Filters: filter("tag:Name", "x")})
	wantError(t, "tag filter on zones", err, "InvalidParameterValue", "The filter 'tag:Name' is invalid")
	_, err = c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: filter("tag:", "x")})
	wantError(t, "tag filter without a key", err, "InvalidParameterValue", "The filter 'tag:' is invalid")
	many := make([]string, 201)
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: filter("vpc-id", many...)})
	wantError(t, "201 filter values", err, "FilterLimitExceeded", "200")
	// Aliases and filters keks has no value for are still valid names.
	if _, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: filter("cidrBlock", "10.*")}); err != nil {
		t.Errorf("alias cidrBlock: %v", err)
	}
	if out, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: filter("outpost-arn", "*")}); err != nil || len(out.Subnets) != 0 {
		t.Errorf("outpost-arn: %v %v", err, out)
	}

	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.53.0.0/16"),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpc, Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("paging")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	const subnets = 12
	for i := range subnets {
		if _, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String(fmt.Sprintf("10.53.%d.0/28", i))}); err != nil {
			t.Fatal(err)
		}
	}
	seen, pages := map[string]bool{}, 0
	p := ec2.NewDescribeSubnetsPaginator(c, &ec2.DescribeSubnetsInput{Filters: filter("vpc-id", aws.ToString(vpc.Vpc.VpcId)), MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Subnets) > 5 {
			t.Fatalf("page of %d > MaxResults 5", len(out.Subnets))
		}
		for _, s := range out.Subnets {
			if seen[aws.ToString(s.SubnetId)] {
				t.Fatalf("%s listed twice", aws.ToString(s.SubnetId))
			}
			seen[aws.ToString(s.SubnetId)] = true
		}
		pages++
	}
	if len(seen) != subnets || pages != 3 {
		t.Fatalf("%d subnets in %d pages, want %d in 3", len(seen), pages, subnets)
	}
	got, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: filter("tag:Name", "pag?ng", "nothing*")})
	if err != nil || len(got.Vpcs) != 1 {
		t.Errorf("tag:Name wildcard: %v %v", err, got)
	}
	for _, max := range []int32{4, 1001} {
		_, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{MaxResults: aws.Int32(max)})
		wantError(t, fmt.Sprint("MaxResults ", max), err, "InvalidParameterValue", fmt.Sprintf("Value ( %d ) for parameter maxResults is invalid.", max))
	}
	_, err = c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{NextToken: aws.String("garbage")})
	wantError(t, "bad NextToken", err, "InvalidParameterValue", "The token is invalid.")
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-00000000000000000"}, MaxResults: aws.Int32(5)})
	wantError(t, "ids with MaxResults", err, "InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults")
}

// TestEC2AllOrNothing checks that actions on several resources act on all
// of them or, when one fails, on none.
func TestEC2AllOrNothing(t *testing.T) {
	ctx := context.Background()
	c := ec2.NewFromConfig(rulesConfig())
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.54.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	vpcID := aws.ToString(vpc.Vpc.VpcId)
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{vpcID, "vpc-00000000000000000"}, Tags: []ec2types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	wantError(t, "tag a missing VPC", err, "InvalidVpcID.NotFound", "vpc-00000000000000000")
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{vpcID, "nonsense"}, Tags: []ec2types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	wantError(t, "tag a malformed id", err, "InvalidID", "The ID 'nonsense' is not valid")
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{vpcID}, Tags: []ec2types.Tag{{Key: aws.String("aws:x"), Value: aws.String("b")}}})
	wantError(t, "reserved tag", err, "InvalidParameterValue", "aws:")
	got, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}})
	if err != nil || len(got.Vpcs[0].Tags) != 0 {
		t.Fatalf("a refused CreateTags tagged the VPC: %v %+v", err, got)
	}

	sn, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String("10.54.0.0/28")})
	if err != nil {
		t.Fatal(err)
	}
	run := func(min, max int32) (*ec2.RunInstancesOutput, error) {
		return c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-x"), InstanceType: ec2types.InstanceTypeT3Small,
			MinCount: aws.Int32(min), MaxCount: aws.Int32(max), SubnetId: sn.Subnet.SubnetId})
	}
	if _, err := run(12, 12); codeOf(err) != "InsufficientFreeAddressesInSubnet" {
		t.Fatalf("12 instances in a /28: %v", err)
	}
	if out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("subnet-id"), Values: []string{aws.ToString(sn.Subnet.SubnetId)}}}}); err != nil || len(out.Reservations) != 0 {
		t.Fatalf("a refused RunInstances left instances: %v %d", err, len(out.Reservations))
	}
	first, err := run(3, 3)
	if err != nil || len(first.Instances) != 3 {
		t.Fatalf("3 instances: %v", err)
	}
	// MaxCount is what EC2 launches if it can, MinCount what it must.
	rest, err := run(1, 20)
	if err != nil || len(rest.Instances) != 8 {
		t.Fatalf("the rest of the /28: %v %d", err, len(rest.Instances))
	}
	_, err = c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-x"), MinCount: aws.Int32(2), MaxCount: aws.Int32(1), SubnetId: sn.Subnet.SubnetId})
	wantError(t, "MinCount > MaxCount", err, "InvalidParameterValue", "maxCount")

	id := aws.ToString(first.Instances[0].InstanceId)
	_, err = c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id, "i-00000000000000000", "i-00000000000000001"}})
	wantError(t, "terminate missing instances", err, "InvalidInstanceID.NotFound", "'i-00000000000000000, i-00000000000000001' do not exist")
	d, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil || d.Reservations[0].Instances[0].State.Name != ec2types.InstanceStateNamePending {
		t.Fatalf("a refused TerminateInstances stopped an instance: %v %+v", err, d)
	}
	_, err = c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: sn.Subnet.SubnetId})
	wantError(t, "delete a subnet with instances", err, "DependencyViolation", "has dependencies")
	_, err = c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.55.0.0/16"), DryRun: aws.Bool(true)})
	wantError(t, "dry run", err, "DryRunOperation", "Request would have succeeded")
}
