package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	keks "github.com/keksdev/keks/internal/eks"
)

// The concurrency tests call keks from many goroutines at once through the
// SDK and check that no update is lost and no address or block is handed
// out twice. Run them with -race. They work in a region of their own.
const concurrencyRegion = "ca-central-1"

// runs numbers each run of a test, so that -count=N makes fresh names.
var runs atomic.Int64

func unique(name string) string { return fmt.Sprintf("%s-%d", name, runs.Add(1)) }

func concurrentConfig() aws.Config {
	cfg := awsConfig()
	cfg.Region = concurrencyRegion
	return cfg
}

// parallel runs fn(i) for i in [0, n) at once and returns their errors.
func parallel(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

func codeOf(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// networkIn makes a VPC in cfg's region with a subnet in each of two zones.
func networkIn(t *testing.T, cfg aws.Config, cidr string) (vpc string, subnets []string) {
	t.Helper()
	ctx := context.Background()
	c := ec2.NewFromConfig(cfg)
	v, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr)})
	if err != nil {
		t.Fatal(err)
	}
	base := netip.MustParsePrefix(cidr).Addr().As4()
	for i, zone := range []string{"a", "b"} {
		block := netip.PrefixFrom(netip.AddrFrom4([4]byte{base[0], base[1], byte(i), 0}), 24)
		sn, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, CidrBlock: aws.String(block.String()), AvailabilityZone: aws.String(cfg.Region + zone)})
		if err != nil {
			t.Fatal(err)
		}
		subnets = append(subnets, aws.ToString(sn.Subnet.SubnetId))
	}
	return aws.ToString(v.Vpc.VpcId), subnets
}

// TestConcurrentClusterTags tags and untags one cluster from many clients
// while a configuration update lands: every tag added and not removed must
// be there at the end.
func TestConcurrentClusterTags(t *testing.T) {
	ctx := context.Background()
	_, subnets := networkIn(t, concurrentConfig(), "10.60.0.0/16")
	role := nodeRoleARN(t)
	c := eks.NewFromConfig(concurrentConfig())
	name := unique("tags-race")
	out, err := c.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String(role),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: subnets}, Tags: map[string]string{"gone": "soon"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testServer.models.EKS.SetStatus(ctx, concurrencyRegion, name, func(c *keks.Cluster) error { c.Status.Phase = keks.StatusActive; return nil }); err != nil {
		t.Fatal(err)
	}
	arn := out.Cluster.Arn
	const writers = 24
	errs := parallel(writers+2, func(i int) error {
		switch {
		case i == writers:
			_, err := c.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"gone"}})
			return err
		case i == writers+1:
			_, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String(name),
				Logging: &ekstypes.Logging{ClusterLogging: []ekstypes.LogSetup{{Types: []ekstypes.LogType{"api"}, Enabled: aws.Bool(true)}}}})
			return err
		default:
			_, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: arn, Tags: map[string]string{fmt.Sprintf("k%02d", i): "v"}})
			return err
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	tags, err := c.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	for i := range writers {
		if tags.Tags[fmt.Sprintf("k%02d", i)] != "v" {
			t.Errorf("tag k%02d was lost: %v", i, tags.Tags)
		}
	}
	if _, ok := tags.Tags["gone"]; ok || len(tags.Tags) != writers {
		t.Errorf("want exactly the %d added tags, got %v", writers, tags.Tags)
	}
	d, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	apiLogs := false
	for _, s := range d.Cluster.Logging.ClusterLogging {
		apiLogs = apiLogs || (aws.ToBool(s.Enabled) && slices.Contains(s.Types, ekstypes.LogTypeApi))
	}
	if !apiLogs {
		t.Fatalf("the logging update was lost: %+v", d.Cluster.Logging)
	}
}

// TestConcurrentNodegroupLabels has clients add a label each to one node
// group, each retrying while another's update is in progress, and tag it
// meanwhile: every label and tag must land.
func TestConcurrentNodegroupLabels(t *testing.T) {
	ctx := context.Background()
	m := testServer.models
	_, subnets := networkIn(t, concurrentConfig(), "10.61.0.0/16")
	role := nodeRoleARN(t)
	c := eks.NewFromConfig(concurrentConfig())
	cluster := unique("labels-race")
	if _, err := c.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String(cluster), RoleArn: aws.String(role),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: subnets}}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.EKS.SetStatus(ctx, concurrencyRegion, cluster, func(c *keks.Cluster) error { c.Status.Phase = keks.StatusActive; return nil }); err != nil {
		t.Fatal(err)
	}
	ng, err := c.CreateNodegroup(ctx, &eks.CreateNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String("workers"),
		NodeRole: aws.String(role), Subnets: subnets})
	if err != nil {
		t.Fatal(err)
	}
	setActive := func() error {
		n, err := m.EKS.GetNodegroup(ctx, concurrencyRegion, cluster, "workers")
		if err != nil {
			return err
		}
		_, err = m.EKS.SetNodegroup(ctx, n, func(n *keks.Nodegroup) error { n.Status = keks.NodegroupActive; return nil })
		return err
	}
	if err := setActive(); err != nil {
		t.Fatal(err)
	}
	const writers = 8
	deadline := time.Now().Add(time.Minute)
	errs := parallel(2*writers, func(i int) error {
		if i >= writers {
			_, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: ng.Nodegroup.NodegroupArn, Tags: map[string]string{fmt.Sprintf("t%d", i): "v"}})
			return err
		}
		for time.Now().Before(deadline) {
			up, err := c.UpdateNodegroupConfig(ctx, &eks.UpdateNodegroupConfigInput{ClusterName: aws.String(cluster), NodegroupName: aws.String("workers"),
				Labels: &ekstypes.UpdateLabelsPayload{AddOrUpdateLabels: map[string]string{fmt.Sprintf("l%d", i): "v"}}})
			if codeOf(err) == keks.CodeResourceInUse {
				time.Sleep(time.Millisecond)
				continue
			}
			if err != nil {
				return err
			}
			// Finish the update as the controller would, so the next may start.
			u, err := m.EKS.DescribeUpdate(ctx, concurrencyRegion, cluster, aws.ToString(up.Update.Id), "workers", "")
			if err != nil {
				return err
			}
			if err := m.EKS.FinishUpdate(ctx, *u, nil); err != nil {
				return err
			}
			return setActive()
		}
		return fmt.Errorf("writer %d never got its update in", i)
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	got, err := c.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String("workers")})
	if err != nil {
		t.Fatal(err)
	}
	for i := range writers {
		if got.Nodegroup.Labels[fmt.Sprintf("l%d", i)] != "v" {
			t.Errorf("label l%d was lost: %v", i, got.Nodegroup.Labels)
		}
		if got.Nodegroup.Tags[fmt.Sprintf("t%d", i+writers)] != "v" {
			t.Errorf("tag t%d was lost: %v", i+writers, got.Nodegroup.Tags)
		}
	}
}

// TestConcurrentRunInstances launches more instances into a /28 than it
// has addresses, all at once: the eleven usable addresses go to eleven
// instances, each a different one, and the rest are refused.
func TestConcurrentRunInstances(t *testing.T) {
	ctx := context.Background()
	c := ec2.NewFromConfig(concurrentConfig())
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.62.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	sn, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.62.0.16/28")})
	if err != nil {
		t.Fatal(err)
	}
	const launches, usable = 16, 16 - 5
	ips := make([]string, launches)
	errs := parallel(launches, func(i int) error {
		out, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-race"), InstanceType: ec2types.InstanceTypeT3Small,
			MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: sn.Subnet.SubnetId})
		if err == nil {
			ips[i] = aws.ToString(out.Instances[0].PrivateIpAddress)
		}
		return err
	})
	seen := map[string]int{}
	refused := 0
	for i, err := range errs {
		switch {
		case err == nil:
			if j, dup := seen[ips[i]]; dup {
				t.Errorf("launches %d and %d both got %s", j, i, ips[i])
			}
			seen[ips[i]] = i
		case codeOf(err) == "InsufficientFreeAddressesInSubnet":
			refused++
		default:
			t.Errorf("launch %d: %v", i, err)
		}
	}
	if len(seen) != usable || refused != launches-usable {
		t.Fatalf("%d launched, %d refused; want %d and %d", len(seen), refused, usable, launches-usable)
	}
	block := netip.MustParsePrefix("10.62.0.16/28")
	for ip := range seen {
		a := netip.MustParseAddr(ip)
		if !block.Contains(a) || a.As4()[3] < 20 || a.As4()[3] > 30 {
			t.Errorf("address %s is not a usable one of %s", ip, block)
		}
	}
}

// TestConcurrentSubnetsAndVPCs creates VPCs and overlapping subnets at
// once: VPC ids are distinct, no two subnets of a VPC overlap, and a VPC
// being deleted gets no new subnet.
func TestConcurrentSubnetsAndVPCs(t *testing.T) {
	ctx := context.Background()
	c := ec2.NewFromConfig(concurrentConfig())
	vpcIDs := make([]string, 12)
	for i, err := range parallel(len(vpcIDs), func(i int) error {
		v, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.63.0.0/16")})
		if err == nil {
			vpcIDs[i] = aws.ToString(v.Vpc.VpcId)
		}
		return err
	}) {
		if err != nil {
			t.Fatalf("create VPC %d: %v", i, err)
		}
	}
	seen := map[string]bool{}
	for _, id := range vpcIDs {
		if seen[id] {
			t.Fatalf("VPC id %s handed out twice", id)
		}
		seen[id] = true
	}

	vpc := vpcIDs[0]
	// Blocks that overlap one another in many ways.
	blocks := []string{"10.63.0.0/24", "10.63.0.0/24", "10.63.0.0/25", "10.63.0.128/25", "10.63.0.0/23", "10.63.1.0/24",
		"10.63.0.64/26", "10.63.1.0/25", "10.63.0.0/22", "10.63.2.0/24", "10.63.2.0/24", "10.63.3.0/28"}
	errs := parallel(len(blocks), func(i int) error {
		_, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpc), CidrBlock: aws.String(blocks[i])})
		return err
	})
	created := 0
	for i, err := range errs {
		switch {
		case err == nil:
			created++
		case codeOf(err) != "InvalidSubnet.Conflict":
			t.Errorf("subnet %s: %v", blocks[i], err)
		}
	}
	got, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Subnets) != created || created == 0 {
		t.Fatalf("%d subnets stored, %d creates succeeded", len(got.Subnets), created)
	}
	for i, a := range got.Subnets {
		for _, b := range got.Subnets[i+1:] {
			if netip.MustParsePrefix(aws.ToString(a.CidrBlock)).Overlaps(netip.MustParsePrefix(aws.ToString(b.CidrBlock))) {
				t.Errorf("subnets %s and %s overlap", aws.ToString(a.CidrBlock), aws.ToString(b.CidrBlock))
			}
		}
	}

	// A VPC's deletion and a subnet's creation in it: never both.
	for _, id := range vpcIDs[1:] {
		errs := parallel(2, func(i int) error {
			if i == 0 {
				_, err := c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(id)})
				return err
			}
			_, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(id), CidrBlock: aws.String("10.63.0.0/24")})
			return err
		})
		if errs[0] == nil && errs[1] == nil {
			t.Fatalf("VPC %s was deleted while a subnet was created in it", id)
		}
		if errs[0] != nil && codeOf(errs[0]) != "DependencyViolation" || errs[1] != nil && codeOf(errs[1]) != "InvalidVpcID.NotFound" {
			t.Fatalf("delete VPC / create subnet: %v / %v", errs[0], errs[1])
		}
	}
}

// TestConcurrentUniqueNames creates same-named security groups and more
// access keys than IAM allows, all at once.
func TestConcurrentUniqueNames(t *testing.T) {
	ctx := context.Background()
	c := ec2.NewFromConfig(concurrentConfig())
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.64.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	ok := 0
	for i, err := range parallel(8, func(int) error {
		_, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: vpc.Vpc.VpcId, GroupName: aws.String("web"), Description: aws.String("web")})
		return err
	}) {
		switch {
		case err == nil:
			ok++
		case codeOf(err) != "InvalidGroup.Duplicate":
			t.Errorf("group %d: %v", i, err)
		}
	}
	if ok != 1 {
		t.Errorf("%d groups named web in one VPC", ok)
	}

	ic := iam.NewFromConfig(awsConfig())
	user := unique("keys-race")
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
		t.Fatal(err)
	}
	ok = 0
	for i, err := range parallel(6, func(int) error {
		_, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
		return err
	}) {
		switch {
		case err == nil:
			ok++
		case codeOf(err) != "LimitExceeded":
			t.Errorf("key %d: %v", i, err)
		}
	}
	if ok != 2 {
		t.Errorf("%d access keys for one user; IAM allows 2", ok)
	}
}
