package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keksdev/keks/internal/authn"
	"github.com/keksdev/keks/internal/awsprofile"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/client"
)

func TestIAMUsersRolesPolicies(t *testing.T) {
	ctx := context.Background()
	c := iam.NewFromConfig(awsConfig())
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); apiErrorCode(t, err) != "EntityAlreadyExists" {
		t.Fatalf("duplicate user: %v", err)
	}
	if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")}); apiErrorCode(t, err) != "NoSuchEntity" {
		t.Fatalf("missing user: %v", err)
	}
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil || !strings.HasPrefix(aws.ToString(key.AccessKey.AccessKeyId), "AKIA") {
		t.Fatalf("access key: %v", err)
	}
	id, err := sts.NewFromConfig(awsConfig(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey))).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(id.Arn), ":user/alice") {
		t.Fatalf("alice's identity: %v %+v", err, id)
	}
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")}); apiErrorCode(t, err) != "DeleteConflict" {
		t.Fatalf("delete user with keys: %v", err)
	}
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String("{not json")}); apiErrorCode(t, err) != "MalformedPolicyDocument" {
		t.Fatalf("malformed trust policy: %v", err)
	}
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad name!"), AssumeRolePolicyDocument: aws.String(`{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"*"}}]}`)}); apiErrorCode(t, err) != "ValidationError" {
		t.Fatalf("bad role name: %v", err)
	}
	role, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("admins"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + testServer.models.Bootstrap.UserARN + `"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("admins")})
	if err != nil || !strings.Contains(aws.ToString(got.Role.AssumeRolePolicyDocument), "AssumeRole") {
		t.Fatalf("get role: %v", err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("admins"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy")}); err != nil {
		t.Fatal(err)
	}
	att, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("admins")})
	if err != nil || len(att.AttachedPolicies) != 1 {
		t.Fatalf("attached policies: %v %+v", err, att)
	}
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("admins")}); apiErrorCode(t, err) != "DeleteConflict" {
		t.Fatalf("delete role with policies: %v", err)
	}
	pol, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p1"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("admins"), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatal(err)
	}

	// AssumeRole: allowed for the admin user, refused for alice; the session can call EKS.
	s := sts.NewFromConfig(awsConfig())
	creds, err := s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("ci")})
	if err != nil || !strings.HasPrefix(aws.ToString(creds.Credentials.AccessKeyId), "ASIA") {
		t.Fatalf("assume role: %v", err)
	}
	sessionCfg := awsConfig(aws.ToString(creds.Credentials.AccessKeyId), aws.ToString(creds.Credentials.SecretAccessKey), aws.ToString(creds.Credentials.SessionToken))
	who, err := sts.NewFromConfig(sessionCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(who.Arn), ":assumed-role/admins/ci") {
		t.Fatalf("session identity: %v %+v", err, who)
	}
	if _, err := eks.NewFromConfig(sessionCfg).ListClusters(ctx, &eks.ListClustersInput{}); err != nil {
		t.Fatalf("EKS with session credentials: %v", err)
	}
	noToken := awsConfig(aws.ToString(creds.Credentials.AccessKeyId), aws.ToString(creds.Credentials.SecretAccessKey))
	if _, err := eks.NewFromConfig(noToken).ListClusters(ctx, &eks.ListClustersInput{}); apiErrorCode(t, err) != "UnrecognizedClientException" {
		t.Fatalf("session key without its token: %v", err)
	}
	alice := sts.NewFromConfig(awsConfig(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)))
	if _, err := alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("x1")}); apiErrorCode(t, err) != "AccessDenied" {
		t.Fatalf("alice assuming admins: %v", err)
	}
}

func TestEC2Network(t *testing.T) {
	ctx := context.Background()
	c := ec2.NewFromConfig(awsConfig())
	az, err := c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	if err != nil || len(az.AvailabilityZones) != 3 {
		t.Fatalf("zones: %v %+v", err, az)
	}
	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}})
	if err != nil || len(vpcs.Vpcs) != 1 || aws.ToString(vpcs.Vpcs[0].CidrBlock) != "172.31.0.0/16" {
		t.Fatalf("default VPC: %v %+v", err, vpcs)
	}
	sn, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{aws.ToString(vpcs.Vpcs[0].VpcId)}}}})
	if err != nil || len(sn.Subnets) != 6 {
		t.Fatalf("default subnets: %v %d", err, len(sn.Subnets))
	}
	public, zones := 0, map[string]int{}
	for _, s := range sn.Subnets {
		if aws.ToBool(s.MapPublicIpOnLaunch) {
			public++
		}
		zones[aws.ToString(s.AvailabilityZone)]++
	}
	if public != 3 || len(zones) != 3 {
		t.Fatalf("want a public and a private subnet per zone, got %d public over %v", public, zones)
	}
	if _, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-nope"}}); apiErrorCode(t, err) != "InvalidVpcID.NotFound" {
		t.Fatalf("missing VPC: %v", err)
	}
	if _, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpcs.Vpcs[0].VpcId, CidrBlock: aws.String("172.31.0.0/24")}); apiErrorCode(t, err) != "InvalidSubnet.Conflict" {
		t.Fatalf("overlapping subnet: %v", err)
	}
	if _, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/33")}); apiErrorCode(t, err) != "InvalidParameterValue" {
		t.Fatalf("bad CIDR: %v", err)
	}
	sg, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("web"), VpcId: vpcs.Vpcs[0].VpcId})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("web"), VpcId: vpcs.Vpcs[0].VpcId}); apiErrorCode(t, err) != "InvalidGroup.Duplicate" {
		t.Fatalf("duplicate group: %v", err)
	}
	got, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{aws.ToString(sg.GroupId)}})
	if err != nil || len(got.SecurityGroups) != 1 || aws.ToString(got.SecurityGroups[0].GroupName) != "web" {
		t.Fatalf("describe group: %v %+v", err, got)
	}
}

// TestEKSToken checks the authenticator against tokens keks's own CLI makes
// with aws-sdk-go-v2's presigner (the AWS CLI's are checked end to end).
func TestEKSToken(t *testing.T) {
	ctx := context.Background()
	b := testServer.models.Bootstrap
	cl := &client.Client{Profile: &awsprofile.Profile{Region: "us-east-1", EndpointURL: testServer.models.Endpoint, AccessKeyID: b.AccessKeyID, SecretAccessKey: b.SecretAccessKey}, Config: awsConfig()}
	token, _, err := cl.Token(ctx, "tok")
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(testServer.models.Endpoint, "https://")
	v := &authn.Verifier{Keys: authn.IAMIdentities{Keys: testServer.models.IAM}, STSHosts: []string{host}, Now: timeNow}
	p, err := v.Verify(ctx, token, "tok")
	if err != nil || p.ARN != b.UserARN {
		t.Fatalf("verify: %v %+v", err, p)
	}
	if _, err := v.Verify(ctx, token, "other-cluster"); err == nil {
		t.Fatal("a token for one cluster was accepted by another")
	}
	if _, err := v.Verify(ctx, token[:len(token)-4]+"AAAA", "tok"); err == nil {
		t.Fatal("a tampered token was accepted")
	}
	if _, err := (&authn.Verifier{Keys: authn.IAMIdentities{Keys: testServer.models.IAM}, Now: timeNow}).Verify(ctx, token, "tok"); err == nil {
		t.Fatal("a token for a host that is not STS was accepted")
	}
	// The authenticator beside each API server checks tokens against a snapshot of derived keys.
	keys, err := testServer.models.IAM.ActiveKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var creds []authn.Credential
	for _, k := range keys {
		creds = append(creds, authn.Credential{Secret: k.Key.Secret, Principal: awsproto.Principal{Account: k.Identity.Account, ARN: k.Identity.ARN, UserID: k.Identity.UserID, AccessKeyID: k.Key.ID}})
	}
	snap := authn.NewSnapshot(authn.ClusterIdentity{Name: "tok"}, []string{host}, creds, []string{"us-east-1"}, timeNow())
	if raw, _ := json.Marshal(snap); strings.Contains(string(raw), b.SecretAccessKey) {
		t.Fatal("the identity snapshot holds a secret access key")
	}
	if p, err := (&authn.Verifier{Keys: snap, STSHosts: snap.STSHosts, Now: timeNow}).Verify(ctx, token, "tok"); err != nil || p.ARN != b.UserARN {
		t.Fatalf("verify against snapshot: %v %+v", err, p)
	}
	late := &authn.Verifier{Keys: authn.IAMIdentities{Keys: testServer.models.IAM}, STSHosts: []string{host}, Now: func() time.Time { return timeNow().Add(16 * time.Minute) }}
	if _, err := late.Verify(ctx, token, "tok"); err == nil {
		t.Fatal("a 16-minute-old token was accepted")
	}
}
