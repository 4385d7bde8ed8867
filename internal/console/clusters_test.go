package console_test

import (
	"net/http"
	"strings"
	"testing"

	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

// The status badge polls while the cluster changes; once its status is
// another than the page shows, the answer is the whole page's main part,
// rendered afresh, for htmx to swap in without a reload.
func TestClusterStatusRefreshesThePage(t *testing.T) {
	makeCluster(t, "status-poll", ekstypes.AuthenticationModeApi)
	b := signedInAsAdmin(t)
	_, body := b.get("/console/clusters/status-poll/compute")
	if !strings.Contains(body, `/console/clusters/status-poll/status?was=CREATING&amp;tab=compute`) {
		t.Fatalf("a CREATING cluster's badge does not poll: %s", body)
	}
	resp, body := b.getHTMX("/console/clusters/status-poll/status?was=CREATING&tab=compute")
	if resp.Header.Get("HX-Retarget") != "" || !strings.HasPrefix(body, `<span id="cluster-status"`) {
		t.Errorf("unchanged status: %s %s", resp.Header, body)
	}
	resp, body = b.getHTMX("/console/clusters/status-poll/status?was=ACTIVE&tab=compute")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("HX-Retarget") != "main" || !strings.Contains(body, `id="add-nodegroup"`) {
		t.Errorf("changed status: %d %v %.400s", resp.StatusCode, resp.Header, body)
	}
	if _, body := b.getHTMX("/console/clusters/status-poll/status?was=ACTIVE&tab=nosuch"); !strings.Contains(body, "API server endpoint") {
		t.Errorf("an unknown tab is not the Overview: %.300s", body)
	}
}
