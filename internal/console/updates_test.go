package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// A user without EKS rights sees EKS's AccessDeniedException on every
// tab and form, and nothing is changed.
func TestConfigAccessDenied(t *testing.T) {
	ctx := context.Background()
	makeCluster(t, "guarded", ekstypes.AuthenticationModeApi)
	activate(t, "guarded")
	if _, err := admin().IAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("console-config-nobody")}); err != nil {
		t.Fatal(err)
	}
	key, err := admin().IAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("console-config-nobody")})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	if resp := b.signInWithKey(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	if resp, body := b.get("/console/clusters/create"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="cluster-role"`) {
		t.Errorf("create page (its lists become text fields): %d %s", resp.StatusCode, body)
	}
	for _, p := range []string{"networking", "addons", "access", "observability", "updates", "tags", "upgrade", "delete",
		"networking/endpoint", "addons/add", "observability/logging", "observability/logs/api", "access/mode", "access/entries/create", "tags/manage",
		"updates/x", "addons/coredns", "access/entry?arn=x"} {
		resp, body := b.get("/console/clusters/guarded/" + p)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "AccessDeniedException") {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
	role, subnets := clusterPrereqs(t)
	for p, form := range map[string]url.Values{
		"/console/clusters/create":                            {"name": {"not-mine"}, "role": {role}, "subnettext": {strings.Join(subnets, "\n")}},
		"/console/clusters/guarded/delete":                    {"confirm": {"guarded"}},
		"/console/clusters/guarded/upgrade":                   {"version": {"1.99"}},
		"/console/clusters/guarded/tags/manage":               {"tags": {"a=b"}},
		"/console/clusters/guarded/networking/endpoint":       {"access": {"both"}},
		"/console/clusters/guarded/observability/logging":     {"logging": {"api"}},
		"/console/clusters/guarded/access/mode":               {"mode": {"API"}},
		"/console/clusters/guarded/access/entries/create":     {"principal": {role}},
		"/console/clusters/guarded/addons/add":                {"addon": {"coredns"}},
		"/console/clusters/guarded/addons/coredns/delete":     {"confirm": {"coredns"}},
		"/console/clusters/guarded/access/entry/delete":       {"arn": {role}},
		"/console/clusters/guarded/access/entry/associate":    {"arn": {role}, "policy": {"p"}},
		"/console/clusters/guarded/access/entry/disassociate": {"arn": {role}, "policy": {"p"}},
	} {
		form.Set("csrf", b.csrf)
		req, _ := http.NewRequest(http.MethodPost, testServer.models.Endpoint+p, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, body := b.do(req)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "AccessDeniedException") {
			t.Errorf("POST %s: %d %s", p, resp.StatusCode, body)
		}
	}
	if k := describe(t, "guarded"); k.Status != ekstypes.ClusterStatusActive || len(k.Tags) != 0 {
		t.Errorf("guarded cluster changed: %s %v", k.Status, k.Tags)
	}
}
