package server_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// rawIAM sends one signed IAM action as it comes, past the SDK's own checks.
func rawIAM(t *testing.T, form string) (int, string) {
	t.Helper()
	c := queryCall(strings.NewReplacer(), "iam", "2010-05-08", wireQuery, nil, 255, form, "", modeSigned)
	rec := c.check(t)
	return rec.Code, rec.Body.String()
}

// TestIAMPaging pages every IAM list the model pages, with MaxItems and Marker.
func TestIAMPaging(t *testing.T) {
	ctx := context.Background()
	c := iam.NewFromConfig(awsConfig())
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	for i := range 5 {
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("pg-user-%d", i)), Path: aws.String("/paging/")}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("pg-role-%d", i)), Path: aws.String("/paging/"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			t.Fatal(err)
		}
		p, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("pg-policy-%d", i)), Path: aws.String("/paging/"), PolicyDocument: aws.String(doc)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("pg-role-0"), PolicyArn: p.Policy.Arn}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("pg-user-0")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("pg-user-0")}); err != nil {
		t.Fatal(err)
	}
	two := aws.Int32(2)
	pages := func(what string, want int, next func() (int, error), more func() bool) {
		t.Helper()
		total := 0
		for more() {
			n, err := next()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if n > 2 {
				t.Fatalf("%s: a page of %d with MaxItems 2", what, n)
			}
			total += n
		}
		if total != want {
			t.Errorf("%s: %d items, want %d", what, total, want)
		}
	}
	users := iam.NewListUsersPaginator(c, &iam.ListUsersInput{PathPrefix: aws.String("/paging/"), MaxItems: two})
	pages("ListUsers", 5, func() (int, error) {
		o, err := users.NextPage(ctx)
		return lenOr(o, err, func() int { return len(o.Users) }), err
	}, users.HasMorePages)
	roles := iam.NewListRolesPaginator(c, &iam.ListRolesInput{PathPrefix: aws.String("/paging/"), MaxItems: two})
	pages("ListRoles", 5, func() (int, error) {
		o, err := roles.NextPage(ctx)
		return lenOr(o, err, func() int { return len(o.Roles) }), err
	}, roles.HasMorePages)
	policies := iam.NewListPoliciesPaginator(c, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal, PathPrefix: aws.String("/paging/"), MaxItems: two})
	pages("ListPolicies", 5, func() (int, error) {
		o, err := policies.NextPage(ctx)
		return lenOr(o, err, func() int { return len(o.Policies) }), err
	}, policies.HasMorePages)
	attached := iam.NewListAttachedRolePoliciesPaginator(c, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("pg-role-0"), MaxItems: two})
	pages("ListAttachedRolePolicies", 5, func() (int, error) {
		o, err := attached.NextPage(ctx)
		return lenOr(o, err, func() int { return len(o.AttachedPolicies) }), err
	}, attached.HasMorePages)
	keys := iam.NewListAccessKeysPaginator(c, &iam.ListAccessKeysInput{UserName: aws.String("pg-user-0"), MaxItems: aws.Int32(1)})
	pages("ListAccessKeys", 2, func() (int, error) {
		o, err := keys.NextPage(ctx)
		return lenOr(o, err, func() int { return len(o.AccessKeyMetadata) }), err
	}, keys.HasMorePages)
	// Without a user name, the key actions act on the caller.
	mine, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil || len(mine.AccessKeyMetadata) == 0 || aws.ToString(mine.AccessKeyMetadata[0].UserName) != "admin" {
		t.Errorf("the caller's keys: %v %+v", err, mine)
	}
	onlyAttached, err := c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal, PathPrefix: aws.String("/paging/"), OnlyAttached: true})
	if err != nil || len(onlyAttached.Policies) != 5 || aws.ToInt32(onlyAttached.Policies[0].AttachmentCount) != 1 {
		t.Errorf("attached policies: %v %+v", err, onlyAttached)
	}
	for _, tc := range []struct{ form, code string }{
		{"Action=ListUsers&Version=2010-05-08&MaxItems=0", "ValidationError"},
		{"Action=ListRoles&Version=2010-05-08&MaxItems=1001", "ValidationError"},
		{"Action=ListPolicies&Version=2010-05-08&Marker=garbage", "ValidationError"},
		{"Action=ListPolicies&Version=2010-05-08&Scope=Mine", "ValidationError"},
		{"Action=ListUsers&Version=2010-05-08&PathPrefix=paging", "ValidationError"},
	} {
		if code, body := rawIAM(t, tc.form); code != 400 || !strings.Contains(body, "<Code>"+tc.code+"</Code>") {
			t.Errorf("%s: %d %s", tc.form, code, body)
		}
	}
}

// TestIAMRules checks IAM's rules that the happy path does not reach.
func TestIAMRules(t *testing.T) {
	ctx := context.Background()
	c := iam.NewFromConfig(awsConfig())
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	p, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("rules-policy"), PolicyDocument: aws.String(doc)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("rules-user")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("rules-user"), PolicyArn: p.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: p.Policy.Arn})
	wantError(t, "delete a policy attached to a user", err, "DeleteConflict", "attached")
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("apiNodeRole-missing"), PolicyArn: p.Policy.Arn})
	wantError(t, "attach to a missing role", err, "NoSuchEntity", "cannot be found")
	nodeRoleARN(t)
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("apiNodeRole"), PolicyArn: aws.String("arn:aws:s3:::bucket/key-of-some-length")})
	wantError(t, "attach a non-policy ARN", err, "InvalidInput", "is not valid")
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("apiNodeRole"), PolicyArn: aws.String("arn:aws:iam::aws:policy/")})
	wantError(t, "attach an AWS policy without a name", err, "NoSuchEntity", "does not exist")
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bad name!")})
	wantError(t, "get a user by a bad name", err, "ValidationError", "regular expression")
	tags := func(kv ...string) []iamtypes.Tag {
		var out []iamtypes.Tag
		for i := 0; i < len(kv); i += 2 {
			out = append(out, iamtypes.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
		}
		return out
	}
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("tagged"), Tags: tags("aws:x", "y")})
	wantError(t, "a reserved tag", err, "InvalidInput", "aws:")
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("tagged"), Tags: tags("Team", "a", "team", "b")})
	wantError(t, "tags differing in case", err, "InvalidInput", "Duplicate tag keys")
	var many []string
	for i := range 51 {
		many = append(many, fmt.Sprint("k", i), "v")
	}
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("tagged"), Tags: tags(many...)})
	wantError(t, "51 tags", err, "LimitExceeded", "50")
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalTag/x":"` + strings.Repeat("y", 2100) + `"}}}]}`
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("big-trust"), AssumeRolePolicyDocument: aws.String(big)})
	wantError(t, "a trust policy over 2048 characters", err, "LimitExceeded", "ACLSizePerRole")
	if code, body := rawIAM(t, "Action=CreateRole&Version=2010-05-08&RoleName=desc&AssumeRolePolicyDocument="+url.QueryEscape(doc)+"&Description="+strings.Repeat("d", 1001)); code != 400 || !strings.Contains(body, "description") {
		t.Errorf("a 1001-character description: %d %s", code, body)
	}
}
