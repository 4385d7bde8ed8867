package iamapi

import (
	"context"
	"maps"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/store/storetest"
)

// addedOperations are IAM operations being added to the handler beside
// those of its actions table; each must be described already.
var addedOperations = strings.Fields(`CreateGroup GetGroup ListGroups DeleteGroup UpdateGroup AddUserToGroup
	RemoveUserFromGroup ListGroupsForUser AttachGroupPolicy DetachGroupPolicy ListAttachedGroupPolicies UpdateUser
	DetachUserPolicy ListAttachedUserPolicies TagUser UntagUser ListUserTags UpdateRole UpdateAssumeRolePolicy TagRole
	UntagRole ListRoleTags PutUserPolicy GetUserPolicy DeleteUserPolicy ListUserPolicies PutRolePolicy GetRolePolicy
	DeleteRolePolicy ListRolePolicies PutGroupPolicy GetGroupPolicy DeleteGroupPolicy ListGroupPolicies
	CreatePolicyVersion GetPolicyVersion ListPolicyVersions DeletePolicyVersion SetDefaultPolicyVersion
	ListEntitiesForPolicy TagPolicy UntagPolicy ListPolicyTags UpdateAccessKey GetAccessKeyLastUsed`)

// everyOperation is the handler's actions and the ones being added.
func everyOperation() []string {
	return append(addedOperations, keysOf(actions)...)
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// world is a handler over a real IAM model holding user alice (/eng/,
// team=a) with a key, role deploy (/svc/, env=dev), group admins (/ops/)
// and policy readonly (/p/, scope=read).
type world struct {
	h       *Handler
	account string
	alice   *iam.User
	key     *iam.AccessKey
	deploy  *iam.Role
	admins  *iam.Group
	policy  *iam.Policy
}

func newWorld(t *testing.T) *world {
	t.Helper()
	st := storetest.Open(t)
	ctx := context.Background()
	model := &iam.Service{Store: st, Now: time.Now}
	w := &world{h: &Handler{IAM: model}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	acct, err := model.Account(ctx)
	must(err)
	w.account = acct.ID
	w.alice, err = model.CreateUser(ctx, "alice", "/eng/", map[string]string{"team": "a"})
	must(err)
	w.key, err = model.CreateAccessKey(ctx, "alice")
	must(err)
	w.deploy, err = model.CreateRole(ctx, iam.Role{Name: "deploy", Path: "/svc/", AssumeRolePolicy: trust, Tags: map[string]string{"env": "dev"}})
	must(err)
	w.admins, err = model.CreateGroup(ctx, "admins", "/ops/")
	must(err)
	w.policy, err = model.CreatePolicy(ctx, iam.Policy{Name: "readonly", Path: "/p/", Tags: map[string]string{"scope": "read"},
		Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`})
	must(err)
	return w
}

// caller is who signs a test's requests.
type caller struct{ account, arn string }

func (w *world) asAlice() caller { return caller{w.account, w.alice.ARN} }

func checksOf(h *Handler, who caller, params map[string]string) []awsproto.Check {
	form := url.Values{}
	for k, v := range params {
		form.Set(k, v)
	}
	c := &awsproto.Call{Region: "us-east-1", Principal: awsproto.Principal{Account: who.account, ARN: who.arn}, Form: form}
	return h.checks(httptest.NewRequest("POST", "/", nil), c)
}

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

func TestChecksDescribeEachAction(t *testing.T) {
	w := newWorld(t)
	arn := func(rest string) string { return "arn:aws:iam::" + w.account + ":" + rest }
	boundary := "arn:aws:iam::aws:policy/ReadOnlyAccess"
	tests := []struct {
		name   string
		who    caller
		params map[string]string
		want   []described
	}{
		{"a new user at its path, with its tags and boundary", w.asAlice(), map[string]string{"Action": "CreateUser", "UserName": "bob", "Path": "/eng/",
			"Tags.member.1.Key": "team", "Tags.member.1.Value": "b", "PermissionsBoundary": boundary},
			[]described{{"iam:CreateUser", arn("user/eng/bob"), map[string][]string{"aws:RequestTag/team": {"b"}, "aws:TagKeys": {"team"},
				"iam:PermissionsBoundary": {boundary}}}}},
		{"a new user without a path", w.asAlice(), map[string]string{"Action": "CreateUser", "UserName": "bob"},
			[]described{{"iam:CreateUser", arn("user/bob"), nil}}},
		{"a user by its real ARN", w.asAlice(), map[string]string{"Action": "GetUser", "UserName": "alice"},
			[]described{{"iam:GetUser", w.alice.ARN, nil}}},
		{"a user that does not exist", w.asAlice(), map[string]string{"Action": "DeleteUser", "UserName": "ghost"},
			[]described{{"iam:DeleteUser", arn("user/ghost"), nil}}},
		{"GetUser without a name is the caller", w.asAlice(), map[string]string{"Action": "GetUser"},
			[]described{{"iam:GetUser", w.alice.ARN, nil}}},
		{"a role session has no user of its own", caller{w.account, "arn:aws:sts::" + w.account + ":assumed-role/deploy/s"},
			map[string]string{"Action": "ListAccessKeys"},
			[]described{{"iam:ListAccessKeys", "*", nil}}},
		{"listing takes no resource", w.asAlice(), map[string]string{"Action": "ListUsers", "PathPrefix": "/eng/"},
			[]described{{"iam:ListUsers", "*", nil}}},
		{"renaming acts on the user and the user it becomes", w.asAlice(), map[string]string{"Action": "UpdateUser", "UserName": "alice", "NewUserName": "alicia"},
			[]described{{"iam:UpdateUser", w.alice.ARN, nil}, {"iam:UpdateUser", arn("user/eng/alicia"), nil}}},
		{"moving acts on the user at its new path", w.asAlice(), map[string]string{"Action": "UpdateUser", "UserName": "alice", "NewPath": "/ops/"},
			[]described{{"iam:UpdateUser", w.alice.ARN, nil}, {"iam:UpdateUser", arn("user/ops/alice"), nil}}},
		{"tagging", w.asAlice(), map[string]string{"Action": "TagUser", "UserName": "alice", "Tags.member.1.Key": "team", "Tags.member.1.Value": "z",
			"Tags.member.2.Key": "cost", "Tags.member.2.Value": ""},
			[]described{{"iam:TagUser", w.alice.ARN, map[string][]string{"aws:RequestTag/team": {"z"}, "aws:RequestTag/cost": {""}, "aws:TagKeys": {"cost", "team"}}}}},
		{"untagging names the keys", w.asAlice(), map[string]string{"Action": "UntagRole", "RoleName": "deploy", "TagKeys.member.1": "env", "TagKeys.member.2": "x"},
			[]described{{"iam:UntagRole", w.deploy.ARN, map[string][]string{"aws:TagKeys": {"env", "x"}}}}},
		{"attaching names the policy", w.asAlice(), map[string]string{"Action": "AttachUserPolicy", "UserName": "alice", "PolicyArn": boundary},
			[]described{{"iam:AttachUserPolicy", w.alice.ARN, map[string][]string{"iam:PolicyARN": {boundary}}}}},
		{"a key of the caller", w.asAlice(), map[string]string{"Action": "CreateAccessKey"},
			[]described{{"iam:CreateAccessKey", w.alice.ARN, nil}}},
		{"a key's last use is its user's", w.asAlice(), map[string]string{"Action": "GetAccessKeyLastUsed", "AccessKeyId": w.key.ID},
			[]described{{"iam:GetAccessKeyLastUsed", w.alice.ARN, nil}}},
		{"an unknown key's last use", w.asAlice(), map[string]string{"Action": "GetAccessKeyLastUsed", "AccessKeyId": "AKIAAAAAAAAAAAAAAAAA"},
			[]described{{"iam:GetAccessKeyLastUsed", "*", nil}}},
		{"a new role", w.asAlice(), map[string]string{"Action": "CreateRole", "RoleName": "r", "Path": "/svc/", "AssumeRolePolicyDocument": trust},
			[]described{{"iam:CreateRole", arn("role/svc/r"), nil}}},
		{"a role by its real ARN", w.asAlice(), map[string]string{"Action": "UpdateAssumeRolePolicy", "RoleName": "deploy", "PolicyDocument": trust},
			[]described{{"iam:UpdateAssumeRolePolicy", w.deploy.ARN, nil}}},
		{"detaching from a role", w.asAlice(), map[string]string{"Action": "DetachRolePolicy", "RoleName": "deploy", "PolicyArn": w.policy.ARN},
			[]described{{"iam:DetachRolePolicy", w.deploy.ARN, map[string][]string{"iam:PolicyARN": {w.policy.ARN}}}}},
		{"a new group", w.asAlice(), map[string]string{"Action": "CreateGroup", "GroupName": "devs", "Path": "/ops/"},
			[]described{{"iam:CreateGroup", arn("group/ops/devs"), nil}}},
		{"membership acts on the group", w.asAlice(), map[string]string{"Action": "AddUserToGroup", "GroupName": "admins", "UserName": "alice"},
			[]described{{"iam:AddUserToGroup", w.admins.ARN, nil}}},
		{"renaming a group", w.asAlice(), map[string]string{"Action": "UpdateGroup", "GroupName": "admins", "NewGroupName": "root"},
			[]described{{"iam:UpdateGroup", w.admins.ARN, nil}, {"iam:UpdateGroup", arn("group/ops/root"), nil}}},
		{"a new policy with tags", w.asAlice(), map[string]string{"Action": "CreatePolicy", "PolicyName": "p2", "Path": "/p/", "PolicyDocument": "{}",
			"Tags.member.1.Key": "scope", "Tags.member.1.Value": "w"},
			[]described{{"iam:CreatePolicy", arn("policy/p/p2"), map[string][]string{"aws:RequestTag/scope": {"w"}, "aws:TagKeys": {"scope"}}}}},
		{"a policy by its ARN", w.asAlice(), map[string]string{"Action": "SetDefaultPolicyVersion", "PolicyArn": w.policy.ARN, "VersionId": "v1"},
			[]described{{"iam:SetDefaultPolicyVersion", w.policy.ARN, nil}}},
		{"an AWS managed policy", w.asAlice(), map[string]string{"Action": "GetPolicyVersion", "PolicyArn": boundary, "VersionId": "v1"},
			[]described{{"iam:GetPolicyVersion", boundary, nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describe(checksOf(w.h, tt.who, tt.params)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("checks:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestChecksLookEntityTagsUp(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		params map[string]string
		want   map[string]string
	}{
		{map[string]string{"Action": "GetUser", "UserName": "alice"}, map[string]string{"team": "a"}},
		{map[string]string{"Action": "GetRole", "RoleName": "deploy"}, map[string]string{"env": "dev"}},
		{map[string]string{"Action": "GetPolicy", "PolicyArn": w.policy.ARN}, map[string]string{"scope": "read"}},
		{map[string]string{"Action": "GetUser", "UserName": "ghost"}, nil},
	}
	if checks := checksOf(w.h, w.asAlice(), map[string]string{"Action": "GetGroup", "GroupName": "admins"}); checks[0].ResourceTags != nil {
		t.Errorf("a tag lookup for a group, which IAM does not tag")
	}
	for _, tt := range tests {
		checks := checksOf(w.h, w.asAlice(), tt.params)
		if len(checks) != 1 || checks[0].ResourceTags == nil {
			t.Fatalf("%v: checks %+v", tt.params, checks)
		}
		if got := checks[0].ResourceTags(context.Background()); !maps.Equal(got, tt.want) {
			t.Errorf("%v: tags %v, want %v", tt.params, got, tt.want)
		}
	}
}

func TestChecksCoverEveryAction(t *testing.T) {
	for _, h := range []*Handler{{}, newWorld(t).h} {
		for _, op := range everyOperation() {
			checks := checksOf(h, caller{"123456789012", ""}, map[string]string{"Action": op})
			if len(checks) == 0 {
				t.Errorf("%s: no checks", op)
			}
			for _, ch := range checks {
				if !strings.HasPrefix(ch.Action, "iam:") || len(ch.Action) == len("iam:") || ch.Resource == "" {
					t.Errorf("%s: check %+v", op, ch)
				}
			}
		}
	}
	if checks := checksOf(&Handler{}, caller{}, map[string]string{"Action": "CreateSAMLProvider"}); checks != nil {
		t.Errorf("an action keks does not serve is described: %+v", checks)
	}
}

// sane is what a malformed request may name: "*", or an ARN of a name
// and path IAM takes.
var sane = regexp.MustCompile(`^(\*|arn:aws:iam::(\d{12}|aws):(user|role|group|policy)/([\x21-\x7E]*/)?[\w+=,.@-]+)$`)

func TestChecksOfMalformedRequests(t *testing.T) {
	garbage := []string{"", "*", "?", "a/b", "../alice", "alice*", strings.Repeat("x", 5000), "arn:aws:iam::1:policy/*",
		"arn:aws:iam::123456789012:policy/", "arn:aws:iam::123456789012:user/alice", "\x00", "no path", "/no-end"}
	params := []string{"UserName", "RoleName", "GroupName", "PolicyArn", "PolicyName", "Path", "NewPath", "NewUserName", "NewGroupName",
		"AccessKeyId", "PermissionsBoundary", "Tags.member.1.Key", "TagKeys.member.1"}
	for _, h := range []*Handler{{}, newWorld(t).h} {
		for _, op := range everyOperation() {
			for _, param := range params {
				for _, g := range garbage {
					for _, ch := range checksOf(h, caller{"123456789012", g}, map[string]string{"Action": op, param: g}) {
						if !sane.MatchString(ch.Resource) {
							t.Errorf("%s with %s=%q: resource %q", op, param, g, ch.Resource)
						}
						if ch.ResourceTags != nil {
							ch.ResourceTags(context.Background())
						}
					}
				}
			}
		}
	}
}
