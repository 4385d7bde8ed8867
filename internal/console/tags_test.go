package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

func TestManageTags(t *testing.T) {
	makeCluster(t, "tagged", ekstypes.AuthenticationModeApi)
	b := signedInAsAdmin(t)
	if resp := b.post("/console/clusters/tagged/tags/manage", url.Values{"tags": {"a=1\nb=2"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add tags: %d", resp.StatusCode)
	}
	if k := describe(t, "tagged"); k.Tags["a"] != "1" || k.Tags["b"] != "2" {
		t.Fatalf("tags: %v", k.Tags)
	}
	if resp := b.post("/console/clusters/tagged/tags/manage", url.Values{"tags": {"b=3\nc="}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change tags: %d", resp.StatusCode)
	}
	if k := describe(t, "tagged"); len(k.Tags) != 2 || k.Tags["b"] != "3" || k.Tags["c"] != "" {
		t.Fatalf("tags after a change: %v", k.Tags)
	}
	if _, body := b.get("/console/clusters/tagged/tags"); !strings.Contains(body, "<th>b</th><td>3</td>") {
		t.Errorf("tags tab: %s", body)
	}
	// EKS's own validation, the input kept.
	form := url.Values{"tags": {"aws:reserved=x"}, "csrf": {b.csrf}}
	req, _ := http.NewRequest(http.MethodPost, testServer.models.Endpoint+"/console/clusters/tagged/tags/manage", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, body := b.do(req); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "reserved") || !strings.Contains(body, "aws:reserved=x") {
		t.Errorf("reserved tag: %d %s", resp.StatusCode, body)
	}
}
