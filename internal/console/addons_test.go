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

	ekskeks "github.com/keksdev/keks/internal/eks"
)

func TestAddons(t *testing.T) {
	ctx := context.Background()
	makeCluster(t, "with-addons", ekstypes.AuthenticationModeApi)
	activate(t, "with-addons")
	b := signedInAsAdmin(t)
	_, body := b.get("/console/clusters/with-addons/addons/add")
	if !strings.Contains(body, `id="add-metrics-server"`) {
		t.Fatalf("metrics-server not offered: %s", body)
	}
	resp := b.post("/console/clusters/with-addons/addons/add", url.Values{"addon": {"metrics-server"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %d", resp.StatusCode)
	}
	if _, err := admin().EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String("with-addons"), AddonName: aws.String("metrics-server")}); err != nil {
		t.Fatal(err)
	}
	_, body = b.get("/console/clusters/with-addons/addons")
	if !strings.Contains(body, `id="addon-metrics-server"`) {
		t.Errorf("addons tab: %s", body)
	}
	if _, body = b.get("/console/clusters/with-addons/addons/add"); strings.Contains(body, `id="add-metrics-server"`) {
		t.Error("an installed add-on is still offered")
	}
	// A bad configuration: EKS's error, the values kept.
	form := url.Values{"addon": {"snapshot-controller"}, "config": {"{not json"}, "csrf": {b.csrf}}
	req, _ := http.NewRequest(http.MethodPost, testServer.models.Endpoint+"/console/clusters/with-addons/addons/add", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, body := b.do(req); resp.StatusCode < 400 || !strings.Contains(body, "{not json") {
		t.Errorf("bad configuration: %d %s", resp.StatusCode, body)
	}
	if resp, body := b.get("/console/clusters/with-addons/addons/metrics-server"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="addon-version"`) {
		t.Errorf("add-on page: %d %s", resp.StatusCode, body)
	}
	// Edit while CREATING: EKS refuses, the console says why.
	if resp := b.post("/console/clusters/with-addons/addons/metrics-server", url.Values{"resolve": {"OVERWRITE"}}); resp.StatusCode == http.StatusSeeOther || resp.StatusCode >= 500 {
		t.Errorf("edit a CREATING add-on: %d", resp.StatusCode)
	}
	// Once ACTIVE, an edit makes an update whose page names the add-on.
	a, err := testServer.models.EKS.GetAddon(ctx, "us-east-1", "with-addons", "metrics-server")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testServer.models.EKS.SetAddon(ctx, a, func(a *ekskeks.Addon) error { a.Status = ekskeks.AddonActive; return nil }); err != nil {
		t.Fatal(err)
	}
	form = url.Values{"resolve": {"OVERWRITE"}, "csrf": {b.csrf}}
	req, _ = http.NewRequest(http.MethodPost, testServer.models.Endpoint+"/console/clusters/with-addons/addons/metrics-server", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, body = b.do(req)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "?addon=metrics-server") {
		t.Fatalf("edit: %d %s", resp.StatusCode, loc)
	}
	if resp, body := b.get(loc); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Add-on metrics-server") || !strings.Contains(body, "AddonUpdate") {
		t.Errorf("add-on update page: %d %s", resp.StatusCode, body)
	}
	// Remove: typed name.
	if resp := b.post("/console/clusters/with-addons/addons/metrics-server/delete", url.Values{"confirm": {"metrics"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("remove with a wrong name: %d", resp.StatusCode)
	}
	if resp := b.post("/console/clusters/with-addons/addons/metrics-server/delete", url.Values{"confirm": {"metrics-server"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("remove: %d", resp.StatusCode)
	}
	out, err := admin().EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String("with-addons"), AddonName: aws.String("metrics-server")})
	if err == nil && out.Addon.Status != ekstypes.AddonStatusDeleting {
		t.Errorf("after remove: %s", out.Addon.Status)
	}
}
