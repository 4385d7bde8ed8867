package ec2api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/store"
	"github.com/keksdev/keks/internal/store/storetest"
)

const (
	testRegion  = "us-east-1"
	testAccount = "123456789012"
)

// world is a handler over a real EC2 model holding a default VPC with a
// subnet, a security group and an instance.
type world struct {
	h            *Handler
	vpc          *ec2.VPC
	subnet       *ec2.Subnet
	group        *ec2.SecurityGroup // "web", in the VPC
	defaultGroup string             // the VPC's default group
	instance     *ec2.Instance
}

func newWorld(t *testing.T) *world {
	t.Helper()
	st := storetest.Open(t)
	ctx := context.Background()
	model := &ec2.Service{Store: st}
	w := &world{h: &Handler{EC2: model, RoleARN: func(_ context.Context, name string) (string, error) {
		if name == "nodes" {
			return "arn:aws:iam::" + testAccount + ":role/eks/nodes", nil
		}
		return "", errors.New("no such role")
	}}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var err error
	w.vpc, err = model.CreateVPC(ctx, testRegion, testAccount, "10.0.0.0/16", true, map[string]string{"team": "net"})
	must(err)
	w.subnet, err = model.CreateSubnet(ctx, ec2.Subnet{VPCID: w.vpc.ID, CIDR: "10.0.1.0/24", AvailabilityZone: testRegion + "b", Tags: map[string]string{"tier": "private"}})
	must(err)
	w.group, err = model.CreateSecurityGroup(ctx, ec2.SecurityGroup{VPCID: w.vpc.ID, Name: "web", Description: "web", Tags: map[string]string{"app": "web"}})
	must(err)
	groups, err := model.SecurityGroups(ctx, testRegion)
	must(err)
	for _, g := range groups {
		if g.Name == "default" {
			w.defaultGroup = g.ID
		}
	}
	w.instance, err = model.RunInstance(ctx, ec2.Instance{SubnetID: w.subnet.ID, InstanceType: "t3.small",
		RoleARN: "arn:aws:iam::" + testAccount + ":role/eks/nodes", Tags: map[string]string{"env": "dev"}})
	must(err)
	return w
}

// checksOf describes a request with these parameters.
func checksOf(h *Handler, params map[string]string) []awsproto.Check {
	return checksIn(context.Background(), h, params)
}

// checksIn describes a request made in ctx.
func checksIn(ctx context.Context, h *Handler, params map[string]string) []awsproto.Check {
	form := url.Values{}
	for k, v := range params {
		form.Set(k, v)
	}
	c := &awsproto.Call{Region: testRegion, Principal: awsproto.Principal{Account: testAccount, ARN: "arn:aws:iam::" + testAccount + ":user/alice"}, Form: form}
	return h.checks(httptest.NewRequestWithContext(ctx, "POST", "/", nil), c)
}

// described is what a test compares of a check.
type described struct {
	Action, Resource string
	Context          map[string][]string
}

func describe(checks []awsproto.Check) []described {
	out := make([]described, 0, len(checks))
	for _, ch := range checks {
		d := described{Action: ch.Action, Resource: ch.Resource, Context: ch.Context}
		if len(d.Context) == 0 {
			d.Context = nil
		}
		out = append(out, d)
	}
	return out
}

// keys builds a context from key, values... pairs, with ec2:Region added
// as every ec2: check has it.
func keys(kv ...any) map[string][]string {
	out := map[string][]string{"ec2:Region": {testRegion}}
	for i := 0; i < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case string:
			out[kv[i].(string)] = []string{v}
		case []string:
			out[kv[i].(string)] = v
		}
	}
	return out
}

func arn(typ, id string) string {
	return "arn:aws:ec2:" + testRegion + ":" + testAccount + ":" + typ + "/" + id
}

func TestChecksDescribeEachAction(t *testing.T) {
	w := newWorld(t)
	vpcARN, subnetARN, groupARN, instanceARN := arn("vpc", w.vpc.ID), arn("subnet", w.subnet.ID), arn("security-group", w.group.ID), arn("instance", w.instance.ID)
	zone := testRegion + "b"
	tests := []struct {
		name   string
		params map[string]string
		want   []described
	}{
		{"describe takes no resource", map[string]string{"Action": "DescribeVpcs", "VpcId.1": w.vpc.ID},
			[]described{{"ec2:DescribeVpcs", "*", keys()}}},
		{"create without tags", map[string]string{"Action": "CreateVpc", "CidrBlock": "10.1.0.0/16"},
			[]described{{"ec2:CreateVpc", arn("vpc", "*"), keys("ec2:Tenancy", "default")}}},
		{"create with tags also checks ec2:CreateTags", map[string]string{"Action": "CreateVpc", "CidrBlock": "10.1.0.0/16",
			"TagSpecification.1.ResourceType": "vpc", "TagSpecification.1.Tag.1.Key": "team", "TagSpecification.1.Tag.1.Value": "a",
			"TagSpecification.1.Tag.2.Key": "cost", "TagSpecification.1.Tag.2.Value": "b"},
			[]described{
				{"ec2:CreateVpc", arn("vpc", "*"), keys("ec2:Tenancy", "default", "aws:RequestTag/team", "a", "aws:RequestTag/cost", "b", "aws:TagKeys", []string{"cost", "team"})},
				{"ec2:CreateTags", arn("vpc", "*"), keys("ec2:CreateAction", "CreateVpc", "aws:RequestTag/team", "a", "aws:RequestTag/cost", "b", "aws:TagKeys", []string{"cost", "team"})},
			}},
		{"delete names the resource", map[string]string{"Action": "DeleteVpc", "VpcId": w.vpc.ID},
			[]described{{"ec2:DeleteVpc", vpcARN, keys("ec2:VpcID", w.vpc.ID, "ec2:Tenancy", "default")}}},
		{"subnet acts on the new subnet and its VPC", map[string]string{"Action": "CreateSubnet", "VpcId": w.vpc.ID, "CidrBlock": "10.0.2.0/24", "AvailabilityZone": zone},
			[]described{
				{"ec2:CreateSubnet", arn("subnet", "*"), keys("ec2:Vpc", vpcARN, "ec2:AvailabilityZone", zone)},
				{"ec2:CreateSubnet", vpcARN, keys("ec2:VpcID", w.vpc.ID, "ec2:Tenancy", "default")},
			}},
		{"delete subnet knows its VPC and zone", map[string]string{"Action": "DeleteSubnet", "SubnetId": w.subnet.ID},
			[]described{{"ec2:DeleteSubnet", subnetARN, keys("ec2:SubnetID", w.subnet.ID, "ec2:Vpc", vpcARN, "ec2:AvailabilityZone", zone)}}},
		{"a group without VpcId goes to the default VPC", map[string]string{"Action": "CreateSecurityGroup", "GroupName": "db", "GroupDescription": "db"},
			[]described{
				{"ec2:CreateSecurityGroup", arn("security-group", "*"), keys("ec2:Vpc", vpcARN)},
				{"ec2:CreateSecurityGroup", vpcARN, keys("ec2:VpcID", w.vpc.ID, "ec2:Tenancy", "default")},
			}},
		{"a group deleted by name is found in the default VPC", map[string]string{"Action": "DeleteSecurityGroup", "GroupName": "web"},
			[]described{{"ec2:DeleteSecurityGroup", groupARN, keys("ec2:SecurityGroupID", w.group.ID, "ec2:Vpc", vpcARN)}}},
		{"a rule acts on its group", map[string]string{"Action": "AuthorizeSecurityGroupIngress", "GroupId": w.group.ID, "IpProtocol": "tcp", "FromPort": "22", "ToPort": "22", "CidrIp": "0.0.0.0/0"},
			[]described{{"ec2:AuthorizeSecurityGroupIngress", groupARN, keys("ec2:SecurityGroupID", w.group.ID, "ec2:Vpc", vpcARN)}}},
		{"a rule tagged at creation", map[string]string{"Action": "AuthorizeSecurityGroupEgress", "GroupId": w.group.ID,
			"TagSpecification.1.ResourceType": "security-group-rule", "TagSpecification.1.Tag.1.Key": "team", "TagSpecification.1.Tag.1.Value": "a"},
			[]described{
				{"ec2:AuthorizeSecurityGroupEgress", groupARN, keys("ec2:SecurityGroupID", w.group.ID, "ec2:Vpc", vpcARN)},
				{"ec2:AuthorizeSecurityGroupEgress", arn("security-group-rule", "*"), keys("aws:RequestTag/team", "a", "aws:TagKeys", "team")},
				{"ec2:CreateTags", arn("security-group-rule", "*"), keys("ec2:CreateAction", "AuthorizeSecurityGroupEgress", "aws:RequestTag/team", "a", "aws:TagKeys", "team")},
			}},
		{"a rule revoked by group name in the default VPC", map[string]string{"Action": "RevokeSecurityGroupIngress", "GroupName": "web", "SecurityGroupRuleId.1": "sgr-0123456789abcdef0"},
			[]described{{"ec2:RevokeSecurityGroupIngress", groupARN, keys("ec2:SecurityGroupID", w.group.ID, "ec2:Vpc", vpcARN)}}},
		{"rules are described on anything", map[string]string{"Action": "DescribeSecurityGroupRules"},
			[]described{{"ec2:DescribeSecurityGroupRules", "*", keys()}}},
		{"create tags checks each resource with the tags", map[string]string{"Action": "CreateTags", "ResourceId.1": w.vpc.ID, "ResourceId.2": w.instance.ID,
			"ResourceId.3": "eigw-0123456789abcdef0", "Tag.1.Key": "env", "Tag.1.Value": "prod"},
			[]described{
				{"ec2:CreateTags", vpcARN, keys("ec2:VpcID", w.vpc.ID, "ec2:Tenancy", "default", "aws:RequestTag/env", "prod", "aws:TagKeys", "env")},
				{"ec2:CreateTags", instanceARN, keys("ec2:InstanceID", w.instance.ID, "ec2:InstanceType", "t3.small", "ec2:AvailabilityZone", zone,
					"ec2:Tenancy", "default", "ec2:RootDeviceType", "ebs", "ec2:InstanceProfile", "arn:aws:iam::"+testAccount+":instance-profile/eks/nodes",
					"aws:RequestTag/env", "prod", "aws:TagKeys", "env")},
				{"ec2:CreateTags", "*", keys("aws:RequestTag/env", "prod", "aws:TagKeys", "env")},
			}},
		{"terminate checks each instance", map[string]string{"Action": "TerminateInstances", "InstanceId.1": w.instance.ID, "InstanceId.2": "i-0123456789abcdef0"},
			[]described{
				{"ec2:TerminateInstances", instanceARN, keys("ec2:InstanceID", w.instance.ID, "ec2:InstanceType", "t3.small", "ec2:AvailabilityZone", zone,
					"ec2:Tenancy", "default", "ec2:RootDeviceType", "ebs", "ec2:InstanceProfile", "arn:aws:iam::"+testAccount+":instance-profile/eks/nodes")},
				{"ec2:TerminateInstances", arn("instance", "i-0123456789abcdef0"), keys("ec2:InstanceID", "i-0123456789abcdef0")},
			}},
		{"run instances checks every resource of a launch and passes the role", map[string]string{"Action": "RunInstances", "MinCount": "1", "MaxCount": "1",
			"SubnetId": w.subnet.ID, "InstanceType": "t3.small", "ImageId": "ami-0123456789abcdef0", "IamInstanceProfile.Name": "nodes",
			"TagSpecification.1.ResourceType": "instance", "TagSpecification.1.Tag.1.Key": "kubernetes.io/cluster/demo", "TagSpecification.1.Tag.1.Value": "owned"},
			[]described{
				{"ec2:RunInstances", arn("instance", "*"), keys("ec2:InstanceType", "t3.small", "ec2:Tenancy", "default", "ec2:RootDeviceType", "ebs",
					"ec2:InstanceMarketType", "on-demand", "ec2:AvailabilityZone", zone, "ec2:InstanceProfile", "arn:aws:iam::"+testAccount+":instance-profile/eks/nodes",
					"aws:RequestTag/kubernetes.io/cluster/demo", "owned", "aws:TagKeys", "kubernetes.io/cluster/demo")},
				{"ec2:CreateTags", arn("instance", "*"), keys("ec2:CreateAction", "RunInstances", "aws:RequestTag/kubernetes.io/cluster/demo", "owned", "aws:TagKeys", "kubernetes.io/cluster/demo")},
				{"ec2:RunInstances", arn("volume", "*"), keys("ec2:AvailabilityZone", zone)},
				{"ec2:RunInstances", arn("network-interface", "*"), keys("ec2:AvailabilityZone", zone, "ec2:Subnet", subnetARN, "ec2:Vpc", vpcARN)},
				{"ec2:RunInstances", subnetARN, keys("ec2:SubnetID", w.subnet.ID, "ec2:Vpc", vpcARN, "ec2:AvailabilityZone", zone)},
				{"ec2:RunInstances", arn("security-group", w.defaultGroup), keys("ec2:SecurityGroupID", w.defaultGroup, "ec2:Vpc", vpcARN)},
				{"ec2:RunInstances", "arn:aws:ec2:" + testRegion + "::image/ami-0123456789abcdef0", keys("ec2:ImageID", "ami-0123456789abcdef0")},
				{"iam:PassRole", "arn:aws:iam::" + testAccount + ":role/eks/nodes", map[string][]string{"iam:PassedToService": {"ec2.amazonaws.com"}}},
			}},
		{"run instances in named groups with a key pair", map[string]string{"Action": "RunInstances", "SubnetId": w.subnet.ID, "ImageId": "ami-0123456789abcdef0",
			"SecurityGroupId.1": w.group.ID, "KeyName": "ops"},
			[]described{
				{"ec2:RunInstances", arn("instance", "*"), keys("ec2:InstanceType", "m5.large", "ec2:Tenancy", "default", "ec2:RootDeviceType", "ebs",
					"ec2:InstanceMarketType", "on-demand", "ec2:AvailabilityZone", zone)},
				{"ec2:RunInstances", arn("volume", "*"), keys("ec2:AvailabilityZone", zone)},
				{"ec2:RunInstances", arn("network-interface", "*"), keys("ec2:AvailabilityZone", zone, "ec2:Subnet", subnetARN, "ec2:Vpc", vpcARN)},
				{"ec2:RunInstances", subnetARN, keys("ec2:SubnetID", w.subnet.ID, "ec2:Vpc", vpcARN, "ec2:AvailabilityZone", zone)},
				{"ec2:RunInstances", groupARN, keys("ec2:SecurityGroupID", w.group.ID, "ec2:Vpc", vpcARN)},
				{"ec2:RunInstances", "arn:aws:ec2:" + testRegion + "::image/ami-0123456789abcdef0", keys("ec2:ImageID", "ami-0123456789abcdef0")},
				{"ec2:RunInstances", arn("key-pair", "ops"), keys("ec2:KeyPairName", "ops")},
			}},
		{"an unknown profile passes the role named after it", map[string]string{"Action": "RunInstances", "SubnetId": w.subnet.ID, "ImageId": "ami-0123456789abcdef0",
			"IamInstanceProfile.Arn": "arn:aws:iam::" + testAccount + ":instance-profile/team/builder"},
			[]described{
				{"ec2:RunInstances", arn("instance", "*"), keys("ec2:InstanceType", "m5.large", "ec2:Tenancy", "default", "ec2:RootDeviceType", "ebs",
					"ec2:InstanceMarketType", "on-demand", "ec2:AvailabilityZone", zone, "ec2:InstanceProfile", "arn:aws:iam::"+testAccount+":instance-profile/team/builder")},
				{"ec2:RunInstances", arn("volume", "*"), keys("ec2:AvailabilityZone", zone)},
				{"ec2:RunInstances", arn("network-interface", "*"), keys("ec2:AvailabilityZone", zone, "ec2:Subnet", subnetARN, "ec2:Vpc", vpcARN)},
				{"ec2:RunInstances", subnetARN, keys("ec2:SubnetID", w.subnet.ID, "ec2:Vpc", vpcARN, "ec2:AvailabilityZone", zone)},
				{"ec2:RunInstances", arn("security-group", w.defaultGroup), keys("ec2:SecurityGroupID", w.defaultGroup, "ec2:Vpc", vpcARN)},
				{"ec2:RunInstances", "arn:aws:ec2:" + testRegion + "::image/ami-0123456789abcdef0", keys("ec2:ImageID", "ami-0123456789abcdef0")},
				{"iam:PassRole", "arn:aws:iam::" + testAccount + ":role/builder", map[string][]string{"iam:PassedToService": {"ec2.amazonaws.com"}}},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := describe(checksOf(w.h, tt.params))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("checks:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestChecksLookResourceTagsUp(t *testing.T) {
	w := newWorld(t)
	checks := checksOf(w.h, map[string]string{"Action": "CreateTags", "ResourceId.1": w.vpc.ID, "ResourceId.2": w.subnet.ID,
		"ResourceId.3": w.group.ID, "ResourceId.4": w.instance.ID, "ResourceId.5": "vpc-0123456789abcdef0", "Tag.1.Key": "k"})
	want := []map[string]string{{"team": "net"}, {"tier": "private"}, {"app": "web"}, {"env": "dev"}, nil}
	if len(checks) != len(want) {
		t.Fatalf("got %d checks, want %d", len(checks), len(want))
	}
	for i, ch := range checks {
		if ch.ResourceTags == nil {
			t.Fatalf("%s: no tag lookup", ch.Resource)
		}
		if got := ch.ResourceTags(context.Background()); !maps.Equal(got, want[i]) {
			t.Errorf("%s: tags %v, want %v", ch.Resource, got, want[i])
		}
	}
	// A resource being made has no tags to look up.
	for _, ch := range checksOf(w.h, map[string]string{"Action": "CreateVpc"}) {
		if ch.ResourceTags != nil {
			t.Errorf("%s %s: a tag lookup for a resource that does not exist yet", ch.Action, ch.Resource)
		}
	}
}

// Every action the handler serves is described, and as an ec2: action.
func TestChecksCoverEveryAction(t *testing.T) {
	for _, h := range []*Handler{{}, newWorld(t).h} {
		for name := range actions {
			checks := checksOf(h, map[string]string{"Action": name})
			if len(checks) == 0 {
				t.Errorf("%s: no checks", name)
			}
			ec2Actions := 0
			for _, ch := range checks {
				if ch.Action == "" || ch.Resource == "" {
					t.Errorf("%s: incomplete check %+v", name, ch)
				}
				if strings.HasPrefix(ch.Action, "ec2:") {
					ec2Actions++
				}
			}
			if ec2Actions == 0 {
				t.Errorf("%s: no ec2: check in %+v", name, checks)
			}
		}
	}
	if checks := checksOf(&Handler{}, map[string]string{"Action": "AllocateHosts"}); checks != nil {
		t.Errorf("an action keks does not serve is described: %+v", checks)
	}
}

// sane is a resource a malformed request may name: "*", a resource the
// call would make (<type>/*), or an ARN with nothing of the garbage in it.
var sane = regexp.MustCompile(`^(\*|arn:aws:ec2:us-east-1:` + testAccount + `:(vpc|subnet|security-group|instance|volume|network-interface|route-table|internet-gateway|natgateway|elastic-ip|fleet|launch-template)/\*|arn:aws:ec2:us-east-1::snapshot/\*|arn:aws:(ec2|iam):[a-z0-9-]*:\d*:[a-z-]+/[\w/.+=,@-]*[\w+=,.@-])$`)

func TestChecksOfMalformedRequests(t *testing.T) {
	garbage := []string{"", "*", "?", "vpc-*", "subnet-../../x", "sg-", "i-ZZZZZZZZ", "ami-?", "vol-\x00", "arn:aws:iam::1:instance-profile/*",
		"a*b", strings.Repeat("x", 5000), "i-0123456789abcdef0/../i-1", "vpc-0123456789abcdef0*"}
	params := []string{"VpcId", "SubnetId", "GroupId", "GroupName", "InstanceId.1", "ResourceId.1", "ImageId", "KeyName", "InstanceType",
		"IamInstanceProfile.Arn", "IamInstanceProfile.Name", "NetworkInterface.1.SubnetId", "SecurityGroupId.1", "SecurityGroup.1", "Tag.1.Key",
		"TagSpecification.1.ResourceType", "TagSpecification.1.Tag.1.Key", "AvailabilityZone", "VolumeId", "SnapshotId", "AvailabilityZoneId", "KmsKeyId",
		"RouteTableId", "InternetGatewayId", "AssociationId", "GatewayId", "NatGatewayId", "AllocationId", "PublicIp"}
	for _, h := range []*Handler{{}, newWorld(t).h} {
		for name := range actions {
			for _, param := range params {
				for _, g := range garbage {
					for _, ch := range checksOf(h, map[string]string{"Action": name, param: g}) {
						if !sane.MatchString(ch.Resource) {
							t.Errorf("%s with %s=%q: resource %q", name, param, g, ch.Resource)
						}
					}
				}
			}
		}
	}
}

// The lookups fail quietly on a model that cannot answer.
func TestChecksSurviveAFailingModel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := store.OpenEmbedded(ctx, t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	st.Close() // every read now fails, once the request gives up waiting
	h := &Handler{EC2: &ec2.Service{Store: st}, RoleARN: func(context.Context, string) (string, error) { return "", errors.New("down") }}
	for name := range actions {
		params := map[string]string{"Action": name, "VpcId": "vpc-0123456789abcdef0", "SubnetId": "subnet-0123456789abcdef0",
			"InstanceId.1": "i-0123456789abcdef0", "ResourceId.1": "sg-0123456789abcdef0", "IamInstanceProfile.Name": "nodes"}
		impatient, stop := context.WithTimeout(context.Background(), 20*time.Millisecond)
		for _, ch := range checksIn(impatient, h, params) {
			if ch.ResourceTags != nil && ch.ResourceTags(impatient) != nil {
				t.Errorf("%s: tags from a failing model", name)
			}
		}
		stop()
	}
	impatient, stop := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer stop()
	got := describe(checksIn(impatient, h, map[string]string{"Action": "DeleteSubnet", "SubnetId": "subnet-0123456789abcdef0"}))
	want := []described{{"ec2:DeleteSubnet", arn("subnet", "subnet-0123456789abcdef0"), keys("ec2:SubnetID", "subnet-0123456789abcdef0")}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DeleteSubnet without its model:\n got %+v\nwant %+v", got, want)
	}
}

// A profile that cannot be named still needs iam:PassRole: on any role.
func TestRunInstancesPassesAMalformedProfileAsAnyRole(t *testing.T) {
	checks := checksOf(&Handler{}, map[string]string{"Action": "RunInstances", "IamInstanceProfile.Name": "a*b"})
	last := checks[len(checks)-1]
	if last.Action != "iam:PassRole" || last.Resource != "*" {
		t.Errorf("last check %+v, want iam:PassRole on *", last)
	}
	if _, ok := checks[0].Context["ec2:InstanceProfile"]; ok {
		t.Errorf("a malformed profile named in ec2:InstanceProfile: %v", checks[0].Context)
	}
}
