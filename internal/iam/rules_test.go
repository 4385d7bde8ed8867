package iam

import (
	"fmt"
	"strings"
	"testing"
)

func TestPolicyVersions(t *testing.T) {
	s, _ := newTestService(t)
	ctx := testCtx(t)
	p, err := s.CreatePolicy(ctx, Policy{Name: "p", Document: allowS3})
	must(t, err)
	for i := 2; i <= 5; i++ {
		v, err := s.CreatePolicyVersion(ctx, p.ARN, allowEC2, false)
		must(t, err)
		if v.ID != fmt.Sprintf("v%d", i) {
			t.Fatalf("version %d is %s", i, v.ID)
		}
	}
	_, err = s.CreatePolicyVersion(ctx, p.ARN, allowEC2, false)
	wantCode(t, "a sixth version", err, CodeLimitExceeded)
	wantCode(t, "delete the default version", s.DeletePolicyVersion(ctx, p.ARN, "v1"), CodeDeleteConflict)
	wantCode(t, "delete a policy with versions", s.DeletePolicy(ctx, p.ARN), CodeDeleteConflict)
	must(t, s.DeletePolicyVersion(ctx, p.ARN, "v3"))
	wantCode(t, "a deleted version", s.SetDefaultPolicyVersion(ctx, p.ARN, "v3"), CodeNoSuchEntity)
	wantCode(t, "a malformed version id", s.SetDefaultPolicyVersion(ctx, p.ARN, "1"), CodeValidation)
	// Numbers are never reused.
	v, err := s.CreatePolicyVersion(ctx, p.ARN, allowEKS, true)
	must(t, err)
	if v.ID != "v6" {
		t.Fatalf("the version after v5 is %s", v.ID)
	}
	got, err := s.GetPolicy(ctx, p.ARN)
	must(t, err)
	if got.DefaultVersionID != "v6" || got.Document != allowEKS || len(got.Versions) != 5 {
		t.Fatalf("after a new default: %+v", got)
	}
	must(t, s.SetDefaultPolicyVersion(ctx, p.ARN, "v2"))
	if got, _ := s.GetPolicy(ctx, p.ARN); got.Document != allowEC2 {
		t.Fatalf("the default document is %s", got.Document)
	}
	for _, id := range []string{"v1", "v4", "v5", "v6"} {
		must(t, s.DeletePolicyVersion(ctx, p.ARN, id))
	}
	must(t, s.DeletePolicy(ctx, p.ARN))

	_, err = s.CreatePolicyVersion(ctx, adminARN, allowS3, false)
	wantCode(t, "a version of an AWS policy", err, CodeAccessDenied)
	if _, v, err := s.PolicyVersion(ctx, adminARN, "v1"); err != nil || !strings.Contains(v.Document, `"*"`) {
		t.Fatalf("AWS policy's version: %v %+v", err, v)
	}
}

func TestDeleteConflictsAndAttachmentCounts(t *testing.T) {
	s, _ := newTestService(t)
	ctx := testCtx(t)
	p, err := s.CreatePolicy(ctx, Policy{Name: "p", Document: allowS3})
	must(t, err)
	_, err = s.CreateUser(ctx, "u", "", nil)
	must(t, err)
	_, err = s.CreateGroup(ctx, "g", "")
	must(t, err)
	_, err = s.CreateRole(ctx, Role{Name: "r", AssumeRolePolicy: trustEC2})
	must(t, err)
	for _, e := range []struct {
		kind EntityKind
		name string
	}{{UserEntity, "u"}, {GroupEntity, "g"}, {RoleEntity, "r"}} {
		must(t, s.AttachPolicy(ctx, e.kind, e.name, p.ARN))
		must(t, s.AttachPolicy(ctx, e.kind, e.name, p.ARN)) // again: a no-op
	}
	if got, _ := s.GetPolicy(ctx, p.ARN); got.AttachmentCount != 3 {
		t.Fatalf("attachment count %d, want 3", got.AttachmentCount)
	}
	wantCode(t, "delete an attached policy", s.DeletePolicy(ctx, p.ARN), CodeDeleteConflict)
	must(t, s.AddUserToGroup(ctx, "g", "u"))
	wantCode(t, "delete a group with a member", s.DeleteGroup(ctx, "g"), CodeDeleteConflict)
	must(t, s.RemoveUserFromGroup(ctx, "g", "u"))
	wantCode(t, "delete a group with a policy", s.DeleteGroup(ctx, "g"), CodeDeleteConflict)
	must(t, s.DetachPolicy(ctx, GroupEntity, "g", p.ARN))
	must(t, s.PutInlinePolicy(ctx, GroupEntity, "g", "x", allowS3))
	wantCode(t, "delete a group with an inline policy", s.DeleteGroup(ctx, "g"), CodeDeleteConflict)
	must(t, s.DeleteInlinePolicy(ctx, GroupEntity, "g", "x"))
	must(t, s.DeleteGroup(ctx, "g"))

	_, err = s.CreateAccessKey(ctx, "u")
	must(t, err)
	wantCode(t, "delete a user with a key", s.DeleteUser(ctx, "u"), CodeDeleteConflict)
	wantCode(t, "detach what is not attached", s.DetachPolicy(ctx, UserEntity, "u", adminARN), CodeNoSuchEntity)
	wantCode(t, "attach an AWS policy keks does not know", s.AttachPolicy(ctx, UserEntity, "u", "arn:aws:iam::aws:policy/NoSuchPolicyAnywhere"), CodeNoSuchEntity)
	must(t, s.DetachPolicy(ctx, UserEntity, "u", p.ARN))
	must(t, s.DetachPolicy(ctx, RoleEntity, "r", p.ARN))
	if got, _ := s.GetPolicy(ctx, p.ARN); got.AttachmentCount != 0 {
		t.Fatalf("attachment count %d after detaching all", got.AttachmentCount)
	}
	must(t, s.DeletePolicy(ctx, p.ARN))
}

func TestQuotas(t *testing.T) {
	s, _ := newTestService(t)
	ctx := testCtx(t)
	_, err := s.CreateUser(ctx, "u", "", nil)
	must(t, err)
	for i := range maxGroupsPerUser + 1 {
		name := fmt.Sprint("g", i)
		_, err := s.CreateGroup(ctx, name, "")
		must(t, err)
		err = s.AddUserToGroup(ctx, name, "u")
		if i < maxGroupsPerUser {
			must(t, err)
		} else {
			wantCode(t, "an eleventh group", err, CodeLimitExceeded)
		}
	}
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("b", 1100) + `"}]}`
	must(t, s.PutInlinePolicy(ctx, UserEntity, "u", "one", big))
	err = s.PutInlinePolicy(ctx, UserEntity, "u", "two", big)
	wantCode(t, "inline policies over 2048 characters", err, CodeLimitExceeded)
	// A role has room for more.
	_, err = s.CreateRole(ctx, Role{Name: "r", AssumeRolePolicy: trustEC2})
	must(t, err)
	must(t, s.PutInlinePolicy(ctx, RoleEntity, "r", "one", big))
	must(t, s.PutInlinePolicy(ctx, RoleEntity, "r", "two", big))
	err = s.PutInlinePolicy(ctx, RoleEntity, "r", "bad", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`)
	wantCode(t, "an identity policy naming a principal", err, CodeMalformedPolicy)
}

func TestUpdateUserMovesItsKeys(t *testing.T) {
	s, _ := newTestService(t)
	ctx := testCtx(t)
	u, err := s.CreateUser(ctx, "old", "", map[string]string{"a": "1"})
	must(t, err)
	k, err := s.CreateAccessKey(ctx, "old")
	must(t, err)
	_, err = s.CreateUser(ctx, "taken", "", nil)
	must(t, err)
	wantCode(t, "rename onto another user", s.UpdateUser(ctx, "old", "TAKEN", ""), CodeEntityAlreadyExists)
	must(t, s.UpdateUser(ctx, "old", "new", "/moved/"))
	got, err := s.GetUser(ctx, "new")
	must(t, err)
	if got.ID != u.ID || got.Path != "/moved/" || !strings.HasSuffix(got.ARN, ":user/moved/new") || got.Tags["a"] != "1" {
		t.Fatalf("renamed user: %+v", got)
	}
	wantCode(t, "the old name", func() error { _, err := s.GetUser(ctx, "old"); return err }(), CodeNoSuchEntity)
	keys, err := s.ListAccessKeys(ctx, "new")
	if err != nil || len(keys) != 1 || keys[0].ID != k.ID || keys[0].UserName != "new" {
		t.Fatalf("keys after the rename: %v %+v", err, keys)
	}
	// A change of case only keeps the record where it is.
	must(t, s.UpdateUser(ctx, "new", "New", ""))
	if got, err := s.GetUser(ctx, "new"); err != nil || got.Name != "New" {
		t.Fatalf("case-only rename: %v %+v", err, got)
	}
}

func TestTags(t *testing.T) {
	s, _ := newTestService(t)
	ctx := testCtx(t)
	_, err := s.CreateUser(ctx, "u", "", map[string]string{"Team": "a"})
	must(t, err)
	must(t, s.TagUser(ctx, "u", map[string]string{"team": "b", "env": "dev"}))
	u, _ := s.GetUser(ctx, "u")
	if len(u.Tags) != 2 || u.Tags["team"] != "b" {
		t.Fatalf("tags after TagUser: %v", u.Tags)
	}
	must(t, s.UntagUser(ctx, "u", []string{"TEAM", "nothing"}))
	u, _ = s.GetUser(ctx, "u")
	if len(u.Tags) != 1 || u.Tags["env"] != "dev" {
		t.Fatalf("tags after UntagUser: %v", u.Tags)
	}
	many := map[string]string{}
	for i := range 50 {
		many[fmt.Sprint("k", i)] = "v"
	}
	wantCode(t, "a 51st tag", s.TagUser(ctx, "u", many), CodeLimitExceeded)
	wantCode(t, "a reserved tag", s.TagUser(ctx, "u", map[string]string{"aws:x": "y"}), CodeInvalidInput)
}
