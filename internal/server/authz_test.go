package server_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// principal is a test user with its own key, and the SDK configuration
// that signs as it.
type principal struct {
	name, arn string
	cfg       aws.Config
}

// newUser makes an IAM user with a key and the given managed policies
// (ARNs) and customer policy documents attached.
func newUser(t *testing.T, name string, managed []string, documents ...string) principal {
	t.Helper()
	ctx := context.Background()
	admin := iam.NewFromConfig(awsConfig())
	u, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	for i, doc := range documents {
		p, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("%s-%d", name, i)), PolicyDocument: aws.String(doc)})
		if err != nil {
			t.Fatalf("create policy for %s: %v", name, err)
		}
		managed = append(managed, aws.ToString(p.Policy.Arn))
	}
	for _, arn := range managed {
		if _, err := admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String(arn)}); err != nil {
			t.Fatalf("attach %s to %s: %v", arn, name, err)
		}
	}
	k, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("key of %s: %v", name, err)
	}
	return principal{name: name, arn: aws.ToString(u.User.Arn),
		cfg: awsConfig(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey))}
}

// denied checks that err is the service's refusal for action on resource.
func denied(t *testing.T, err error, code, who, action, resource, because string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("%s: want %s, got %v", action, code, err)
	}
	want := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", who, action, resource)
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), want) || !strings.Contains(ae.ErrorMessage(), because) {
		t.Fatalf("%s: got %s %q\nwant %s containing %q and %q", action, ae.ErrorCode(), ae.ErrorMessage(), code, want, because)
	}
}

const viewEKS = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks:Describe*","eks:List*"],"Resource":"*"}]}`

func TestAuthzViewerMayDescribeButNotDelete(t *testing.T) {
	ctx := context.Background()
	v := newUser(t, "authz-viewer", nil, viewEKS)
	account := testServer.models.Bootstrap.AccountID
	c := eks.NewFromConfig(v.cfg)
	if _, err := c.ListClusters(ctx, &eks.ListClustersInput{}); err != nil {
		t.Fatalf("list clusters: %v", err)
	}
	// Allowed, so the viewer learns the cluster is not there.
	if _, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("nope")}); apiErrorCode(t, err) != "ResourceNotFoundException" {
		t.Fatalf("describe: %v", err)
	}
	_, err := c.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("nope")})
	denied(t, err, "AccessDeniedException", v.arn, "eks:DeleteCluster", "arn:aws:eks:us-east-1:"+account+":cluster/nope",
		"because no identity-based policy allows the eks:DeleteCluster action")
	_, err = iam.NewFromConfig(v.cfg).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("authz-intruder")})
	denied(t, err, "AccessDenied", v.arn, "iam:CreateUser", "arn:aws:iam::"+account+":user/authz-intruder", "because no identity-based policy allows")
	if _, err := iam.NewFromConfig(awsConfig()).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("authz-intruder")}); apiErrorCode(t, err) != "NoSuchEntity" {
		t.Fatalf("a refused CreateUser made the user: %v", err)
	}
	_, err = ec2.NewFromConfig(v.cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if code := apiErrorCode(t, err); code != "UnauthorizedOperation" {
		t.Fatalf("describe VPCs: %v", err)
	}
	// Whatever its policies say, anyone may ask who they are.
	id, err := sts.NewFromConfig(v.cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != v.arn {
		t.Fatalf("get caller identity: %v", err)
	}
}

func TestAuthzExplicitDenyBeatsAdministratorAccess(t *testing.T) {
	ctx := context.Background()
	u := newUser(t, "authz-denied-admin", []string{"arn:aws:iam::aws:policy/AdministratorAccess"},
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"eks:Delete*","Resource":"*"}]}`)
	c := eks.NewFromConfig(u.cfg)
	if _, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("nope")}); apiErrorCode(t, err) != "ResourceNotFoundException" {
		t.Fatalf("describe: %v", err)
	}
	_, err := c.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("nope")})
	denied(t, err, "AccessDeniedException", u.arn, "eks:DeleteCluster", "arn:aws:eks:us-east-1:"+testServer.models.Bootstrap.AccountID+":cluster/nope",
		"with an explicit deny in an identity-based policy")
}

func TestAuthzConditions(t *testing.T) {
	ctx := context.Background()
	// Requests come from 127.0.0.1.
	far := newUser(t, "authz-far", nil, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*",
		"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`)
	if _, err := ec2.NewFromConfig(far.cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); apiErrorCode(t, err) != "UnauthorizedOperation" {
		t.Fatalf("a source outside the allowed range: %v", err)
	}
	near := newUser(t, "authz-near", nil, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*",
		"Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","127.0.0.0/8"]},"StringLike":{"aws:PrincipalArn":"*:user/authz-near"}}}]}`)
	if _, err := ec2.NewFromConfig(near.cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		t.Fatalf("a source inside the allowed range: %v", err)
	}
}

func TestAuthzAssumeRoleFollowsTrust(t *testing.T) {
	ctx := context.Background()
	admin := iam.NewFromConfig(awsConfig())
	alice := newUser(t, "authz-alice", nil)
	account := testServer.models.Bootstrap.AccountID
	makeRole := func(name, trusted, policy string) string {
		t.Helper()
		trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":%q},"Action":"sts:AssumeRole"}]}`, trusted)
		r, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
		if err != nil {
			t.Fatalf("create role %s: %v", name, err)
		}
		p, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name + "-policy"), PolicyDocument: aws.String(policy)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: p.Policy.Arn}); err != nil {
			t.Fatal(err)
		}
		return aws.ToString(r.Role.Arn)
	}
	describeVPCs := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DescribeVpcs","Resource":"*"}]}`

	// A trust policy that names alice lets her in without any policy of hers.
	named := makeRole("authz-named", alice.arn, describeVPCs)
	out, err := sts.NewFromConfig(alice.cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(named), RoleSessionName: aws.String("alice")})
	if err != nil {
		t.Fatalf("assume a role that trusts alice: %v", err)
	}
	cr := out.Credentials
	session := ec2.NewFromConfig(awsConfig(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken)))
	if _, err := session.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		t.Fatalf("the session's own right: %v", err)
	}
	_, err = session.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.9.0.0/16")})
	denied(t, err, "UnauthorizedOperation", "arn:aws:sts::"+account+":assumed-role/authz-named/alice", "ec2:CreateVpc", "", "because no identity-based policy allows")

	// A trust policy that names the account leaves it to alice's own policies.
	byAccount := makeRole("authz-account", "arn:aws:iam::"+account+":root", describeVPCs)
	_, err = sts.NewFromConfig(alice.cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(byAccount), RoleSessionName: aws.String("alice")})
	denied(t, err, "AccessDenied", alice.arn, "sts:AssumeRole", byAccount, "")
	p, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("authz-alice-assume"),
		PolicyDocument: aws.String(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":%q}]}`, byAccount))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(alice.name), PolicyArn: p.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := sts.NewFromConfig(alice.cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(byAccount), RoleSessionName: aws.String("alice")}); err != nil {
		t.Fatalf("assume with the account trusted and her own policy allowing: %v", err)
	}
	// Her policy alone does not open a role whose trust names someone else.
	other := makeRole("authz-other", "arn:aws:iam::"+account+":user/someone-else", describeVPCs)
	_, err = sts.NewFromConfig(alice.cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(other), RoleSessionName: aws.String("alice")})
	if apiErrorCode(t, err) != "AccessDenied" {
		t.Fatalf("assume a role that trusts someone else: %v", err)
	}
}
