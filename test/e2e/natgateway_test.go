package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// TestNatGatewayCLI lays out a VPC as eksctl does with the AWS CLI: an
// internet gateway, an Elastic IP and a NAT gateway, a private route table
// routing to it; checks EC2's refusals while the NAT gateway holds its
// subnet and address; then takes it all down. And an instance profile
// holding a role, as eksctl's node groups have.
func TestNatGatewayCLI(t *testing.T) {
	harness.Long(t, "about 50 s; TestEksctlClusterConfig deploys eksctl's VPC with its NAT gateway through CloudFormation")
	e := harness.New(t)
	ec2 := func(args ...string) string {
		return strings.TrimSpace(e.Run("aws", append([]string{"ec2"}, args...)...))
	}
	q := func(query string, args ...string) string {
		return ec2(append(args, "--query", query, "--output", "text")...)
	}

	vpc := q("Vpc.VpcId", "create-vpc", "--cidr-block", "10.60.0.0/16")
	ec2("modify-vpc-attribute", "--vpc-id", vpc, "--enable-dns-hostnames", `{"Value":true}`)
	if got := q("EnableDnsHostnames.Value", "describe-vpc-attribute", "--vpc-id", vpc, "--attribute", "enableDnsHostnames"); got != "True" {
		t.Fatalf("enableDnsHostnames after modify: %s", got)
	}
	public := q("Subnet.SubnetId", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.60.0.0/24", "--availability-zone", "us-east-1a")
	private := q("Subnet.SubnetId", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.60.1.0/24", "--availability-zone", "us-east-1a")
	ec2("modify-subnet-attribute", "--subnet-id", public, "--map-public-ip-on-launch")
	if got := q("Subnets[0].MapPublicIpOnLaunch", "describe-subnets", "--subnet-ids", public); got != "True" {
		t.Fatalf("MapPublicIpOnLaunch after modify: %s", got)
	}
	igw := q("InternetGateway.InternetGatewayId", "create-internet-gateway")
	ec2("attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)

	alloc := strings.Fields(q("[AllocationId,PublicIp]", "allocate-address", "--domain", "vpc"))
	if len(alloc) != 2 || !strings.HasPrefix(alloc[0], "eipalloc-") || !(strings.HasPrefix(alloc[1], "198.51.100.") || strings.HasPrefix(alloc[1], "203.0.113.")) {
		t.Fatalf("allocate-address: %v", alloc)
	}
	nat := q("NatGateway.NatGatewayId", "create-nat-gateway", "--subnet-id", public, "--allocation-id", alloc[0],
		"--tag-specifications", "ResourceType=natgateway,Tags=[{Key=Name,Value=e2e}]")
	ec2("wait", "nat-gateway-available", "--nat-gateway-ids", nat)
	if got := q("NatGateways[0].[State,NatGatewayAddresses[0].PublicIp,Tags[0].Value]", "describe-nat-gateways", "--filter", "Name=vpc-id,Values="+vpc); got != "available\t"+alloc[1]+"\te2e" {
		t.Fatalf("describe-nat-gateways: %q", got)
	}
	if got := q("Addresses[0].NetworkInterfaceId", "describe-addresses", "--allocation-ids", alloc[0]); !strings.HasPrefix(got, "eni-") {
		t.Fatalf("the address is not on the NAT gateway's interface: %q", got)
	}

	rt := q("RouteTable.RouteTableId", "create-route-table", "--vpc-id", vpc)
	ec2("create-route", "--route-table-id", rt, "--destination-cidr-block", "0.0.0.0/0", "--nat-gateway-id", nat)
	ec2("associate-route-table", "--route-table-id", rt, "--subnet-id", private)
	if got := q("RouteTables[0].Routes[?DestinationCidrBlock=='0.0.0.0/0'].[NatGatewayId,State]", "describe-route-tables", "--route-table-ids", rt); got != nat+"\tactive" {
		t.Fatalf("the route to the NAT gateway: %q", got)
	}

	for _, refused := range []struct {
		args []string
		code string
	}{
		{[]string{"ec2", "release-address", "--allocation-id", alloc[0]}, "AuthFailure"},
		{[]string{"ec2", "delete-subnet", "--subnet-id", public}, "DependencyViolation"},
		{[]string{"ec2", "create-nat-gateway", "--subnet-id", private, "--allocation-id", alloc[0]}, "Resource.AlreadyAssociated"},
		{[]string{"ec2", "create-nat-gateway", "--subnet-id", private, "--allocation-id", "eipalloc-0123456789abcdef0"}, "InvalidAllocationID.NotFound"},
		{[]string{"ec2", "describe-nat-gateways", "--nat-gateway-ids", "nat-0123456789abcdef0"}, "NatGatewayNotFound"},
	} {
		if _, err := e.Try("aws", refused.args...); err == nil || !strings.Contains(err.Error(), refused.code) {
			t.Errorf("%v: %v, want %s", refused.args, err, refused.code)
		}
	}

	ec2("delete-nat-gateway", "--nat-gateway-id", nat)
	deadline := time.Now().Add(time.Minute)
	for q("NatGateways[0].State", "describe-nat-gateways", "--nat-gateway-ids", nat) != "deleted" {
		if time.Now().After(deadline) {
			t.Fatal("the NAT gateway did not reach deleted")
		}
		time.Sleep(time.Second)
	}
	if got := q("RouteTables[0].Routes[?DestinationCidrBlock=='0.0.0.0/0'].State", "describe-route-tables", "--route-table-ids", rt); got != "blackhole" {
		t.Fatalf("the route to a deleted NAT gateway: %q", got)
	}
	ec2("release-address", "--allocation-id", alloc[0])
	ec2("delete-route", "--route-table-id", rt, "--destination-cidr-block", "0.0.0.0/0")
	assoc := q("RouteTables[0].Associations[0].RouteTableAssociationId", "describe-route-tables", "--route-table-ids", rt)
	ec2("disassociate-route-table", "--association-id", assoc)
	ec2("delete-route-table", "--route-table-id", rt)
	ec2("delete-subnet", "--subnet-id", public)
	ec2("delete-subnet", "--subnet-id", private)
	ec2("detach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
	ec2("delete-internet-gateway", "--internet-gateway-id", igw)
	ec2("delete-vpc", "--vpc-id", vpc)

	// An instance profile, as eksctl's node groups have one.
	iam := func(args ...string) string {
		return strings.TrimSpace(e.Run("aws", append([]string{"iam"}, args...)...))
	}
	iam("create-role", "--role-name", "e2eNodeRole", "--assume-role-policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	iam("create-instance-profile", "--instance-profile-name", "e2eNodeProfile", "--path", "/eks/")
	iam("add-role-to-instance-profile", "--instance-profile-name", "e2eNodeProfile", "--role-name", "e2eNodeRole")
	if got := iam("get-instance-profile", "--instance-profile-name", "e2eNodeProfile", "--query", "InstanceProfile.[Arn,Roles[0].RoleName]", "--output", "text"); !strings.HasSuffix(got, ":instance-profile/eks/e2eNodeProfile\te2eNodeRole") {
		t.Fatalf("get-instance-profile: %q", got)
	}
	if got := iam("list-instance-profiles-for-role", "--role-name", "e2eNodeRole", "--query", "InstanceProfiles[].InstanceProfileName", "--output", "text"); got != "e2eNodeProfile" {
		t.Fatalf("list-instance-profiles-for-role: %q", got)
	}
	for _, refused := range []struct {
		args []string
		code string
	}{
		{[]string{"iam", "delete-role", "--role-name", "e2eNodeRole"}, "DeleteConflict"},
		{[]string{"iam", "delete-instance-profile", "--instance-profile-name", "e2eNodeProfile"}, "DeleteConflict"},
		{[]string{"iam", "add-role-to-instance-profile", "--instance-profile-name", "e2eNodeProfile", "--role-name", "e2eNodeRole"}, "LimitExceeded"},
	} {
		if _, err := e.Try("aws", refused.args...); err == nil || !strings.Contains(err.Error(), refused.code) {
			t.Errorf("%v: %v, want %s", refused.args, err, refused.code)
		}
	}
	iam("remove-role-from-instance-profile", "--instance-profile-name", "e2eNodeProfile", "--role-name", "e2eNodeRole")
	iam("delete-instance-profile", "--instance-profile-name", "e2eNodeProfile")
	iam("delete-role", "--role-name", "e2eNodeRole")
}
