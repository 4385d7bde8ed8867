package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

func TestSignInWithAccessKey(t *testing.T) {
	b := newBrowser(t)
	resp, _ := b.get("/console/clusters")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/signin?next=") {
		t.Fatalf("unsigned page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	k := testServer.models.Bootstrap
	if resp := b.signInWithKey(k.AccessKeyID, "wrong"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d", resp.StatusCode)
	}
	resp = b.signInWithKey(k.AccessKeyID, k.SecretAccessKey)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "keks-console" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteStrictMode {
		t.Errorf("session cookie: %+v", cookie)
	}
	resp, body := b.get("/console/clusters")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Clusters") || !strings.Contains(body, k.UserARN[strings.LastIndex(k.UserARN, ":")+1:]) {
		t.Fatalf("clusters page: %d %s", resp.StatusCode, body)
	}
	if b.csrf == "" {
		t.Fatal("no CSRF token on the page")
	}
	// A change without the token is refused; sign-out with it works.
	if resp := b.post("/console/signout", url.Values{"csrf": {"forged"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out with a forged token: %d", resp.StatusCode)
	}
	if resp := b.post("/console/signout", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-out: %d", resp.StatusCode)
	}
	if resp, _ := b.get("/console/clusters"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign-out: %d", resp.StatusCode)
	}
}

// A user without EKS rights sees EKS's AccessDeniedException, and a
// deleted key ends its session.
func TestAccessDeniedShown(t *testing.T) {
	ctx := context.Background()
	api := admin()
	if _, err := api.IAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("console-nobody")}); err != nil {
		t.Fatal(err)
	}
	key, err := api.IAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("console-nobody")})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	if resp := b.signInWithKey(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	resp, body := b.get("/console/clusters")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "AccessDeniedException") || !strings.Contains(body, "eks:ListClusters") {
		t.Errorf("denied list: %d %s", resp.StatusCode, body)
	}
}

func TestSafeRedirectAfterSignIn(t *testing.T) {
	b := newBrowser(t)
	k := testServer.models.Bootstrap
	resp := b.post("/console/signin", url.Values{"method": {"key"}, "accesskeyid": {k.AccessKeyID}, "secret": {k.SecretAccessKey}, "next": {"//evil.example/x"}})
	if loc := resp.Header.Get("Location"); loc != "/console/clusters" {
		t.Errorf("next=//evil.example: sent to %q", loc)
	}
}
