package server_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// queryOp is a Query-protocol action with a valid form as seed.
type queryOp struct{ action, form string }

// iamOps are the IAM actions keks serves, in an order in which each seed succeeds.
var iamOps = []queryOp{
	{"CreateUser", "UserName=fz-u2&Path=%2Ffuzz%2F&Tags.member.1.Key=team&Tags.member.1.Value=fuzz"},
	{"GetUser", "UserName=fz-user"},
	{"ListUsers", "MaxItems=5"},
	{"CreateAccessKey", "UserName=fz-user"},
	{"ListAccessKeys", "UserName=fz-user"},
	{"DeleteAccessKey", "UserName=fz-user&AccessKeyId=$USER_KEY"},
	{"CreateRole", "RoleName=fz-r2&AssumeRolePolicyDocument=" + url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`) + "&MaxSessionDuration=7200&Description=fuzz"},
	{"GetRole", "RoleName=fz-role"},
	{"ListRoles", "MaxItems=5"},
	{"AttachRolePolicy", "RoleName=fz-role&PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FAmazonEKSClusterPolicy"},
	{"ListAttachedRolePolicies", "RoleName=fz-role"},
	{"DetachRolePolicy", "RoleName=fz-role&PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FAmazonEKSClusterPolicy"},
	{"AttachUserPolicy", "UserName=fz-user&PolicyArn=$POLICY"},
	{"CreatePolicy", "PolicyName=fz-pol2&PolicyDocument=" + url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`)},
	{"GetPolicy", "PolicyArn=$POLICY"},
	{"ListPolicies", "Scope=Local&MaxItems=5"},
	{"DeletePolicy", "PolicyArn=$POLICY_DEL"},
	{"DeleteRole", "RoleName=fz-role-del"},
	{"DeleteUser", "UserName=fz-user-del"},
}

var stsOps = []queryOp{
	{"GetCallerIdentity", ""},
	{"AssumeRole", "RoleArn=$ROLE&RoleSessionName=fuzz&DurationSeconds=900"},
}

// ec2Ops are the EC2 actions keks serves, in an order in which each seed succeeds.
var ec2Ops = []queryOp{
	{"DescribeAvailabilityZones", "Filter.1.Name=zone-name&Filter.1.Value.1=eu-west-1*"},
	{"DescribeRegions", ""},
	{"DescribeVpcs", "Filter.1.Name=cidr&Filter.1.Value.1=10.7%3F.0.0%2F16&MaxResults=5"},
	{"CreateVpc", "CidrBlock=10.78.0.0%2F16&TagSpecification.1.ResourceType=vpc&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=fz"},
	{"DescribeSubnets", "Filter.1.Name=vpc-id&Filter.1.Value.1=$VPC"},
	{"CreateSubnet", "VpcId=$VPC&CidrBlock=10.77.2.0%2F24&AvailabilityZone=eu-west-1b"},
	{"DescribeSecurityGroups", "Filter.1.Name=vpc-id&Filter.1.Value.1=$VPC"},
	{"CreateSecurityGroup", "GroupName=fz-sg2&GroupDescription=fuzz&VpcId=$VPC"},
	{"CreateTags", "ResourceId.1=$VPC&Tag.1.Key=team&Tag.1.Value=fuzz"},
	{"CreateInternetGateway", "TagSpecification.1.ResourceType=internet-gateway&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=fz"},
	{"DescribeInternetGateways", "Filter.1.Name=attachment.vpc-id&Filter.1.Value.1=$VPC"},
	{"CreateRouteTable", "VpcId=$VPC"},
	{"DescribeRouteTables", "Filter.1.Name=vpc-id&Filter.1.Value.1=$VPC&Filter.2.Name=association.main&Filter.2.Value.1=true"},
	{"RunInstances", "ImageId=ami-fuzz&InstanceType=t3.small&MinCount=2&MaxCount=2&SubnetId=$SUBNET"},
	{"DescribeInstances", "Filter.1.Name=subnet-id&Filter.1.Value.1=$SUBNET&MaxResults=5"},
	{"TerminateInstances", "InstanceId.1=$INSTANCE"},
	{"DeleteSecurityGroup", "GroupId=$SG_DEL"},
	{"DeleteSubnet", "SubnetId=$SUBNET_DEL"},
	{"DeleteVpc", "VpcId=$VPC_DEL"},
	{"CreateVolume", "AvailabilityZone=eu-west-1a&Size=8&VolumeType=gp3&Iops=3000&Throughput=125&Encrypted=false&ClientToken=fz-token" +
		"&TagSpecification.1.ResourceType=volume&TagSpecification.1.Tag.1.Key=CSIVolumeName&TagSpecification.1.Tag.1.Value=fz"},
	{"DescribeVolumes", "Filter.1.Name=tag:CSIVolumeName&Filter.1.Value.1=fz*&Filter.2.Name=attachment.status&Filter.2.Value.1=attached&MaxResults=5"},
	{"ModifyVolume", "VolumeId=$VOLUME&Size=9&VolumeType=gp3&Iops=4000&Throughput=250"},
	{"DescribeVolumesModifications", "VolumeId.1=$VOLUME"},
	{"AttachVolume", "VolumeId=$VOLUME&InstanceId=$VOL_INSTANCE&Device=%2Fdev%2Fxvdaa"},
	{"CreateSnapshot", "VolumeId=$VOLUME&Description=fz&TagSpecification.1.ResourceType=snapshot&TagSpecification.1.Tag.1.Key=team&TagSpecification.1.Tag.1.Value=fz"},
	{"DescribeSnapshots", "Owner.1=self&Filter.1.Name=volume-id&Filter.1.Value.1=$VOLUME&MaxResults=5"},
	{"DetachVolume", "VolumeId=$VOLUME&InstanceId=$VOL_INSTANCE&Force=true"},
	{"DeleteTags", "ResourceId.1=$VOLUME&ResourceId.2=$SNAPSHOT_DEL&Tag.1.Key=team&Tag.2.Key=env&Tag.2.Value=fz"},
	{"DeleteSnapshot", "SnapshotId=$SNAPSHOT_DEL"},
	{"DeleteVolume", "VolumeId=$VOLUME_DEL"},
	// Security group rules.
	{"AuthorizeSecurityGroupIngress", "GroupId=$SG_RULES&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=22&IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0%2F0&IpPermissions.1.IpRanges.1.Description=ssh" +
		"&TagSpecification.1.ResourceType=security-group-rule&TagSpecification.1.Tag.1.Key=team&TagSpecification.1.Tag.1.Value=fz"},
	{"AuthorizeSecurityGroupEgress", "GroupId=$SG_RULES&IpPermissions.1.IpProtocol=-1&IpPermissions.1.Groups.1.GroupId=$SG_RULES"},
	{"DescribeSecurityGroupRules", "Filter.1.Name=group-id&Filter.1.Value.1=$SG_RULES&Filter.2.Name=tag:team&Filter.2.Value.1=fz&MaxResults=5"},
	{"UpdateSecurityGroupRuleDescriptionsIngress", "GroupId=$SG_RULES&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=22&IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0%2F0&IpPermissions.1.IpRanges.1.Description=new"},
	{"UpdateSecurityGroupRuleDescriptionsEgress", "GroupId=$SG_RULES&IpPermissions.1.IpProtocol=-1&IpPermissions.1.Groups.1.GroupId=$SG_RULES&IpPermissions.1.Groups.1.Description=self"},
	{"RevokeSecurityGroupIngress", "GroupId=$SG_RULES&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=22&IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0%2F0"},
	{"RevokeSecurityGroupEgress", "GroupId=$SG_RULES&IpPermissions.1.IpProtocol=-1&IpPermissions.1.Groups.1.GroupId=$SG_RULES"},
	{"ModifySecurityGroupRules", "GroupId=$SG_RULES&SecurityGroupRule.1.SecurityGroupRuleId=$SG_RULE&SecurityGroupRule.1.SecurityGroupRule.IpProtocol=udp" +
		"&SecurityGroupRule.1.SecurityGroupRule.FromPort=53&SecurityGroupRule.1.SecurityGroupRule.ToPort=53&SecurityGroupRule.1.SecurityGroupRule.CidrIpv4=10.0.0.0%2F8"},
	{"CreateKeyPair", "KeyName=fz-key&KeyType=ed25519&TagSpecification.1.ResourceType=key-pair&TagSpecification.1.Tag.1.Key=team&TagSpecification.1.Tag.1.Value=fz"},
	{"ImportKeyPair", "KeyName=fz-imported&PublicKeyMaterial=" + fuzzPublicKey},
	{"DescribeKeyPairs", "KeyName.1=fz-key&Filter.1.Name=tag:team&Filter.1.Value.1=f*&IncludePublicKey=true"},
	{"DeleteKeyPair", "KeyName=fz-imported"},
}

// fuzzPublicKey is an OpenSSH ed25519 public key line, base64 and URL-encoded.
const fuzzPublicKey = "c3NoLWVkMjU1MTkgQUFBQUMzTnphQzFsWkRJMU5URTVBQUFBSUFiUkJhTS93N2FrMkl6SWhRTm8zakpwNmtMWkJUNncrS0QwL00rblZiNmEgZnoK"

// queryCall builds a Query request: action op of ops (or, past the list,
// the fuzzed form alone) posted to / with a fuzzed URL query.
func queryCall(vars *strings.Replacer, service, version string, w wire, ops []queryOp, op uint8, form, query string, mode uint8) *fuzzCall {
	form, query = vars.Replace(form), vars.Replace(query)
	body := form
	if int(op) < len(ops) {
		body = "Action=" + ops[op].action + "&Version=" + version + "&" + form
	}
	return &fuzzCall{service: service, wire: w, method: "POST", mode: mode, body: []byte(body), unmarked: int(op) >= len(ops),
		url:    &url.URL{Scheme: "https", Host: fuzzHost, Path: "/", RawQuery: query},
		header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}}
}

// ec2Edges are requests beside the valid ones that reach where a call acts
// on several resources and must act on all or none.
var ec2Edges = []queryOp{
	{"CreateTags", "ResourceId.1=$VPC&ResourceId.2=vpc-00000000000000000&Tag.1.Key=a&Tag.1.Value=b"},
	{"TerminateInstances", "InstanceId.1=$INSTANCE&InstanceId.2=i-00000000000000000"},
	{"RunInstances", "ImageId=ami-fuzz&InstanceType=t3.small&MinCount=20&MaxCount=20&SubnetId=$SUBNET"},
	{"DescribeVpcs", "Filter.1.Name=tag:Name&Filter.1.Value.1=*&MaxResults=5&NextToken=azp2cGMt"},
	{"CreateTags", "ResourceId.1=$VOLUME&ResourceId.2=snap-00000000000000000&Tag.1.Key=a&Tag.1.Value=b"},
	{"DeleteTags", "ResourceId.1=$VOLUME&ResourceId.2=vol-00000000000000000&Tag.1.Key=a"},
	{"CreateVolume", "AvailabilityZone=eu-west-1a&SnapshotId=$SNAPSHOT&VolumeType=io2&Iops=64000&MultiAttachEnabled=true&Encrypted=true&KmsKeyId=alias%2Fnope"},
	{"AttachVolume", "VolumeId=$VOLUME&InstanceId=$INSTANCE&Device=%2Fdev%2Fxvdaa"},
	{"DescribeVolumes", "VolumeId.1=$VOLUME&VolumeId.2=vol-00000000000000000"},
	{"AuthorizeSecurityGroupIngress", "GroupId=$SG_RULES&IpProtocol=tcp&FromPort=80&ToPort=80&CidrIp=10.0.0.0%2F8&IpPermissions.1.IpProtocol=udp"},
	{"AuthorizeSecurityGroupIngress", "GroupId=$SG_RULES&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=1&IpPermissions.1.ToPort=2" +
		"&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F8&IpPermissions.1.Groups.1.GroupId=sg-00000000000000000"},
	{"RevokeSecurityGroupIngress", "GroupId=$SG_RULES&SecurityGroupRuleId.1=sgr-00000000000000000"},
	{"RunInstances", "ImageId=ami-fuzz&InstanceType=t3.small&MinCount=1&MaxCount=1&SubnetId=$SUBNET&KeyName=nope"},
	{"ImportKeyPair", "KeyName=fz-bad&PublicKeyMaterial=c3NoLXJzYSBBQUFB"},
	{"DeleteKeyPair", "KeyPairId=key-00000000000000000"},
}

func fuzzQuery(f *testing.F, service, version string, w wire, ops []queryOp, edges ...queryOp) {
	for i, o := range ops {
		f.Add(uint8(i), o.form, "", uint8(modeSigned))
	}
	for _, e := range edges {
		i := slices.IndexFunc(ops, func(o queryOp) bool { return o.action == e.action })
		f.Add(uint8(i), e.form, "", uint8(modeSigned))
	}
	f.Add(uint8(len(ops)), "Action=Nope", "", uint8(modeSigned))
	f.Add(uint8(0), ops[0].form, "", uint8(modeUnsigned))
	f.Fuzz(func(t *testing.T, op uint8, form, query string, mode uint8) {
		queryCall(fuzzVars(t), service, version, w, ops, op, form, query, mode).check(t)
	})
}

func FuzzIAM(f *testing.F) { fuzzQuery(f, "iam", "2010-05-08", wireQuery, iamOps) }
func FuzzSTS(f *testing.F) { fuzzQuery(f, "sts", "2011-06-15", wireQuery, stsOps) }
func FuzzEC2(f *testing.F) { fuzzQuery(f, "ec2", "2016-11-15", wireEC2, ec2Ops, ec2Edges...) }

func TestQueryFuzzSeedsSucceed(t *testing.T) {
	vars := fuzzVars(t)
	for _, s := range []struct {
		service, version string
		w                wire
		ops              []queryOp
	}{{"iam", "2010-05-08", wireQuery, iamOps}, {"sts", "2011-06-15", wireQuery, stsOps}, {"ec2", "2016-11-15", wireEC2, ec2Ops}, {"autoscaling", "2011-01-01", wireQuery, asOps}} {
		for i, o := range s.ops {
			if rec := queryCall(vars, s.service, s.version, s.w, s.ops, uint8(i), o.form, "", modeSigned).check(t); rec.Code != http.StatusOK {
				t.Errorf("%s %s seed: %d %s", s.service, o.action, rec.Code, rec.Body)
			}
		}
	}
}
