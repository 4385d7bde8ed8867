package iam

import (
	"slices"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam/awspolicies"
)

func userPrincipal(acct string, u *User) awsproto.Principal {
	return awsproto.Principal{Account: acct, ARN: u.ARN, UserID: u.ID, AccessKeyID: "AKIATEST"}
}

func TestPoliciesOfUserGathersUserAndGroupPolicies(t *testing.T) {
	s, _ := newTestService(t)
	ctx := testCtx(t)
	acct, err := s.Account(ctx)
	must(t, err)
	u, err := s.CreateUser(ctx, "dev", "/eng/", map[string]string{"team": "blue"})
	must(t, err)
	must(t, s.PutInlinePolicy(ctx, UserEntity, "dev", "own", allowS3))
	p, err := s.CreatePolicy(ctx, Policy{Name: "ec2", Document: allowEC2})
	must(t, err)
	must(t, s.AttachPolicy(ctx, UserEntity, "dev", p.ARN))
	must(t, s.AttachPolicy(ctx, UserEntity, "dev", adminARN))
	_, err = s.CreateGroup(ctx, "ops", "")
	must(t, err)
	must(t, s.PutInlinePolicy(ctx, GroupEntity, "ops", "eks", allowEKS))
	// Attached to the user and its group: counted once.
	must(t, s.AttachPolicy(ctx, GroupEntity, "ops", p.ARN))
	must(t, s.AddUserToGroup(ctx, "ops", "dev"))

	pp, err := s.PoliciesOf(ctx, userPrincipal(acct.ID, u))
	must(t, err)
	admin, _ := awspolicies.Lookup(adminARN)
	want := []string{allowS3, allowEC2, admin.Document, allowEKS}
	if !slices.Equal(pp.Documents, want) {
		t.Errorf("documents:\n%q\nwant\n%q", pp.Documents, want)
	}
	if pp.Root || pp.Username != "dev" || pp.RoleARN != "" || pp.Tags["team"] != "blue" {
		t.Errorf("principal: %+v", pp)
	}

	// The answer is a copy: changing it changes nothing cached.
	pp.Documents[0], pp.Tags["team"] = "changed", "red"
	again, err := s.PoliciesOf(ctx, userPrincipal(acct.ID, u))
	must(t, err)
	if again.Documents[0] != allowS3 || again.Tags["team"] != "blue" {
		t.Errorf("the cached answer changed with the caller's copy: %+v", again)
	}
}

func TestPoliciesOfSeesEveryWriteAtOnce(t *testing.T) {
	s, _ := newTestService(t)
	ctx := testCtx(t)
	acct, err := s.Account(ctx)
	must(t, err)
	u, err := s.CreateUser(ctx, "dev", "", nil)
	must(t, err)
	who := userPrincipal(acct.ID, u)
	docs := func() []string {
		t.Helper()
		pp, err := s.PoliciesOf(ctx, who)
		must(t, err)
		return pp.Documents
	}
	if d := docs(); len(d) != 0 {
		t.Fatalf("a new user has %q", d)
	}
	p, err := s.CreatePolicy(ctx, Policy{Name: "p", Document: allowS3})
	must(t, err)
	must(t, s.AttachPolicy(ctx, UserEntity, "dev", p.ARN))
	if d := docs(); !slices.Equal(d, []string{allowS3}) {
		t.Fatalf("after attaching: %q", d)
	}
	_, err = s.CreatePolicyVersion(ctx, p.ARN, allowEC2, true)
	must(t, err)
	if d := docs(); !slices.Equal(d, []string{allowEC2}) {
		t.Fatalf("after a new default version: %q", d)
	}
	_, err = s.CreateGroup(ctx, "g", "")
	must(t, err)
	must(t, s.PutInlinePolicy(ctx, GroupEntity, "g", "x", allowEKS))
	must(t, s.AddUserToGroup(ctx, "g", "dev"))
	if d := docs(); !slices.Equal(d, []string{allowEC2, allowEKS}) {
		t.Fatalf("after joining a group: %q", d)
	}
	must(t, s.RemoveUserFromGroup(ctx, "g", "dev"))
	must(t, s.DetachPolicy(ctx, UserEntity, "dev", p.ARN))
	if d := docs(); len(d) != 0 {
		t.Fatalf("after leaving and detaching: %q", d)
	}
	must(t, s.DeleteUser(ctx, "dev"))
	// A user made again under the name is another principal.
	_, err = s.CreateUser(ctx, "dev", "", nil)
	must(t, err)
	must(t, s.PutInlinePolicy(ctx, UserEntity, "dev", "x", allowS3))
	if d := docs(); len(d) != 0 {
		t.Fatalf("the deleted user's principal has the new user's policies: %q", d)
	}
}

func TestPoliciesOfRoleSessionAndRoot(t *testing.T) {
	s, _ := newTestService(t)
	ctx := testCtx(t)
	acct, err := s.Account(ctx)
	must(t, err)
	r, err := s.CreateRole(ctx, Role{Name: "node", Path: "/svc/", AssumeRolePolicy: trustEC2, Tags: map[string]string{"env": "dev"}})
	must(t, err)
	must(t, s.PutInlinePolicy(ctx, RoleEntity, "node", "s3", allowS3))
	must(t, s.AttachPolicy(ctx, RoleEntity, "node", adminARN))
	creds, err := s.IssueRoleSession(ctx, r.ARN, "i-123", time.Hour)
	must(t, err)
	session := awsproto.Principal{Account: acct.ID, ARN: creds.AssumedRoleARN, UserID: creds.AssumedRoleID, AccessKeyID: creds.AccessKeyID}
	pp, err := s.PoliciesOf(ctx, session)
	must(t, err)
	if len(pp.Documents) != 2 || pp.Documents[0] != allowS3 || pp.RoleARN != r.ARN || pp.Username != "" || pp.Tags["env"] != "dev" {
		t.Errorf("session: %+v", pp)
	}

	// The session of a role deleted and made again is not the new role's.
	must(t, s.DeleteInlinePolicy(ctx, RoleEntity, "node", "s3"))
	must(t, s.DetachPolicy(ctx, RoleEntity, "node", adminARN))
	must(t, s.DeleteRole(ctx, "node"))
	_, err = s.CreateRole(ctx, Role{Name: "node", AssumeRolePolicy: trustEC2})
	must(t, err)
	must(t, s.PutInlinePolicy(ctx, RoleEntity, "node", "s3", allowS3))
	if pp, err := s.PoliciesOf(ctx, session); err != nil || len(pp.Documents) != 0 {
		t.Errorf("an old session of a remade role: %v %+v", err, pp)
	}

	root, err := s.PoliciesOf(ctx, awsproto.Principal{Account: acct.ID, ARN: "arn:aws:iam::" + acct.ID + ":root", UserID: acct.ID})
	if err != nil || !root.Root {
		t.Errorf("root: %v %+v", err, root)
	}
	other, err := s.PoliciesOf(ctx, awsproto.Principal{Account: acct.ID, ARN: "arn:aws:iam::999999999999:root"})
	if err != nil || other.Root {
		t.Errorf("another account's root: %v %+v", err, other)
	}
}

func TestPrincipalCacheKeepsNoAnswerReadBeforeAWrite(t *testing.T) {
	var c principalCache
	_, gen, ok := c.get("k")
	if ok {
		t.Fatal("an empty cache answered")
	}
	c.invalidate() // a write committed while the answer was being read
	c.put("k", gen, &PrincipalPolicies{Username: "stale"})
	if _, _, ok := c.get("k"); ok {
		t.Fatal("an answer read before a write was kept")
	}
	_, gen, _ = c.get("k")
	c.put("k", gen, &PrincipalPolicies{Username: "fresh"})
	if pp, _, ok := c.get("k"); !ok || pp.Username != "fresh" {
		t.Fatalf("a fresh answer was not kept: %v %+v", ok, pp)
	}
}
