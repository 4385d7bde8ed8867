package iamapi

import (
	"context"
	"reflect"
	"testing"

	"github.com/keksdev/keks/internal/iam"
)

func TestChecksOfInstanceProfiles(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.h.IAM.CreateInstanceProfile(ctx, iam.InstanceProfile{Name: "nodes", Path: "/eks/", Tags: map[string]string{"env": "dev"}}); err != nil {
		t.Fatal(err)
	}
	arn := func(rest string) string { return "arn:aws:iam::" + w.account + ":" + rest }
	for _, tt := range []struct {
		name   string
		params map[string]string
		want   []described
	}{
		{"a new profile at its path, with its tags", map[string]string{"Action": "CreateInstanceProfile", "InstanceProfileName": "web", "Path": "/x/",
			"Tags.member.1.Key": "team", "Tags.member.1.Value": "b"},
			[]described{{"iam:CreateInstanceProfile", arn("instance-profile/x/web"), map[string][]string{"aws:RequestTag/team": {"b"}, "aws:TagKeys": {"team"}}}}},
		{"a profile by its real ARN", map[string]string{"Action": "GetInstanceProfile", "InstanceProfileName": "nodes"},
			[]described{{"iam:GetInstanceProfile", arn("instance-profile/eks/nodes"), nil}}},
		{"adding a role passes it", map[string]string{"Action": "AddRoleToInstanceProfile", "InstanceProfileName": "nodes", "RoleName": "deploy"},
			[]described{{"iam:AddRoleToInstanceProfile", arn("instance-profile/eks/nodes"), nil},
				{"iam:PassRole", arn("role/svc/deploy"), map[string][]string{"iam:PassedToService": {"ec2.amazonaws.com"}}}}},
		{"removing a role", map[string]string{"Action": "RemoveRoleFromInstanceProfile", "InstanceProfileName": "nodes", "RoleName": "deploy"},
			[]described{{"iam:RemoveRoleFromInstanceProfile", arn("instance-profile/eks/nodes"), nil}}},
		{"the profiles of a role act on the role", map[string]string{"Action": "ListInstanceProfilesForRole", "RoleName": "deploy"},
			[]described{{"iam:ListInstanceProfilesForRole", arn("role/svc/deploy"), nil}}},
		{"listing", map[string]string{"Action": "ListInstanceProfiles"}, []described{{"iam:ListInstanceProfiles", "*", nil}}},
		{"untagging", map[string]string{"Action": "UntagInstanceProfile", "InstanceProfileName": "nodes", "TagKeys.member.1": "env"},
			[]described{{"iam:UntagInstanceProfile", arn("instance-profile/eks/nodes"), map[string][]string{"aws:TagKeys": {"env"}}}}},
		{"an unknown profile is named as it would be", map[string]string{"Action": "DeleteInstanceProfile", "InstanceProfileName": "gone"},
			[]described{{"iam:DeleteInstanceProfile", arn("instance-profile/gone"), nil}}},
		{"a malformed name is any", map[string]string{"Action": "DeleteInstanceProfile", "InstanceProfileName": "a*b"},
			[]described{{"iam:DeleteInstanceProfile", "*", nil}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := describe(checksOf(w.h, w.asAlice(), tt.params)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("checks:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	checks := checksOf(w.h, w.asAlice(), map[string]string{"Action": "TagInstanceProfile", "InstanceProfileName": "nodes"})
	if got := checks[0].ResourceTags(ctx); got["env"] != "dev" {
		t.Errorf("a profile's tags: %v", got)
	}
}
