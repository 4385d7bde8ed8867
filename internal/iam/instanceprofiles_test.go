package iam

import (
	"strings"
	"testing"
)

func TestInstanceProfiles(t *testing.T) {
	s, _ := newTestService(t)
	ctx := testCtx(t)
	role, err := s.CreateRole(ctx, Role{Name: "node", AssumeRolePolicy: trustEC2})
	must(t, err)
	_, err = s.CreateRole(ctx, Role{Name: "other", AssumeRolePolicy: trustEC2})
	must(t, err)

	p, err := s.CreateInstanceProfile(ctx, InstanceProfile{Name: "NodeProfile", Path: "/eks/", Tags: map[string]string{"team": "a"}})
	must(t, err)
	if !strings.HasSuffix(p.ARN, ":instance-profile/eks/NodeProfile") || !strings.HasPrefix(p.ID, "AIPA") {
		t.Fatalf("new profile %+v", p)
	}
	_, err = s.CreateInstanceProfile(ctx, InstanceProfile{Name: "nodeprofile"})
	wantCode(t, "a second profile of that name, in another case", err, CodeEntityAlreadyExists)
	_, err = s.CreateInstanceProfile(ctx, InstanceProfile{Name: "bad name"})
	wantCode(t, "a malformed name", err, CodeValidation)

	wantCode(t, "adding a missing role", s.AddRoleToInstanceProfile(ctx, "NodeProfile", "nobody"), CodeNoSuchEntity)
	wantCode(t, "adding to a missing profile", s.AddRoleToInstanceProfile(ctx, "none", "node"), CodeNoSuchEntity)
	must(t, s.AddRoleToInstanceProfile(ctx, "NodeProfile", "node"))
	wantCode(t, "a second role", s.AddRoleToInstanceProfile(ctx, "NodeProfile", "other"), CodeLimitExceeded)

	wantCode(t, "deleting a role in a profile", s.DeleteRole(ctx, "node"), CodeDeleteConflict)
	wantCode(t, "deleting a profile with a role", s.DeleteInstanceProfile(ctx, "NodeProfile"), CodeDeleteConflict)

	for _, given := range []string{"NodeProfile", p.ARN} {
		profileARN, roleARN, err := s.InstanceProfileRole(ctx, given)
		must(t, err)
		if profileARN != p.ARN || roleARN != role.ARN {
			t.Fatalf("InstanceProfileRole(%s) = %s, %s", given, profileARN, roleARN)
		}
	}
	// A role without a profile of its name stands for one, as before.
	profileARN, roleARN, err := s.InstanceProfileRole(ctx, "other")
	must(t, err)
	if !strings.HasSuffix(profileARN, ":instance-profile/other") || !strings.HasSuffix(roleARN, ":role/other") {
		t.Fatalf("the fallback profile: %s, %s", profileARN, roleARN)
	}
	_, _, err = s.InstanceProfileRole(ctx, "neither")
	wantCode(t, "no profile or role", err, CodeNoSuchEntity)

	forRole, err := s.InstanceProfilesForRole(ctx, "node")
	must(t, err)
	if len(forRole) != 1 || forRole[0].Name != "NodeProfile" {
		t.Fatalf("profiles for node: %+v", forRole)
	}
	must(t, s.TagInstanceProfile(ctx, "NodeProfile", map[string]string{"env": "dev"}))
	must(t, s.UntagInstanceProfile(ctx, "NodeProfile", []string{"TEAM"}))
	got, err := s.GetInstanceProfile(ctx, "nodeprofile")
	must(t, err)
	if len(got.Tags) != 1 || got.Tags["env"] != "dev" || len(got.Roles) != 1 || got.Roles[0] != "node" {
		t.Fatalf("profile after tagging: %+v", got)
	}

	wantCode(t, "removing a role it does not have", s.RemoveRoleFromInstanceProfile(ctx, "NodeProfile", "other"), CodeNoSuchEntity)
	must(t, s.RemoveRoleFromInstanceProfile(ctx, "NodeProfile", "node"))
	must(t, s.DeleteRole(ctx, "node"))
	must(t, s.DeleteInstanceProfile(ctx, "NodeProfile"))
	_, err = s.GetInstanceProfile(ctx, "NodeProfile")
	wantCode(t, "a deleted profile", err, CodeNoSuchEntity)
}
