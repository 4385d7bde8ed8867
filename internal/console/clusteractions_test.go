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
)

// Deleting asks for the cluster's name: a mismatch calls nothing, the
// name deletes it.
func TestDeleteClusterTypedName(t *testing.T) {
	makeCluster(t, "to-delete", ekstypes.AuthenticationModeApi)
	b := signedInAsAdmin(t)
	if resp, body := b.get("/console/clusters/to-delete"); !strings.Contains(body, `id="delete-cluster"`) || !strings.Contains(body, `id="upgrade-cluster"`) {
		t.Errorf("cluster page lacks its actions: %d", resp.StatusCode)
	}
	if resp, body := b.get("/console/clusters/to-delete/delete"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="confirm-name"`) {
		t.Fatalf("delete page: %d %s", resp.StatusCode, body)
	}
	for _, typed := range []string{"", "to-delet", "TO-DELETE", " to-delete"} {
		resp := b.post("/console/clusters/to-delete/delete", url.Values{"confirm": {typed}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("typed %q: %d", typed, resp.StatusCode)
		}
		if k := describe(t, "to-delete"); k.Status != ekstypes.ClusterStatusCreating {
			t.Fatalf("typed %q: cluster %s", typed, k.Status)
		}
	}
	resp := b.post("/console/clusters/to-delete/delete", url.Values{"confirm": {"to-delete"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/clusters?flash=") {
		t.Fatalf("delete: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if k := describe(t, "to-delete"); k.Status != ekstypes.ClusterStatusDeleting {
		t.Errorf("after delete: %s", k.Status)
	}
	if _, body := b.get("/console/clusters"); !strings.Contains(body, `hx-trigger="every 2s"`) {
		t.Error("the list does not poll while a cluster is DELETING")
	}
	// A cluster that is gone: the API's own error.
	if resp := b.post("/console/clusters/never-was/delete", url.Values{"confirm": {"never-was"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("delete a cluster that does not exist: %d", resp.StatusCode)
	}
}

// Upgrading offers the next minor version; EKS refuses while the
// cluster is CREATING, and the console shows its error; once ACTIVE the
// update is made and its page shown.
func TestUpgradeVersion(t *testing.T) {
	vs, err := admin().EKS.DescribeClusterVersions(context.Background(), &eks.DescribeClusterVersionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	older := ""
	for _, v := range vs.ClusterVersions {
		if !v.DefaultVersion && (older == "" || aws.ToString(v.ClusterVersion) > older) && aws.ToString(v.ClusterVersion) < aws.ToString(vs.ClusterVersions[0].ClusterVersion) {
			older = aws.ToString(v.ClusterVersion)
		}
	}
	k := makeCluster(t, "to-upgrade", ekstypes.AuthenticationModeApi, older)
	b := signedInAsAdmin(t)
	resp, body := b.get("/console/clusters/to-upgrade/upgrade")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upgrade page: %d %s", resp.StatusCode, body)
	}
	next := ""
	if strings.Contains(body, `id="upgrade-version"`) {
		i := strings.Index(body, `id="upgrade-version"><option value="`)
		rest := body[i+len(`id="upgrade-version"><option value="`):]
		next = rest[:strings.Index(rest, `"`)]
	}
	if next == "" {
		t.Skipf("no version after %s", *k.Version)
	}
	resp = b.post("/console/clusters/to-upgrade/upgrade", url.Values{"version": {next}})
	if resp.StatusCode == http.StatusSeeOther {
		t.Fatalf("upgrade of a CREATING cluster accepted")
	}
	req, _ := http.NewRequest(http.MethodPost, testServer.models.Endpoint+"/console/clusters/to-upgrade/upgrade", strings.NewReader(url.Values{"version": {next}, "csrf": {b.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, body := b.do(req); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "InvalidRequestException") {
		t.Errorf("upgrade while CREATING: %d %s", resp.StatusCode, body)
	}
	activate(t, "to-upgrade")
	resp = b.post("/console/clusters/to-upgrade/upgrade", url.Values{"version": {next}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/clusters/to-upgrade/updates/") {
		t.Fatalf("upgrade: %d %s", resp.StatusCode, loc)
	}
	if resp, body := b.get(loc); resp.StatusCode != http.StatusOK || !strings.Contains(body, "VersionUpdate") || !strings.Contains(body, next) {
		t.Errorf("update page: %d %s", resp.StatusCode, body)
	}
	resp, body = b.get("/console/clusters/to-upgrade/updates")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "VersionUpdate") || !strings.Contains(body, `hx-select="#update-rows"`) {
		t.Errorf("update history: %d %s", resp.StatusCode, body)
	}
}

// Every tab and form page of a cluster renders, for a CREATING cluster
// and an ACTIVE one.
func TestConfigPagesRender(t *testing.T) {
	makeCluster(t, "pages-creating", ekstypes.AuthenticationModeApiAndConfigMap)
	makeCluster(t, "pages-active", ekstypes.AuthenticationModeApi)
	activate(t, "pages-active")
	b := signedInAsAdmin(t)
	for _, name := range []string{"pages-creating", "pages-active"} {
		for _, p := range []struct{ path, want string }{
			{"networking", `id="manage-endpoint"`},
			{"addons", `id="add-addon"`},
			{"access", `id="create-access-entry"`},
			{"observability", `id="manage-logging"`},
			{"updates", "Update history"},
			{"tags", `id="manage-tags"`},
			{"upgrade", "Current Kubernetes version"},
			{"delete", `id="confirm-name"`},
			{"networking/endpoint", `id="public-cidrs"`},
			{"addons/add", "Get more add-ons"},
			{"observability/logging", `id="logging-audit"`},
			{"observability/logs/api", "API server logs"},
			{"observability/logs/audit", "Audit logs"},
			{"access/mode", `id="mode-api"`},
			{"access/entries/create", `id="principal-arn"`},
			{"tags/manage", `id="cluster-tags"`},
		} {
			resp, body := b.get("/console/clusters/" + name + "/" + p.path)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, p.want) {
				t.Errorf("%s/%s: %d, want %q: %s", name, p.path, resp.StatusCode, p.want, body)
			}
		}
	}
	for _, p := range []string{"observability/logs/nope", "updates/00000000-0000-0000-0000-000000000000", "addons/nope", "access/entry?arn=arn:aws:iam::1:user/x"} {
		if resp, _ := b.get("/console/clusters/pages-active/" + p); resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
}
