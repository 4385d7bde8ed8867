package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	keksiam "github.com/keksdev/keks/internal/iam"
)

// awsCLI runs the AWS CLI against the test server as the admin user, and
// returns its standard output, or its standard error as the error.
func awsCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	m := testServer.models
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "aws", append(args, "--endpoint-url", m.Endpoint, "--output", "json")...)
	// Only this server's settings: none of the environment's AWS_*.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"AWS_ACCESS_KEY_ID="+m.Bootstrap.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+m.Bootstrap.SecretAccessKey,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CA_BUNDLE="+m.CAFile, "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1",
		"AWS_CONFIG_FILE="+dir+"/config", "AWS_SHARED_CREDENTIALS_FILE="+dir+"/credentials")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), errors.New(strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// cliJSON runs the AWS CLI and decodes its answer into v.
func cliJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out, err := awsCLI(t, args...)
	if err != nil {
		t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
	}
	if v != nil && strings.TrimSpace(out) != "" {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// cliFails runs the AWS CLI and wants it refused with code (and message,
// when given).
func cliFails(t *testing.T, code, message string, args ...string) {
	t.Helper()
	_, err := awsCLI(t, args...)
	if err == nil || !strings.Contains(err.Error(), "("+code+")") || !strings.Contains(err.Error(), message) {
		t.Fatalf("aws %s: %v, want %s %q", strings.Join(args, " "), err, code, message)
	}
}

// TestLoginProfilesThroughAWSCLI drives login profiles and the account
// password policy with the real AWS CLI, then signs the user in as the
// console does.
func TestLoginProfilesThroughAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	ctx := context.Background()
	m := testServer.models
	t.Cleanup(func() { _ = m.IAM.DeleteAccountPasswordPolicy(ctx) })
	const user = "login-carol"

	cliJSON(t, nil, "iam", "update-account-password-policy", "--minimum-password-length", "10", "--require-numbers", "--require-symbols",
		"--allow-users-to-change-password", "--max-password-age", "90", "--password-reuse-prevention", "3")
	var policy struct{ PasswordPolicy map[string]any }
	cliJSON(t, &policy, "iam", "get-account-password-policy")
	want := map[string]any{"MinimumPasswordLength": 10.0, "RequireSymbols": true, "RequireNumbers": true, "RequireUppercaseCharacters": false,
		"RequireLowercaseCharacters": false, "AllowUsersToChangePassword": true, "ExpirePasswords": true, "MaxPasswordAge": 90.0,
		"PasswordReusePrevention": 3.0}
	if len(policy.PasswordPolicy) != len(want) {
		t.Errorf("policy %v, want %v", policy.PasswordPolicy, want)
	}
	for k, v := range want {
		if policy.PasswordPolicy[k] != v {
			t.Errorf("policy %s = %v, want %v", k, policy.PasswordPolicy[k], v)
		}
	}

	cliJSON(t, nil, "iam", "create-user", "--user-name", user)
	cliFails(t, "PasswordPolicyViolation", "minimum length of 10", "iam", "create-login-profile", "--user-name", user, "--password", "Short-1")
	cliFails(t, "NoSuchEntity", "The user with name login-ghost cannot be found.", "iam", "create-login-profile", "--user-name", "login-ghost", "--password", "Carol-pass-1!")
	var created, got struct {
		LoginProfile struct {
			UserName              string
			CreateDate            time.Time
			PasswordResetRequired bool
		}
	}
	cliJSON(t, &created, "iam", "create-login-profile", "--user-name", user, "--password", "Carol-pass-1!", "--password-reset-required")
	if created.LoginProfile.UserName != user || !created.LoginProfile.PasswordResetRequired || time.Since(created.LoginProfile.CreateDate) > time.Minute {
		t.Errorf("created %+v", created.LoginProfile)
	}
	cliFails(t, "EntityAlreadyExists", "Login Profile for user "+user+" already exists.", "iam", "create-login-profile", "--user-name", user, "--password", "Carol-pass-1!")
	cliJSON(t, &got, "iam", "get-login-profile", "--user-name", user)
	if got != created {
		t.Errorf("got %+v, created %+v", got.LoginProfile, created.LoginProfile)
	}
	cliJSON(t, nil, "iam", "update-login-profile", "--user-name", user, "--no-password-reset-required")
	cliJSON(t, &got, "iam", "get-login-profile", "--user-name", user)
	if got.LoginProfile.PasswordResetRequired {
		t.Errorf("the reset is still required: %+v", got.LoginProfile)
	}
	cliFails(t, "PasswordPolicyViolation", "last 3 passwords", "iam", "update-login-profile", "--user-name", user, "--password", "Carol-pass-1!")
	cliJSON(t, nil, "iam", "update-login-profile", "--user-name", user, "--password", "Carol-pass-2!")

	// The console's sign-in: the user's own principal, and its use shown.
	p, reset, err := m.IAM.SignInWithPassword(ctx, m.Bootstrap.AccountID, user, "Carol-pass-2!")
	if err != nil || reset {
		t.Fatalf("sign in: reset %v, %v", reset, err)
	}
	var u struct{ User map[string]any }
	cliJSON(t, &u, "iam", "get-user", "--user-name", user)
	if p.ARN != u.User["Arn"] || p.UserID != u.User["UserId"] || u.User["PasswordLastUsed"] == nil {
		t.Errorf("signed in as %+v; the user is %v", p, u.User)
	}
	var users struct{ Users []map[string]any }
	cliJSON(t, &users, "iam", "list-users")
	for _, lu := range users.Users {
		if lu["UserName"] == user && lu["PasswordLastUsed"] == nil {
			t.Errorf("ListUsers without the password's last use: %v", lu)
		}
	}
	if _, _, err := m.IAM.SignInWithPassword(ctx, m.Bootstrap.AccountID, user, "Carol-pass-1!"); !errors.Is(err, keksiam.ErrSignInFailed) {
		t.Errorf("the old password: %v", err)
	}

	cliFails(t, "DeleteConflict", "must delete login profile first", "iam", "delete-user", "--user-name", user)
	cliJSON(t, nil, "iam", "delete-login-profile", "--user-name", user)
	cliFails(t, "NoSuchEntity", "Login Profile for User "+user+" cannot be found.", "iam", "get-login-profile", "--user-name", user)
	cliJSON(t, nil, "iam", "delete-user", "--user-name", user)
	cliJSON(t, nil, "iam", "delete-account-password-policy")
	cliFails(t, "NoSuchEntity", "The Password Policy with domain name "+m.Bootstrap.AccountID+" cannot be found.", "iam", "get-account-password-policy")
}

// TestChangePasswordByTheUser: a user changes its own password with its
// own key, which the password policy's AllowUsersToChangePassword allows
// without any policy of the user's; only its own.
func TestChangePasswordByTheUser(t *testing.T) {
	ctx := context.Background()
	m := testServer.models
	admin := iam.NewFromConfig(awsConfig())
	t.Cleanup(func() { _ = m.IAM.DeleteAccountPasswordPolicy(ctx) })
	const user = "login-dave"
	_, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)})
	mustOK(t, "create user", err)
	k, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	mustOK(t, "create key", err)
	_, err = admin.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(user), Password: aws.String("Dave-pass-1"), PasswordResetRequired: true})
	mustOK(t, "create login profile", err)
	dave := iam.NewFromConfig(awsConfig(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)))
	change := func(old, new string) error {
		_, err := dave.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String(old), NewPassword: aws.String(new)})
		return err
	}
	_ = m.IAM.DeleteAccountPasswordPolicy(ctx)
	wantCode(t, "without the password policy's leave", change("Dave-pass-1", "Dave-pass-2"), "AccessDenied")

	_, err = admin.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{AllowUsersToChangePassword: true, MinimumPasswordLength: aws.Int32(8)})
	mustOK(t, "allow users to change their passwords", err)
	_, err = dave.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	mustOK(t, "the user reads the policy it must follow", err)
	wantCode(t, "a wrong old password", change("Dave-pass-0", "Dave-pass-2"), "InvalidUserType")
	mustOK(t, "change password", change("Dave-pass-1", "Dave-pass-2"))
	lp, err := admin.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String(user)})
	mustOK(t, "get login profile", err)
	if lp.LoginProfile.PasswordResetRequired {
		t.Error("the reset asked of the user is still asked after it changed its password")
	}
	if _, _, err := m.IAM.SignInWithPassword(ctx, "", user, "Dave-pass-2"); err != nil {
		t.Errorf("sign in with the new password: %v", err)
	}
	_, err = dave.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String(user), Password: aws.String("Dave-pass-3")})
	wantCode(t, "the leave is ChangePassword's only", err, "AccessDenied")
	_, err = dave.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{})
	wantCode(t, "nor a change of the policy", err, "AccessDenied")

	_, err = admin.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String(user)})
	mustOK(t, "delete login profile", err)
	_, err = admin.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: k.AccessKey.AccessKeyId})
	mustOK(t, "delete key", err)
	_, err = admin.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(user)})
	mustOK(t, "delete user", err)
}
