package iamapi

import (
	"reflect"
	"testing"
)

func TestChecksOfLoginProfilesAndPasswordPolicy(t *testing.T) {
	w := newWorld(t)
	arn := func(rest string) string { return "arn:aws:iam::" + w.account + ":" + rest }
	session := caller{w.account, "arn:aws:sts::" + w.account + ":assumed-role/deploy/s"}
	for _, tt := range []struct {
		name   string
		who    caller
		params map[string]string
		want   []described
	}{
		{"a user's password, by its real ARN", w.asAlice(), map[string]string{"Action": "CreateLoginProfile", "UserName": "alice", "Password": "x"},
			[]described{{"iam:CreateLoginProfile", w.alice.ARN, nil}}},
		{"the caller's own profile", w.asAlice(), map[string]string{"Action": "GetLoginProfile"},
			[]described{{"iam:GetLoginProfile", w.alice.ARN, nil}}},
		{"a user that does not exist", w.asAlice(), map[string]string{"Action": "DeleteLoginProfile", "UserName": "ghost"},
			[]described{{"iam:DeleteLoginProfile", arn("user/ghost"), nil}}},
		{"an update names its user", w.asAlice(), map[string]string{"Action": "UpdateLoginProfile", "UserName": "alice", "PasswordResetRequired": "true"},
			[]described{{"iam:UpdateLoginProfile", w.alice.ARN, nil}}},
		{"changing one's own password", w.asAlice(), map[string]string{"Action": "ChangePassword", "OldPassword": "a", "NewPassword": "b",
			"UserName": "ghost"}, // not a parameter of ChangePassword: ignored
			[]described{{"iam:ChangePassword", w.alice.ARN, nil}}},
		{"a role session has no password", session, map[string]string{"Action": "ChangePassword", "OldPassword": "a", "NewPassword": "b"},
			[]described{{"iam:ChangePassword", "*", nil}}},
		{"the policy takes no resource", w.asAlice(), map[string]string{"Action": "UpdateAccountPasswordPolicy", "MinimumPasswordLength": "12"},
			[]described{{"iam:UpdateAccountPasswordPolicy", "*", nil}}},
		{"reading it", w.asAlice(), map[string]string{"Action": "GetAccountPasswordPolicy"},
			[]described{{"iam:GetAccountPasswordPolicy", "*", nil}}},
		{"deleting it", w.asAlice(), map[string]string{"Action": "DeleteAccountPasswordPolicy"},
			[]described{{"iam:DeleteAccountPasswordPolicy", "*", nil}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := describe(checksOf(w.h, tt.who, tt.params)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("checks:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	checks := checksOf(w.h, w.asAlice(), map[string]string{"Action": "GetLoginProfile", "UserName": "alice"})
	if got := checks[0].ResourceTags(t.Context()); got["team"] != "a" {
		t.Errorf("the user's tags: %v", got)
	}
}
