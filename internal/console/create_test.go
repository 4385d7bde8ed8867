package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	ekskeks "github.com/keksdev/keks/internal/eks"
)

// configFixture is what clusters need: a role EKS may assume and the
// default VPC's subnets.
var configFixture struct {
	once    sync.Once
	role    string
	subnets []string
	err     error
}

func clusterPrereqs(t *testing.T) (role string, subnets []string) {
	t.Helper()
	f := &configFixture
	f.once.Do(func() {
		ctx := context.Background()
		out, err := admin().IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("console-config-cluster-role"),
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
		if err != nil {
			f.err = err
			return
		}
		f.role = aws.ToString(out.Role.Arn)
		sn, err := admin().EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("default-for-az"), Values: []string{"true"}}}})
		if err != nil || len(sn.Subnets) == 0 {
			sn, err = admin().EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
		}
		if err != nil {
			f.err = err
			return
		}
		vpc := ""
		for _, s := range sn.Subnets {
			if vpc == "" {
				vpc = aws.ToString(s.VpcId)
			}
			if aws.ToString(s.VpcId) == vpc {
				f.subnets = append(f.subnets, aws.ToString(s.SubnetId))
			}
		}
	})
	if f.err != nil {
		t.Fatal(f.err)
	}
	return f.role, f.subnets
}

// makeCluster creates a cluster with the admin's API (it stays CREATING).
func makeCluster(t *testing.T, name string, mode ekstypes.AuthenticationMode, version ...string) *ekstypes.Cluster {
	t.Helper()
	role, subnets := clusterPrereqs(t)
	var v *string
	if len(version) > 0 {
		v = aws.String(version[0])
	}
	out, err := admin().EKS.CreateCluster(context.Background(), &eks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String(role), Version: v,
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: subnets}, AccessConfig: &ekstypes.CreateAccessConfigRequest{AuthenticationMode: mode}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Cluster
}

// activate marks a cluster ACTIVE, as the control-plane reconciler
// would once it runs (the tests have none).
func activate(t *testing.T, name string) {
	t.Helper()
	if _, err := testServer.models.EKS.SetStatus(context.Background(), "us-east-1", name, func(c *ekskeks.Cluster) error {
		c.Status.Phase = ekskeks.StatusActive
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func describe(t *testing.T, name string) *ekstypes.Cluster {
	t.Helper()
	out, err := admin().EKS.DescribeCluster(context.Background(), &eks.DescribeClusterInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Cluster
}

func TestCreateClusterForm(t *testing.T) {
	role, subnets := clusterPrereqs(t)
	b := signedInAsAdmin(t)
	resp, body := b.get("/console/clusters/create")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("create page: %d %s", resp.StatusCode, body)
	}
	for _, want := range []string{`id="cluster-name"`, `id="cluster-version"`, `id="cluster-role"`, `id="submit"`, role, `value="` + subnets[0] + `"`, "(default)", `<option value="tier-4xl">4XL</option>`} {
		if !strings.Contains(body, want) {
			t.Errorf("create page lacks %q", want)
		}
	}
	// The VPC's subnets as htmx asks for them.
	if resp, body := b.getHTMX("/console/clusters/create?network&vpc=nonexistent"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="network"`) {
		t.Errorf("network fragment: %d %s", resp.StatusCode, body)
	}

	form := url.Values{"name": {"console-made"}, "role": {role}, "subnets": subnets, "endpoint": {"both"}, "authmode": {"API"},
		"tier": {"tier-xl"}, "logging": {"api", "audit"}, "tags": {"team=blue\nenv = test\n"}}
	resp = b.post("/console/clusters/create", form)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/clusters/console-made?flash=") {
		t.Fatalf("create: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	k := describe(t, "console-made")
	if k.Tags["team"] != "blue" || k.Tags["env"] != "test" || k.AccessConfig.AuthenticationMode != ekstypes.AuthenticationModeApi ||
		!k.ResourcesVpcConfig.EndpointPrivateAccess || !k.ResourcesVpcConfig.EndpointPublicAccess || k.ControlPlaneScalingConfig.Tier != ekstypes.ProvisionedControlPlaneTierTierXl {
		t.Errorf("created cluster: %+v", k)
	}
	if resp, body := b.get("/console/clusters/console-made"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `hx-trigger="every 2s"`) {
		t.Errorf("new cluster's page does not poll its status: %d", resp.StatusCode)
	}
}

func TestCreateClusterFormErrors(t *testing.T) {
	role, subnets := clusterPrereqs(t)
	b := signedInAsAdmin(t)
	for _, tc := range []struct {
		name       string
		form       url.Values
		status     int
		want, kept string
	}{
		{"bad name", url.Values{"name": {"-bad name"}, "role": {role}, "subnets": subnets}, http.StatusBadRequest, "failed to satisfy constraint", `value="-bad name"`},
		{"bad tags", url.Values{"name": {"tagless"}, "role": {role}, "subnets": subnets, "tags": {"novalue"}}, http.StatusBadRequest, "key=value", `value="tagless"`},
		{"no subnets", url.Values{"name": {"nosubnets"}, "role": {role}}, http.StatusBadRequest, "InvalidParameterException", `value="nosubnets"`},
		{"bad endpoint", url.Values{"name": {"badendpoint"}, "role": {role}, "subnets": subnets, "endpoint": {"sideways"}}, http.StatusBadRequest, "Endpoint access", `value="badendpoint"`},
		{"unknown role", url.Values{"name": {"norole"}, "role": {"arn:aws:iam::000000000000:role/nope"}, "subnets": subnets, "kmskey": {"kms-key-kept"}}, http.StatusBadRequest, "could not be assumed", "kms-key-kept"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, testServer.models.Endpoint+"/console/clusters/create", strings.NewReader(withCSRF(b, tc.form).Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, body := b.do(req)
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) || !strings.Contains(body, tc.kept) {
				t.Errorf("%d, want %d with %q and %q: %s", resp.StatusCode, tc.status, tc.want, tc.kept, body)
			}
		})
	}
}

func withCSRF(b *browser, form url.Values) url.Values {
	form.Set("csrf", b.csrf)
	return form
}
