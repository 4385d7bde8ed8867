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
)

func TestCreateAccessEntry(t *testing.T) {
	ctx := context.Background()
	makeCluster(t, "with-entries", ekstypes.AuthenticationModeApi)
	role, err := admin().IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("console-entry-role"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(role.Role.Arn)
	b := signedInAsAdmin(t)
	if _, body := b.get("/console/clusters/with-entries/access/entries/create"); !strings.Contains(body, "AmazonEKSViewPolicy") {
		t.Errorf("no access policies offered: %s", body)
	}
	resp := b.post("/console/clusters/with-entries/access/entries/create", url.Values{"principal": {arn}, "type": {"STANDARD"},
		"username": {"viewer"}, "groups": {"team-a\nteam-b"}, "policy": {"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"},
		"scope": {"namespace"}, "namespaces": {"default, apps"}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "/access/entry?arn=") {
		t.Fatalf("create entry: %d %s", resp.StatusCode, loc)
	}
	e, err := admin().EKS.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("with-entries"), PrincipalArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(e.AccessEntry.Username) != "viewer" || strings.Join(e.AccessEntry.KubernetesGroups, ",") != "team-a,team-b" {
		t.Errorf("entry: %+v", e.AccessEntry)
	}
	resp, body := b.get(loc)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "AmazonEKSViewPolicy") || !strings.Contains(body, "namespace: default, apps") {
		t.Errorf("entry page: %d %s", resp.StatusCode, body)
	}
	if _, body := b.get("/console/clusters/with-entries/access"); !strings.Contains(body, arn) || !strings.Contains(body, "team-a, team-b") {
		t.Errorf("access tab: %s", body)
	}
	// Associate another, disassociate it, delete the entry.
	if resp := b.post("/console/clusters/with-entries/access/entry/associate", url.Values{"arn": {arn}, "policy": {"arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"}, "scope": {"cluster"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("associate: %d", resp.StatusCode)
	}
	if resp := b.post("/console/clusters/with-entries/access/entry/disassociate", url.Values{"arn": {arn}, "policy": {"arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("disassociate: %d", resp.StatusCode)
	}
	if resp := b.post("/console/clusters/with-entries/access/entry/associate", url.Values{"arn": {arn}, "policy": {"arn:aws:eks::aws:cluster-access-policy/Nope"}, "scope": {"cluster"}}); resp.StatusCode < 400 {
		t.Errorf("associate an unknown policy: %d", resp.StatusCode)
	}
	// A duplicate: EKS's error, the form kept.
	form := url.Values{"principal": {arn}, "username": {"kept-name"}, "csrf": {b.csrf}}
	req, _ := http.NewRequest(http.MethodPost, testServer.models.Endpoint+"/console/clusters/with-entries/access/entries/create", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, body := b.do(req); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "ResourceInUseException") || !strings.Contains(body, "kept-name") {
		t.Errorf("duplicate entry: %d %s", resp.StatusCode, body)
	}
	if resp := b.post("/console/clusters/with-entries/access/entry/delete", url.Values{"arn": {arn}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete entry: %d", resp.StatusCode)
	}
	if _, err := admin().EKS.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("with-entries"), PrincipalArn: aws.String(arn)}); err == nil {
		t.Error("entry still there")
	}
}

// Changing the authentication mode is refused while CREATING (EKS's
// error shown) and made once ACTIVE.
func TestManageAccessMode(t *testing.T) {
	makeCluster(t, "mode-change", ekstypes.AuthenticationModeConfigMap)
	b := signedInAsAdmin(t)
	if _, body := b.get("/console/clusters/mode-change/access"); !strings.Contains(body, "CONFIG_MAP") {
		t.Errorf("access tab: %s", body)
	}
	if resp := b.post("/console/clusters/mode-change/access/mode", url.Values{"mode": {"API_AND_CONFIG_MAP"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("while CREATING: %d", resp.StatusCode)
	}
	activate(t, "mode-change")
	resp := b.post("/console/clusters/mode-change/access/mode", url.Values{"mode": {"API_AND_CONFIG_MAP"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "/updates/") {
		t.Fatalf("mode change: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if k := describe(t, "mode-change"); k.AccessConfig.AuthenticationMode != ekstypes.AuthenticationModeApiAndConfigMap {
		t.Errorf("mode: %s", k.AccessConfig.AuthenticationMode)
	}
}
