package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// creatingCluster makes a cluster that stays CREATING (no reconcilers).
func creatingCluster(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	api := admin()
	role, err := api.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name + "-role"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	subnets, err := api.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("default-for-az"), Values: []string{"true"}}}})
	if err != nil || len(subnets.Subnets) < 2 {
		t.Fatalf("default subnets: %v %d", err, len(subnets.Subnets))
	}
	ids := []string{aws.ToString(subnets.Subnets[0].SubnetId), aws.ToString(subnets.Subnets[1].SubnetId)}
	if _, err := api.EKS.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String(name), RoleArn: role.Role.Arn,
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: ids}}); err != nil {
		t.Fatal(err)
	}
}

// A cluster that is not ACTIVE says so in the tab, the object page and
// the logs, and the side list is there; bad input is refused before any
// call, never a 500.
func TestResourcesTabClusterNotActive(t *testing.T) {
	creatingCluster(t, "res-creating")
	b := signedInAsAdmin(t)
	resp, body := b.get("/console/clusters/res-creating/resources")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "ClusterNotActive") ||
		!strings.Contains(body, "Cluster res-creating is CREATING: its Kubernetes resources can be viewed once it is ACTIVE.") ||
		!strings.Contains(body, `id="kind-pods"`) || !strings.Contains(body, `id="kind-customresourcedefinitions"`) || !strings.Contains(body, "Service and networking") {
		t.Errorf("tab: %d %s", resp.StatusCode, body)
	}
	resp, body = b.get("/console/clusters/res-creating/resources/deployments?namespace=kube-system&q=core")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "ClusterNotActive") || !strings.Contains(body, `id="kind-deployments" class="current"`) || !strings.Contains(body, `value="core"`) {
		t.Errorf("deployments: %d %s", resp.StatusCode, body)
	}
	resp, body = b.get("/console/clusters/res-creating/resources/pods/default/web-1")
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "is CREATING") {
		t.Errorf("object page: %d %s", resp.StatusCode, body)
	}
	resp, body = b.get("/console/clusters/res-creating/logs/default/deployments/web")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "is CREATING") || !strings.Contains(body, `id="log-options"`) {
		t.Errorf("logs page: %d %s", resp.StatusCode, body)
	}
	for path, want := range map[string]int{
		"/console/clusters/res-creating/resources/widgets":                       http.StatusNotFound,
		"/console/clusters/res-creating/resources/widgets/default/x":             http.StatusNotFound,
		"/console/clusters/res-creating/resources/pods?namespace=Bad_NS":         http.StatusOK, // shown in the tab
		"/console/clusters/res-creating/resources/pods/Bad_NS/x":                 http.StatusBadRequest,
		"/console/clusters/res-creating/resources/pods/default/a%20b":            http.StatusBadRequest,
		"/console/clusters/res-creating/resources/nodes/default/n1":              http.StatusBadRequest,
		"/console/clusters/res-creating/logs/default/pods/p?tail=-5":             http.StatusBadRequest,
		"/console/clusters/res-creating/logs/default/pods/p?tail=abc":            http.StatusBadRequest,
		"/console/clusters/res-creating/logs/default/configmaps/p":               http.StatusNotFound,
		"/console/clusters/res-creating/logs/default/pods/p?container=A%2F..":    http.StatusBadRequest,
		"/console/clusters/no-such/resources/pods/default/x":                     http.StatusNotFound,
		"/console/clusters/res-creating/resources/widgets.example.com/default/x": http.StatusConflict, // a custom kind: known once the cluster is
		"/console/clusters/res-creating/logs/default/widgets.example.com/x":      http.StatusNotFound,
	} {
		resp, body := b.get(path)
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d: %s", path, resp.StatusCode, want, body)
		}
	}
	if _, body := b.get("/console/clusters/res-creating/resources/pods?namespace=Bad_NS"); !strings.Contains(body, "ValidationException") {
		t.Errorf("bad namespace not explained: %s", body)
	}
	// The tab is among the cluster's tabs.
	if _, body := b.get("/console/clusters/res-creating"); !strings.Contains(body, `id="tab-resources"`) {
		t.Errorf("no Resources tab: %s", body)
	}
}
