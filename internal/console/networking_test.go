package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

func TestManageEndpointAccess(t *testing.T) {
	makeCluster(t, "endpoints", ekstypes.AuthenticationModeApi)
	b := signedInAsAdmin(t)
	_, body := b.get("/console/clusters/endpoints/networking")
	if !strings.Contains(body, "Service IPv4 range") || !strings.Contains(body, "0.0.0.0/0") {
		t.Errorf("networking tab: %s", body)
	}
	if resp := b.post("/console/clusters/endpoints/networking/endpoint", url.Values{"access": {"both"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("while CREATING: %d", resp.StatusCode)
	}
	activate(t, "endpoints")
	form := url.Values{"access": {"both"}, "cidrs": {"not-a-cidr"}, "csrf": {b.csrf}}
	req, _ := http.NewRequest(http.MethodPost, testServer.models.Endpoint+"/console/clusters/endpoints/networking/endpoint", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, body := b.do(req); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "not-a-cidr") || !strings.Contains(body, "InvalidParameterException") {
		t.Errorf("bad CIDR: %d %s", resp.StatusCode, body)
	}
	resp := b.post("/console/clusters/endpoints/networking/endpoint", url.Values{"access": {"both"}, "cidrs": {"203.0.113.0/24\n198.51.100.0/24"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("update: %d", resp.StatusCode)
	}
	v := describe(t, "endpoints").ResourcesVpcConfig
	if !v.EndpointPrivateAccess || !v.EndpointPublicAccess || strings.Join(v.PublicAccessCidrs, ",") != "203.0.113.0/24,198.51.100.0/24" {
		t.Errorf("endpoint access: %+v", v)
	}
	if _, body := b.get("/console/clusters/endpoints/updates"); !strings.Contains(body, "EndpointAccessUpdate") {
		t.Errorf("update history: %s", body)
	}
}
