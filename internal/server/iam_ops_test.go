package server_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keksdev/keks/internal/awserr"
	keksiam "github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/iam/awspolicies"
)

// The IAM operations on groups, inline policies, policy versions, tags and
// access keys, through aws-sdk-go-v2 as the admin user. Names start with
// ops- to stay apart from the other tests sharing the server.

const (
	opsAllowS3  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	opsAllowEC2 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`
	opsTrust    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
)

// pager is any of the SDK's IAM paginators.
type pager[O any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*iam.Options)) (O, error)
}

// drain reads every page, checking none holds more than max items, and
// returns the items' names in order.
func drain[O any](t *testing.T, what string, p pager[O], max int, names func(O) []string) []string {
	t.Helper()
	var out []string
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		got := names(page)
		if len(got) > max {
			t.Fatalf("%s: a page of %d, MaxItems %d", what, len(got), max)
		}
		out = append(out, got...)
	}
	return out
}

func tagList(kv ...string) []iamtypes.Tag {
	var out []iamtypes.Tag
	for i := 0; i < len(kv); i += 2 {
		out = append(out, iamtypes.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

// decoded reads a policy document as IAM sends it: URL-encoded.
func decoded(t *testing.T, doc *string) string {
	t.Helper()
	out, err := url.QueryUnescape(aws.ToString(doc))
	if err != nil {
		t.Fatalf("document %q: %v", aws.ToString(doc), err)
	}
	return out
}

func mustOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: succeeded, want %s", what, code)
	}
	if got := apiErrorCode(t, err); got != code {
		t.Fatalf("%s: %v, want %s", what, err, code)
	}
}

func TestIAMGroups(t *testing.T) {
	ctx := context.Background()
	c := iam.NewFromConfig(awsConfig())
	g, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ops-devs"), Path: aws.String("/ops/")})
	mustOK(t, "create group", err)
	if !strings.HasSuffix(aws.ToString(g.Group.Arn), ":group/ops/ops-devs") || !strings.HasPrefix(aws.ToString(g.Group.GroupId), "AGPA") {
		t.Fatalf("group: %+v", g.Group)
	}
	_, err = c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("OPS-DEVS")})
	wantCode(t, "a group named again in other case", err, "EntityAlreadyExists")
	_, err = c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("ops-nobody")})
	wantCode(t, "a missing group", err, "NoSuchEntity")
	_, err = c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("bad name")})
	wantCode(t, "a bad group name", err, "ValidationError")

	for i := range 3 {
		_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("ops-member-%d", i))})
		mustOK(t, "create user", err)
		_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("ops-devs"), UserName: aws.String(fmt.Sprintf("ops-member-%d", i))})
		mustOK(t, "add user to group", err)
	}
	_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("ops-devs"), UserName: aws.String("ops-member-0")})
	mustOK(t, "add a member again", err)
	_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("ops-devs"), UserName: aws.String("ops-nobody")})
	wantCode(t, "add a missing user", err, "NoSuchEntity")

	members := drain(t, "GetGroup", iam.NewGetGroupPaginator(c, &iam.GetGroupInput{GroupName: aws.String("ops-devs"), MaxItems: aws.Int32(2)}), 2,
		func(o *iam.GetGroupOutput) []string {
			var out []string
			for _, u := range o.Users {
				out = append(out, aws.ToString(u.UserName))
			}
			return out
		})
	if !slices.Equal(members, []string{"ops-member-0", "ops-member-1", "ops-member-2"}) {
		t.Errorf("members: %v", members)
	}
	groups, err := c.ListGroups(ctx, &iam.ListGroupsInput{PathPrefix: aws.String("/ops/")})
	if err != nil || len(groups.Groups) != 1 || aws.ToString(groups.Groups[0].GroupName) != "ops-devs" {
		t.Errorf("groups under /ops/: %v %+v", err, groups)
	}
	forUser, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("ops-member-1")})
	if err != nil || len(forUser.Groups) != 1 {
		t.Errorf("groups for user: %v %+v", err, forUser)
	}

	// Policies: managed and inline.
	_, err = c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("ops-devs"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
	mustOK(t, "attach group policy", err)
	_, err = c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("ops-devs"), PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchManagedPolicy")})
	wantCode(t, "attach an AWS policy that does not exist", err, "NoSuchEntity")
	att, err := c.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("ops-devs")})
	if err != nil || len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyName) != "ReadOnlyAccess" {
		t.Errorf("attached group policies: %v %+v", err, att)
	}
	_, err = c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("ops-devs"), PolicyName: aws.String("s3"), PolicyDocument: aws.String(opsAllowS3)})
	mustOK(t, "put group policy", err)
	gp, err := c.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String("ops-devs"), PolicyName: aws.String("s3")})
	mustOK(t, "get group policy", err)
	if decoded(t, gp.PolicyDocument) != opsAllowS3 || aws.ToString(gp.GroupName) != "ops-devs" {
		t.Errorf("group policy: %+v", gp)
	}
	names, err := c.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String("ops-devs")})
	if err != nil || !slices.Equal(names.PolicyNames, []string{"s3"}) {
		t.Errorf("group policy names: %v %+v", err, names)
	}

	// Renaming keeps members and policies.
	_, err = c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("ops-devs"), NewGroupName: aws.String("ops-builders"), NewPath: aws.String("/ops/build/")})
	mustOK(t, "rename group", err)
	renamed, err := c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("ops-builders")})
	if err != nil || len(renamed.Users) != 3 || aws.ToString(renamed.Group.GroupId) != aws.ToString(g.Group.GroupId) || aws.ToString(renamed.Group.Path) != "/ops/build/" {
		t.Fatalf("renamed group: %v %+v", err, renamed)
	}

	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("ops-builders")})
	wantCode(t, "delete a group with members", err, "DeleteConflict")
	for i := range 3 {
		_, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("ops-builders"), UserName: aws.String(fmt.Sprintf("ops-member-%d", i))})
		mustOK(t, "remove user from group", err)
	}
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("ops-builders")})
	wantCode(t, "delete a group with policies", err, "DeleteConflict")
	_, err = c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("ops-builders"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
	mustOK(t, "detach group policy", err)
	_, err = c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("ops-builders"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
	wantCode(t, "detach twice", err, "NoSuchEntity")
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("ops-builders")})
	wantCode(t, "delete a group with an inline policy", err, "DeleteConflict")
	_, err = c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("ops-builders"), PolicyName: aws.String("s3")})
	mustOK(t, "delete group policy", err)
	_, err = c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("ops-builders"), PolicyName: aws.String("s3")})
	wantCode(t, "delete a missing group policy", err, "NoSuchEntity")
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("ops-builders")})
	mustOK(t, "delete group", err)
}

func TestIAMUserOperations(t *testing.T) {
	ctx := context.Background()
	c := iam.NewFromConfig(awsConfig())
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ops-carol"), Path: aws.String("/ops-people/"), Tags: tagList("team", "a")})
	mustOK(t, "create user", err)

	// Tags.
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("ops-carol"), Tags: tagList("env", "dev", "cost", "1", "owner", "x")})
	mustOK(t, "tag user", err)
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("ops-carol"), Tags: tagList("aws:reserved", "x")})
	wantCode(t, "a reserved tag", err, "InvalidInput")
	_, err = c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("ops-carol"), TagKeys: []string{"owner"}})
	mustOK(t, "untag user", err)
	keys := drain(t, "ListUserTags", iam.NewListUserTagsPaginator(c, &iam.ListUserTagsInput{UserName: aws.String("ops-carol"), MaxItems: aws.Int32(1)}), 1,
		func(o *iam.ListUserTagsOutput) []string {
			var out []string
			for _, tg := range o.Tags {
				out = append(out, aws.ToString(tg.Key))
			}
			return out
		})
	if !slices.Equal(keys, []string{"cost", "env", "team"}) {
		t.Errorf("tag keys: %v", keys)
	}
	got, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ops-carol")})
	if err != nil || len(got.User.Tags) != 3 {
		t.Errorf("GetUser's tags: %v %+v", err, got)
	}

	// Managed policies.
	pol, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("ops-user-policy"), PolicyDocument: aws.String(opsAllowS3)})
	mustOK(t, "create policy", err)
	_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("ops-carol"), PolicyArn: pol.Policy.Arn})
	mustOK(t, "attach user policy", err)
	att, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("ops-carol")})
	if err != nil || len(att.AttachedPolicies) != 1 {
		t.Errorf("attached user policies: %v %+v", err, att)
	}

	// Inline policies, whose documents come back URL-encoded.
	spaced := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"ec2:Describe*\", \"Resource\": \"*\"}]\n}"
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ops-carol"), PolicyName: aws.String("describe"), PolicyDocument: aws.String(spaced)})
	mustOK(t, "put user policy", err)
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ops-carol"), PolicyName: aws.String("bad"), PolicyDocument: aws.String(`{"Statement":[{"Effect":"Allow"}]}`)})
	wantCode(t, "a malformed inline policy", err, "MalformedPolicyDocument")
	up, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("ops-carol"), PolicyName: aws.String("describe")})
	mustOK(t, "get user policy", err)
	if strings.Contains(aws.ToString(up.PolicyDocument), " ") || strings.Contains(aws.ToString(up.PolicyDocument), "+") || decoded(t, up.PolicyDocument) != spaced {
		t.Errorf("user policy as sent: %q", aws.ToString(up.PolicyDocument))
	}
	_, err = c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("ops-carol"), PolicyName: aws.String("nothing")})
	wantCode(t, "a missing user policy", err, "NoSuchEntity")
	inline, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("ops-carol")})
	if err != nil || !slices.Equal(inline.PolicyNames, []string{"describe"}) {
		t.Errorf("user policy names: %v %+v", err, inline)
	}

	// Renaming and moving keeps everything.
	_, err = c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("ops-carol"), NewUserName: aws.String("ops-caroline"), NewPath: aws.String("/ops-staff/")})
	mustOK(t, "rename user", err)
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ops-carol")})
	wantCode(t, "the old name", err, "NoSuchEntity")
	staff, err := c.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/ops-staff/")})
	if err != nil || len(staff.Users) != 1 || !strings.HasSuffix(aws.ToString(staff.Users[0].Arn), ":user/ops-staff/ops-caroline") {
		t.Fatalf("users under /ops-staff/: %v %+v", err, staff)
	}
	_, err = c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("ops-caroline"), NewUserName: aws.String("admin")})
	wantCode(t, "rename onto the admin", err, "EntityAlreadyExists")

	// DeleteUser refuses while anything is left, one thing at a time.
	_, err = c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ops-carols")})
	mustOK(t, "create group", err)
	_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("ops-carols"), UserName: aws.String("ops-caroline")})
	mustOK(t, "add to group", err)
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ops-caroline")})
	mustOK(t, "create key", err)
	steps := []struct {
		what  string
		clear func() error
	}{
		{"access keys", func() error {
			_, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("ops-caroline"), AccessKeyId: key.AccessKey.AccessKeyId})
			return err
		}},
		{"groups", func() error {
			_, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("ops-carols"), UserName: aws.String("ops-caroline")})
			return err
		}},
		{"attached policies", func() error {
			_, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("ops-caroline"), PolicyArn: pol.Policy.Arn})
			return err
		}},
		{"inline policies", func() error {
			_, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("ops-caroline"), PolicyName: aws.String("describe")})
			return err
		}},
	}
	for _, s := range steps {
		_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("ops-caroline")})
		wantCode(t, "delete a user with "+s.what, err, "DeleteConflict")
		mustOK(t, "clear "+s.what, s.clear())
	}
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("ops-caroline")})
	mustOK(t, "delete user", err)
	_, err = c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("ops-caroline"), PolicyArn: pol.Policy.Arn})
	wantCode(t, "detach from a deleted user", err, "NoSuchEntity")
}

func TestIAMRoleOperations(t *testing.T) {
	ctx := context.Background()
	c := iam.NewFromConfig(awsConfig())
	adminTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + testServer.models.Bootstrap.UserARN + `"},"Action":"sts:AssumeRole"}]}`
	role, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ops-role"), AssumeRolePolicyDocument: aws.String(opsTrust), Tags: tagList("env", "dev")})
	mustOK(t, "create role", err)

	_, err = c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("ops-role"), Description: aws.String("builds things"), MaxSessionDuration: aws.Int32(7200)})
	mustOK(t, "update role", err)
	_, err = c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("ops-role"), MaxSessionDuration: aws.Int32(60)})
	wantCode(t, "a one-minute session limit", err, "ValidationError")
	_, err = c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("ops-nothing")})
	wantCode(t, "update a missing role", err, "NoSuchEntity")
	desc, err := c.UpdateRoleDescription(ctx, &iam.UpdateRoleDescriptionInput{RoleName: aws.String("ops-role"), Description: aws.String("builds more")})
	if err != nil || aws.ToString(desc.Role.Description) != "builds more" || aws.ToInt32(desc.Role.MaxSessionDuration) != 7200 {
		t.Fatalf("update role description: %v %+v", err, desc)
	}

	_, err = c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("ops-role"), PolicyDocument: aws.String(`{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`)})
	wantCode(t, "a trust policy without a principal", err, "MalformedPolicyDocument")
	_, err = c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("ops-role"), PolicyDocument: aws.String(adminTrust)})
	mustOK(t, "update trust policy", err)

	_, err = c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("ops-role"), Tags: tagList("ENV", "prod", "tier", "1")})
	mustOK(t, "tag role", err)
	_, err = c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("ops-role"), TagKeys: []string{"tier"}})
	mustOK(t, "untag role", err)
	tags, err := c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("ops-role")})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "ENV" || aws.ToString(tags.Tags[0].Value) != "prod" {
		t.Errorf("role tags (keys differing in case are one): %v %+v", err, tags)
	}

	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ops-role"), PolicyName: aws.String("s3"), PolicyDocument: aws.String(opsAllowS3)})
	mustOK(t, "put role policy", err)
	rp, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("ops-role"), PolicyName: aws.String("s3")})
	if err != nil || decoded(t, rp.PolicyDocument) != opsAllowS3 {
		t.Errorf("role policy: %v %+v", err, rp)
	}
	names := drain(t, "ListRolePolicies", iam.NewListRolePoliciesPaginator(c, &iam.ListRolePoliciesInput{RoleName: aws.String("ops-role"), MaxItems: aws.Int32(1)}), 1,
		func(o *iam.ListRolePoliciesOutput) []string { return o.PolicyNames })
	if !slices.Equal(names, []string{"s3"}) {
		t.Errorf("role policy names: %v", names)
	}

	// A session's use shows in GetRole's RoleLastUsed.
	got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ops-role")})
	if err != nil || (got.Role.RoleLastUsed != nil && got.Role.RoleLastUsed.LastUsedDate != nil) {
		t.Fatalf("a new role's last use: %v %+v", err, got)
	}
	creds, err := sts.NewFromConfig(awsConfig()).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("ops")})
	mustOK(t, "assume role", err)
	session := sts.NewFromConfig(awsConfig(aws.ToString(creds.Credentials.AccessKeyId), aws.ToString(creds.Credentials.SecretAccessKey), aws.ToString(creds.Credentials.SessionToken)))
	_, err = session.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	mustOK(t, "the session's call", err)
	got, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ops-role")})
	if err != nil || got.Role.RoleLastUsed == nil || got.Role.RoleLastUsed.LastUsedDate == nil || aws.ToString(got.Role.RoleLastUsed.Region) != "us-east-1" {
		t.Errorf("the role's last use after a session's call: %v %+v", err, got.Role.RoleLastUsed)
	} else if time.Since(*got.Role.RoleLastUsed.LastUsedDate) > time.Minute {
		t.Errorf("the role's last use is %v", got.Role.RoleLastUsed.LastUsedDate)
	}

	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("ops-role")})
	wantCode(t, "delete a role with an inline policy", err, "DeleteConflict")
	_, err = c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("ops-role"), PolicyName: aws.String("s3")})
	mustOK(t, "delete role policy", err)
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("ops-role")})
	mustOK(t, "delete role", err)
}

func TestIAMPolicyVersionsAndEntities(t *testing.T) {
	ctx := context.Background()
	c := iam.NewFromConfig(awsConfig())
	pol, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("ops-versioned"), Path: aws.String("/ops/"), PolicyDocument: aws.String(opsAllowS3),
		Description: aws.String("versions"), Tags: tagList("owner", "ops")})
	mustOK(t, "create policy", err)
	arn := pol.Policy.Arn
	if aws.ToString(pol.Policy.DefaultVersionId) != "v1" {
		t.Fatalf("a new policy's default version: %+v", pol.Policy)
	}
	v2, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(opsAllowEC2), SetAsDefault: true})
	if err != nil || aws.ToString(v2.PolicyVersion.VersionId) != "v2" || !v2.PolicyVersion.IsDefaultVersion {
		t.Fatalf("create version: %v %+v", err, v2)
	}
	for range 3 {
		_, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(opsAllowS3)})
		mustOK(t, "create version", err)
	}
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(opsAllowS3)})
	wantCode(t, "a sixth version", err, "LimitExceeded")
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(`{"Statement":[]}`)})
	wantCode(t, "a malformed version", err, "MalformedPolicyDocument")
	got, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn})
	if err != nil || aws.ToString(got.Policy.DefaultVersionId) != "v2" || aws.ToString(got.Policy.Description) != "versions" || len(got.Policy.Tags) != 1 {
		t.Fatalf("get policy: %v %+v", err, got)
	}
	versions := drain(t, "ListPolicyVersions", iam.NewListPolicyVersionsPaginator(c, &iam.ListPolicyVersionsInput{PolicyArn: arn, MaxItems: aws.Int32(2)}), 2,
		func(o *iam.ListPolicyVersionsOutput) []string {
			var out []string
			for _, v := range o.Versions {
				out = append(out, aws.ToString(v.VersionId))
			}
			return out
		})
	if !slices.Equal(versions, []string{"v5", "v4", "v3", "v2", "v1"}) {
		t.Errorf("versions: %v", versions)
	}
	v1, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v1")})
	if err != nil || v1.PolicyVersion.IsDefaultVersion || decoded(t, v1.PolicyVersion.Document) != opsAllowS3 {
		t.Errorf("version v1: %v %+v", err, v1)
	}
	_, err = c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v9")})
	wantCode(t, "a missing version", err, "NoSuchEntity")
	_, err = c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v2")})
	wantCode(t, "delete the default version", err, "DeleteConflict")
	_, err = c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v1")})
	mustOK(t, "set default version", err)
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn})
	wantCode(t, "delete a policy with versions", err, "DeleteConflict")
	for _, v := range []string{"v2", "v3", "v4", "v5"} {
		_, err := c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String(v)})
		mustOK(t, "delete version "+v, err)
	}

	// Tags.
	_, err = c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: arn, Tags: tagList("tier", "gold")})
	mustOK(t, "tag policy", err)
	_, err = c.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: arn, TagKeys: []string{"owner"}})
	mustOK(t, "untag policy", err)
	ptags, err := c.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: arn})
	if err != nil || len(ptags.Tags) != 1 || aws.ToString(ptags.Tags[0].Key) != "tier" {
		t.Errorf("policy tags: %v %+v", err, ptags)
	}

	// The entities a policy is attached to, paged across users, roles and groups.
	for i := range 2 {
		user, role, group := fmt.Sprint("ops-ent-user-", i), fmt.Sprint("ops-ent-role-", i), fmt.Sprint("ops-ent-group-", i)
		_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)})
		mustOK(t, "create user", err)
		_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(user), PolicyArn: arn})
		mustOK(t, "attach to user", err)
		_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(opsTrust)})
		mustOK(t, "create role", err)
		_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: arn})
		mustOK(t, "attach to role", err)
		_, err = c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(group)})
		mustOK(t, "create group", err)
		_, err = c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String(group), PolicyArn: arn})
		mustOK(t, "attach to group", err)
	}
	got, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn})
	if err != nil || aws.ToInt32(got.Policy.AttachmentCount) != 6 {
		t.Errorf("attachment count: %v %+v", err, got)
	}
	entities := drain(t, "ListEntitiesForPolicy", iam.NewListEntitiesForPolicyPaginator(c, &iam.ListEntitiesForPolicyInput{PolicyArn: arn, MaxItems: aws.Int32(4)}), 4,
		func(o *iam.ListEntitiesForPolicyOutput) []string {
			var out []string
			for _, u := range o.PolicyUsers {
				out = append(out, "user "+aws.ToString(u.UserName))
			}
			for _, r := range o.PolicyRoles {
				out = append(out, "role "+aws.ToString(r.RoleName))
			}
			for _, g := range o.PolicyGroups {
				out = append(out, "group "+aws.ToString(g.GroupName))
			}
			return out
		})
	slices.Sort(entities)
	want := []string{"group ops-ent-group-0", "group ops-ent-group-1", "role ops-ent-role-0", "role ops-ent-role-1", "user ops-ent-user-0", "user ops-ent-user-1"}
	if !slices.Equal(entities, want) {
		t.Errorf("entities: %v", entities)
	}
	roles, err := c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: arn, EntityFilter: iamtypes.EntityTypeRole})
	if err != nil || len(roles.PolicyRoles) != 2 || len(roles.PolicyUsers)+len(roles.PolicyGroups) != 0 {
		t.Errorf("entities filtered to roles: %v %+v", err, roles)
	}
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn})
	wantCode(t, "delete an attached policy", err, "DeleteConflict")
	attached, err := c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal, PathPrefix: aws.String("/ops/"), OnlyAttached: true})
	if err != nil || len(attached.Policies) != 1 {
		t.Errorf("attached local policies under /ops/: %v %+v", err, attached)
	}
}

func TestIAMAWSManagedPolicies(t *testing.T) {
	ctx := context.Background()
	c := iam.NewFromConfig(awsConfig())
	const arn = "arn:aws:iam::aws:policy/AdministratorAccess"
	want, ok := awspolicies.Lookup(arn)
	if !ok {
		t.Fatal("AdministratorAccess is not in the catalogue")
	}
	got, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil || aws.ToString(got.Policy.DefaultVersionId) != want.DefaultVersionID || aws.ToString(got.Policy.PolicyName) != "AdministratorAccess" {
		t.Fatalf("get AWS policy: %v %+v", err, got)
	}
	// The admin user has it from the start.
	if aws.ToInt32(got.Policy.AttachmentCount) < 1 {
		t.Errorf("AdministratorAccess attached %d times", aws.ToInt32(got.Policy.AttachmentCount))
	}
	v, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(want.DefaultVersionID)})
	if err != nil || !v.PolicyVersion.IsDefaultVersion || decoded(t, v.PolicyVersion.Document) != want.Document {
		t.Errorf("AWS policy's version: %v %+v", err, v)
	}
	all := drain(t, "ListPolicies", iam.NewListPoliciesPaginator(c, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws, MaxItems: aws.Int32(10)}), 10,
		func(o *iam.ListPoliciesOutput) []string {
			var out []string
			for _, p := range o.Policies {
				out = append(out, aws.ToString(p.Arn))
			}
			return out
		})
	if len(all) != len(awspolicies.All()) || !slices.Contains(all, arn) {
		t.Errorf("AWS scope lists %d policies, the catalogue holds %d", len(all), len(awspolicies.All()))
	}
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchManagedPolicy")})
	wantCode(t, "an AWS policy that does not exist", err, "NoSuchEntity")
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(opsAllowS3)})
	wantCode(t, "a version of an AWS policy", err, "AccessDenied")
}

func TestIAMAccessKeyOperations(t *testing.T) {
	ctx := context.Background()
	c := iam.NewFromConfig(awsConfig())
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ops-dave")})
	mustOK(t, "create user", err)
	// Dave may look after his own keys, and nothing else.
	self := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListAccessKeys","iam:GetAccessKeyLastUsed"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}`
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ops-dave"), PolicyName: aws.String("self"), PolicyDocument: aws.String(self)})
	mustOK(t, "put user policy", err)
	k1, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ops-dave")})
	mustOK(t, "create key", err)
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ops-dave")})
	mustOK(t, "create a second key", err)
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ops-dave")})
	wantCode(t, "a third key", err, "LimitExceeded")
	id, secret := aws.ToString(k1.AccessKey.AccessKeyId), aws.ToString(k1.AccessKey.SecretAccessKey)

	last, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)})
	if err != nil || aws.ToString(last.UserName) != "ops-dave" || last.AccessKeyLastUsed.LastUsedDate != nil ||
		aws.ToString(last.AccessKeyLastUsed.ServiceName) != "N/A" || aws.ToString(last.AccessKeyLastUsed.Region) != "N/A" {
		t.Fatalf("an unused key's last use: %v %+v", err, last)
	}

	// Without UserName, ListAccessKeys is about the caller.
	dave := iam.NewFromConfig(awsConfig(id, secret))
	mine, err := dave.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil || len(mine.AccessKeyMetadata) != 2 || aws.ToString(mine.AccessKeyMetadata[0].UserName) != "ops-dave" {
		t.Fatalf("dave's own keys: %v %+v", err, mine)
	}
	_, err = dave.ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, "dave listing users", err, "AccessDenied")
	last, err = c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)})
	if err != nil || last.AccessKeyLastUsed.LastUsedDate == nil || aws.ToString(last.AccessKeyLastUsed.ServiceName) != "iam" ||
		aws.ToString(last.AccessKeyLastUsed.Region) != "us-east-1" {
		t.Errorf("a used key's last use: %v %+v", err, last.AccessKeyLastUsed)
	}

	// An inactive key signs nothing until it is active again.
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("ops-dave"), AccessKeyId: aws.String(id), Status: iamtypes.StatusTypeInactive})
	mustOK(t, "deactivate key", err)
	_, err = dave.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	wantCode(t, "a call with an inactive key", err, "InvalidClientTokenId")
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("ops-dave"), AccessKeyId: aws.String(id), Status: "Sleeping"})
	wantCode(t, "a status IAM does not have", err, "ValidationError")
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("admin"), AccessKeyId: aws.String(id), Status: iamtypes.StatusTypeActive})
	wantCode(t, "another user's key", err, "NoSuchEntity")
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("ops-dave"), AccessKeyId: aws.String(id), Status: iamtypes.StatusTypeActive})
	mustOK(t, "reactivate key", err)
	keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("ops-dave")})
	mustOK(t, "list keys", err)
	for _, k := range keys.AccessKeyMetadata {
		if k.Status != iamtypes.StatusTypeActive {
			t.Errorf("key %s is %s", aws.ToString(k.AccessKeyId), k.Status)
		}
	}
	_, err = dave.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	mustOK(t, "a call with the key active again", err)
	_, err = c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIAOPSNOSUCHKEY0000")})
	wantCode(t, "last use of a missing key", err, "NoSuchEntity")
}

// TestIAMAuthorizationFollowsPolicyChanges: what a user may do changes
// with the very next call after its policies change, group policies
// included (PoliciesOf's cache is dropped by every IAM write).
func TestIAMAuthorizationFollowsPolicyChanges(t *testing.T) {
	ctx := context.Background()
	c := iam.NewFromConfig(awsConfig())
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ops-erin")})
	mustOK(t, "create user", err)
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ops-erin")})
	mustOK(t, "create key", err)
	erin := iam.NewFromConfig(awsConfig(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)))
	list := func() error {
		_, err := erin.ListGroups(ctx, &iam.ListGroupsInput{})
		return err
	}
	wantCode(t, "before any policy", list(), "AccessDenied")
	allowList := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListGroups","Resource":"*"}]}`
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ops-erin"), PolicyName: aws.String("list"), PolicyDocument: aws.String(allowList)})
	mustOK(t, "put user policy", err)
	mustOK(t, "with an inline policy", list())
	_, err = c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("ops-erin"), PolicyName: aws.String("list")})
	mustOK(t, "delete user policy", err)
	wantCode(t, "after deleting it", list(), "AccessDenied")

	_, err = c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ops-readers")})
	mustOK(t, "create group", err)
	_, err = c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("ops-readers"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")})
	mustOK(t, "attach group policy", err)
	_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("ops-readers"), UserName: aws.String("ops-erin")})
	mustOK(t, "add to group", err)
	mustOK(t, "through the group", list())
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`
	_, err = c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("ops-readers"), PolicyName: aws.String("deny"), PolicyDocument: aws.String(deny)})
	mustOK(t, "put group policy", err)
	wantCode(t, "with the group's explicit deny", list(), "AccessDenied")
	_, err = c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("ops-readers"), UserName: aws.String("ops-erin")})
	mustOK(t, "remove from group", err)
	wantCode(t, "out of the group", list(), "AccessDenied")
}

// iamOpsSeeds makes a user (with a key), a group, a role and a policy
// named prefix+"user"... and returns the IAM actions added beside
// FuzzIAM's, each with a valid form on them, in an order in which each
// succeeds once.
func iamOpsSeeds(t testing.TB, prefix string) []queryOp {
	t.Helper()
	ctx := context.Background()
	m := testServer.models
	user, group, role, pol := prefix+"user", prefix+"group", prefix+"role", prefix+"pol"
	if _, err := m.IAM.CreateUser(ctx, user, "", nil); err != nil {
		t.Fatal(err)
	}
	key, err := m.IAM.CreateAccessKey(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.IAM.CreateGroup(ctx, group, ""); err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := m.IAM.CreateRole(ctx, keksiam.Role{Name: role, AssumeRolePolicy: trust}); err != nil {
		t.Fatal(err)
	}
	p, err := m.IAM.CreatePolicy(ctx, keksiam.Policy{Name: pol, Document: opsAllowS3})
	if err != nil {
		t.Fatal(err)
	}
	provider, err := m.IAM.CreateOIDCProvider(ctx, "https://oidc.example/id/"+prefix+"1", []string{"sts.amazonaws.com"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The seeds own the account's password policy: none to start with, and
	// the admin's console password is one ChangePassword knows.
	if err := m.IAM.DeleteAccountPasswordPolicy(ctx); err != nil {
		if e, ok := awserr.AsError(err); !ok || e.Code != keksiam.CodeNoSuchEntity {
			t.Fatal(err)
		}
	}
	_ = m.IAM.DeleteLoginProfile(ctx, keksiam.AdminUserName)
	if _, err := m.IAM.CreateLoginProfile(ctx, keksiam.AdminUserName, seedAdminPassword, false); err != nil {
		t.Fatal(err)
	}
	arn, doc, trustDoc := url.QueryEscape(p.ARN), url.QueryEscape(opsAllowEC2), url.QueryEscape(trust)
	providerARN := "OpenIDConnectProviderArn=" + url.QueryEscape(provider.ARN)
	made := "OpenIDConnectProviderArn=" + url.QueryEscape(strings.TrimSuffix(provider.ARN, "1")+"2")
	const print = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
	return []queryOp{
		{"CreateOpenIDConnectProvider", "Url=" + url.QueryEscape("https://oidc.example/id/"+prefix+"2") + "&ClientIDList.member.1=sts.amazonaws.com&ThumbprintList.member.1=" + print + "&Tags.member.1.Key=team&Tags.member.1.Value=fuzz"},
		{"GetOpenIDConnectProvider", providerARN},
		{"ListOpenIDConnectProviders", ""},
		{"AddClientIDToOpenIDConnectProvider", providerARN + "&ClientID=fuzz"},
		{"RemoveClientIDFromOpenIDConnectProvider", providerARN + "&ClientID=fuzz"},
		{"UpdateOpenIDConnectProviderThumbprint", providerARN + "&ThumbprintList.member.1=" + print},
		{"TagOpenIDConnectProvider", providerARN + "&Tags.member.1.Key=team&Tags.member.1.Value=fuzz"},
		{"ListOpenIDConnectProviderTags", providerARN + "&MaxItems=5"},
		{"UntagOpenIDConnectProvider", providerARN + "&TagKeys.member.1=team"},
		{"DeleteOpenIDConnectProvider", made},
		{"CreateGroup", "GroupName=" + prefix + "g2&Path=%2Ffuzz%2F"},
		{"GetGroup", "GroupName=" + group + "&MaxItems=5"},
		{"ListGroups", "PathPrefix=%2F&MaxItems=5"},
		{"UpdateGroup", "GroupName=" + prefix + "g2&NewGroupName=" + prefix + "g3&NewPath=%2Ffuzz2%2F"},
		{"AddUserToGroup", "GroupName=" + group + "&UserName=" + user},
		{"ListGroupsForUser", "UserName=" + user + "&MaxItems=5"},
		{"AttachGroupPolicy", "GroupName=" + group + "&PolicyArn=" + arn},
		{"ListAttachedGroupPolicies", "GroupName=" + group + "&PathPrefix=%2F"},
		{"DetachGroupPolicy", "GroupName=" + group + "&PolicyArn=" + arn},
		{"PutGroupPolicy", "GroupName=" + group + "&PolicyName=inline&PolicyDocument=" + doc},
		{"GetGroupPolicy", "GroupName=" + group + "&PolicyName=inline"},
		{"ListGroupPolicies", "GroupName=" + group},
		{"DeleteGroupPolicy", "GroupName=" + group + "&PolicyName=inline"},
		{"RemoveUserFromGroup", "GroupName=" + group + "&UserName=" + user},
		{"DeleteGroup", "GroupName=" + prefix + "g3"},
		{"UpdateUser", "UserName=" + user + "&NewPath=%2Ffuzz%2F"},
		{"TagUser", "UserName=" + user + "&Tags.member.1.Key=team&Tags.member.1.Value=fuzz"},
		{"ListUserTags", "UserName=" + user + "&MaxItems=5"},
		{"UntagUser", "UserName=" + user + "&TagKeys.member.1=team"},
		{"AttachUserPolicy", "UserName=" + user + "&PolicyArn=" + arn},
		{"ListAttachedUserPolicies", "UserName=" + user},
		{"DetachUserPolicy", "UserName=" + user + "&PolicyArn=" + arn},
		{"PutUserPolicy", "UserName=" + user + "&PolicyName=inline&PolicyDocument=" + doc},
		{"GetUserPolicy", "UserName=" + user + "&PolicyName=inline"},
		{"ListUserPolicies", "UserName=" + user},
		{"DeleteUserPolicy", "UserName=" + user + "&PolicyName=inline"},
		{"UpdateRole", "RoleName=" + role + "&Description=fuzz&MaxSessionDuration=7200"},
		{"UpdateRoleDescription", "RoleName=" + role + "&Description=fuzzed"},
		{"UpdateAssumeRolePolicy", "RoleName=" + role + "&PolicyDocument=" + trustDoc},
		{"TagRole", "RoleName=" + role + "&Tags.member.1.Key=team&Tags.member.1.Value=fuzz"},
		{"ListRoleTags", "RoleName=" + role},
		{"UntagRole", "RoleName=" + role + "&TagKeys.member.1=team"},
		{"PutRolePolicy", "RoleName=" + role + "&PolicyName=inline&PolicyDocument=" + doc},
		{"GetRolePolicy", "RoleName=" + role + "&PolicyName=inline"},
		{"ListRolePolicies", "RoleName=" + role},
		{"DeleteRolePolicy", "RoleName=" + role + "&PolicyName=inline"},
		{"CreatePolicyVersion", "PolicyArn=" + arn + "&PolicyDocument=" + doc + "&SetAsDefault=true"},
		{"GetPolicyVersion", "PolicyArn=" + arn + "&VersionId=v2"},
		{"ListPolicyVersions", "PolicyArn=" + arn + "&MaxItems=5"},
		{"SetDefaultPolicyVersion", "PolicyArn=" + arn + "&VersionId=v1"},
		{"DeletePolicyVersion", "PolicyArn=" + arn + "&VersionId=v2"},
		{"ListEntitiesForPolicy", "PolicyArn=" + arn + "&EntityFilter=User&MaxItems=5"},
		{"TagPolicy", "PolicyArn=" + arn + "&Tags.member.1.Key=team&Tags.member.1.Value=fuzz"},
		{"ListPolicyTags", "PolicyArn=" + arn},
		{"UntagPolicy", "PolicyArn=" + arn + "&TagKeys.member.1=team"},
		{"UpdateAccessKey", "UserName=" + user + "&AccessKeyId=" + key.ID + "&Status=Inactive"},
		{"GetAccessKeyLastUsed", "AccessKeyId=" + key.ID},
		{"UpdateAccountPasswordPolicy", "MinimumPasswordLength=8&RequireNumbers=true&AllowUsersToChangePassword=true&MaxPasswordAge=90&PasswordReusePrevention=2&HardExpiry=false"},
		{"GetAccountPasswordPolicy", ""},
		{"CreateLoginProfile", "UserName=" + user + "&Password=Fuzz-pass-1&PasswordResetRequired=true"},
		{"GetLoginProfile", "UserName=" + user},
		{"UpdateLoginProfile", "UserName=" + user + "&Password=Fuzz-pass-2&PasswordResetRequired=false"},
		{"ChangePassword", "OldPassword=" + seedAdminPassword + "&NewPassword=Fuzz-admin-2"},
		{"DeleteLoginProfile", "UserName=" + user},
		{"DeleteAccountPasswordPolicy", ""},
	}
}

// seedAdminPassword is the admin's console password as iamOpsSeeds sets it.
const seedAdminPassword = "Fuzz-admin-1"

// FuzzIAMOps fuzzes the IAM actions added beside FuzzIAM's, from their seeds.
func FuzzIAMOps(f *testing.F) {
	fuzzQuery(f, "iam", "2010-05-08", wireQuery, iamOpsSeeds(f, "fzo-"))
}

func TestIAMOpsFuzzSeedsSucceed(t *testing.T) {
	vars := fuzzVars(t)
	ops := iamOpsSeeds(t, "fzs-")
	for i, o := range ops {
		if rec := queryCall(vars, "iam", "2010-05-08", wireQuery, ops, uint8(i), o.form, "", modeSigned).check(t); rec.Code != 200 {
			t.Errorf("%s seed: %d %s", o.action, rec.Code, rec.Body)
		}
	}
}
