package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	ekskeks "github.com/keksdev/keks/internal/eks"
)

// The history holds the cluster's updates and its node groups', newest
// first, each with its page.
func TestUpdateHistory(t *testing.T) {
	ctx := context.Background()
	makeCluster(t, "history", ekstypes.AuthenticationModeApi)
	activate(t, "history")
	_, subnets := clusterPrereqs(t)
	role, err := admin().IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("console-config-node-role"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin().EKS.CreateNodegroup(ctx, &eks.CreateNodegroupInput{ClusterName: aws.String("history"), NodegroupName: aws.String("workers"),
		NodeRole: role.Role.Arn, Subnets: subnets}); err != nil {
		t.Fatal(err)
	}
	ng, err := testServer.models.EKS.GetNodegroup(ctx, "us-east-1", "history", "workers")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testServer.models.EKS.SetNodegroup(ctx, ng, func(n *ekskeks.Nodegroup) error { n.Status = ekskeks.NodegroupActive; return nil }); err != nil {
		t.Fatal(err)
	}
	b := signedInAsAdmin(t)
	if resp := b.post("/console/clusters/history/tags/manage", url.Values{"tags": {"x=y"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatal(resp.StatusCode)
	}
	if resp := b.post("/console/clusters/history/observability/logging", url.Values{"logging": {"scheduler"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatal(resp.StatusCode)
	}
	up, err := admin().EKS.UpdateNodegroupConfig(ctx, &eks.UpdateNodegroupConfigInput{ClusterName: aws.String("history"), NodegroupName: aws.String("workers"),
		ScalingConfig: &ekstypes.NodegroupScalingConfig{MinSize: aws.Int32(1), MaxSize: aws.Int32(3), DesiredSize: aws.Int32(3)}})
	if err != nil {
		t.Fatal(err)
	}
	resp, body := b.get("/console/clusters/history/updates")
	ngRow, logRow := strings.Index(body, "Node group workers"), strings.Index(body, "LoggingUpdate")
	if resp.StatusCode != http.StatusOK || ngRow < 0 || logRow < 0 || ngRow > logRow || !strings.Contains(body, `hx-trigger="every 2s"`) {
		t.Errorf("history (node group's update first, polling): %d %s", resp.StatusCode, body)
	}
	resp, body = b.get("/console/clusters/history/updates/" + aws.ToString(up.Update.Id) + "?nodegroup=workers")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "ConfigUpdate") || !strings.Contains(body, "DesiredSize") {
		t.Errorf("node group update page: %d %s", resp.StatusCode, body)
	}
}

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
