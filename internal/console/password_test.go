package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// An IAM user signs in with its password; a reset its administrator
// required sends it to change the password first, through IAM's
// ChangePassword as itself.
func TestSignInWithPasswordAndReset(t *testing.T) {
	ctx := context.Background()
	api := admin()
	const user = "console-pw"
	if _, err := api.IAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.IAM.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("console"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks:ListClusters","eks:DescribeClusterVersions"],"Resource":"*"},` +
			`{"Effect":"Allow","Action":"iam:ChangePassword","Resource":"arn:aws:iam::*:user/${aws:username}"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.IAM.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(user), Password: aws.String("First-pass-123"),
		PasswordResetRequired: true}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	signIn := func(password string) *http.Response {
		return b.post("/console/signin", url.Values{"method": {"password"}, "account": {testServer.models.Bootstrap.AccountID},
			"username": {user}, "password": {password}})
	}
	if resp := signIn("wrong-Pass-1"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", resp.StatusCode)
	}
	if resp := signIn("First-pass-123"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/password" {
		t.Fatalf("sign-in with a reset required: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := b.get("/console/clusters"); resp.Header.Get("Location") != "/console/password" {
		t.Errorf("a page before the password is changed: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body := b.get("/console/password")
	if m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body); m != nil {
		b.csrf = m[1]
	}
	if resp := b.post("/console/password", url.Values{"old": {"First-pass-123"}, "new": {"short"}, "confirm": {"short"}}); resp.StatusCode == http.StatusSeeOther {
		t.Errorf("a password the policy refuses was taken")
	}
	if resp := b.post("/console/password", url.Values{"old": {"First-pass-123"}, "new": {"Second-pass-456"}, "confirm": {"Second-pass-456"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change password: %d", resp.StatusCode)
	}
	resp, body := b.get("/console/clusters")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "user/"+user) {
		t.Errorf("after the change: %d", resp.StatusCode)
	}
	b2 := newBrowser(t)
	b = b2
	if resp := signIn("Second-pass-456"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/clusters" {
		t.Errorf("sign-in with the new password: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}
