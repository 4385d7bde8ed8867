package eksctl

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestCreateNodeGroupOnAClusterEksctlMade(t *testing.T) {
	f := newFakeAWS()
	var out bytes.Buffer
	m := testManager(f, &out, 3)
	ctx := context.Background()
	cfg := NewClusterConfig()
	cfg.Metadata.Name = "demo"
	cfg.ManagedNodeGroups = []*ManagedNodeGroup{{Name: "extra", AvailabilityZones: []string{"us-west-2b"}}}
	if err := m.CreateNodeGroups(ctx, cfg, false); err == nil || !strings.Contains(err.Error(), `cluster "demo" was not created by eksctl`) {
		t.Fatalf("without a cluster stack: %v", err)
	}
	if err := m.stacks().Deploy(ctx, ClusterStackName("demo"), newTemplate("x"), nil); err != nil {
		t.Fatal(err)
	}
	f.calls = nil
	if err := m.CreateNodeGroups(ctx, cfg, false); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	want := []string{"DescribeSubnets [subnet-1 subnet-2]", "CreateStack eksctl-demo-nodegroup-extra"}
	if !reflect.DeepEqual(f.calls, want) {
		t.Errorf("calls = %q", f.calls)
	}
	// The fake puts subnet-2 in us-west-2b: the group's zone picks it.
	if body := f.bodies["eksctl-demo-nodegroup-extra"]; !strings.Contains(body, `"Subnets":["subnet-2"]`) || !strings.Contains(body, `"InstanceTypes":["m5.large"]`) {
		t.Errorf("template: %s", body)
	}
	if !strings.Contains(out.String(), `[✔]  created 1 managed nodegroup(s) in cluster "demo"`) {
		t.Errorf("log:\n%s", out.String())
	}
}

func TestServiceAccountsNeedTheOIDCProvider(t *testing.T) {
	f := newFakeAWS()
	m := testManager(f, &bytes.Buffer{}, 3)
	ctx := context.Background()
	cfg := NewClusterConfig()
	cfg.Metadata.Name = "demo"
	cfg.IAM.ServiceAccounts = []*ClusterIAMServiceAcct{{Metadata: ObjectMeta{Name: "s3"}, AttachPolicyARNs: []string{"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}, RoleOnly: boolPtr(true)}}
	if err := m.CreateServiceAccounts(ctx, cfg); err == nil || !strings.Contains(err.Error(), "associate-iam-oidc-provider") {
		t.Fatalf("without OIDC: %v", err)
	}
	if err := m.AssociateOIDC(ctx, "demo", "us-west-2"); err != nil {
		t.Fatal(err)
	}
	if err := m.AssociateOIDC(ctx, "demo", "us-west-2"); err != nil {
		t.Fatal(err)
	}
	if err := m.CreateServiceAccounts(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	want := []string{"CreateOpenIDConnectProvider https://127.0.0.1:1/id/ABC [sts.amazonaws.com]", "CreateStack eksctl-demo-addon-iamserviceaccount-default-s3"}
	if !reflect.DeepEqual(f.calls, want) {
		t.Errorf("calls = %q", f.calls)
	}
	l, err := m.GetServiceAccounts(ctx, "demo", "", "")
	if err != nil || len(l.Rows) != 1 || strings.Join(l.Rows[0], " ") != "default s3 arn:aws:iam::1:role/sa" {
		t.Errorf("get iamserviceaccount = %+v, %v", l, err)
	}
	f.calls = nil
	if err := m.DeleteServiceAccount(ctx, "demo", "default", "s3", true); err != nil {
		t.Fatal(err)
	}
	if want := []string{"DeleteStack eksctl-demo-addon-iamserviceaccount-default-s3"}; !reflect.DeepEqual(f.calls, want) {
		t.Errorf("calls = %q", f.calls)
	}
}

func TestUpgradeAndLogging(t *testing.T) {
	f := newFakeAWS()
	var out bytes.Buffer
	m := testManager(f, &out, 3)
	ctx := context.Background()
	// The fake cluster runs 1.37, the newest keks offers.
	if err := m.UpgradeCluster(ctx, "demo", "", true); err == nil || !strings.Contains(err.Error(), "invalid version 1.38") {
		t.Errorf("upgrade past the newest: %v", err)
	}
	if err := m.UpgradeCluster(ctx, "demo", "1.37", true); err != nil || !strings.Contains(out.String(), "no cluster version update required") {
		t.Errorf("same version: %v", err)
	}
	if err := m.UpdateClusterLogging(ctx, "demo", "us-west-2", []string{"api"}, nil, false); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 0 {
		t.Errorf("changes without --approve: %q", f.calls)
	}
	if err := m.UpdateClusterLogging(ctx, "demo", "us-west-2", []string{"all"}, []string{"scheduler"}, true); err != nil {
		t.Fatal(err)
	}
	if want := []string{"UpdateClusterConfig logging [api audit authenticator controllerManager]"}; !reflect.DeepEqual(f.calls, want) {
		t.Errorf("calls = %q", f.calls)
	}
	if err := m.UpgradeNodeGroup(ctx, "demo", "ng", "", true); err != nil || f.calls[len(f.calls)-1] != "UpdateNodegroupVersion ng" {
		t.Errorf("upgrade nodegroup: %v %q", err, f.calls)
	}
}

func TestAddonWithAttachedPoliciesGetsARoleStack(t *testing.T) {
	f := newFakeAWS()
	m := testManager(f, &bytes.Buffer{}, 3)
	ctx := context.Background()
	cfg := NewClusterConfig()
	cfg.Metadata.Name = "demo"
	cfg.Addons = []*Addon{{Name: "vpc-cni", AttachPolicyARNs: []string{"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"}}}
	if err := m.CreateAddons(ctx, cfg, true); err == nil || !strings.Contains(err.Error(), "need an IAM OIDC provider") {
		t.Fatalf("without OIDC: %v", err)
	}
	if err := m.AssociateOIDC(ctx, "demo", "us-west-2"); err != nil {
		t.Fatal(err)
	}
	f.calls = nil
	if err := m.CreateAddons(ctx, cfg, true); err != nil {
		t.Fatal(err)
	}
	if want := []string{"CreateStack eksctl-demo-addon-vpc-cni", "CreateAddon vpc-cni"}; !reflect.DeepEqual(f.calls, want) {
		t.Errorf("calls = %q", f.calls)
	}
	if body := f.bodies["eksctl-demo-addon-vpc-cni"]; !strings.Contains(body, `"system:serviceaccount:kube-system:aws-node"`) {
		t.Errorf("role trust: %s", body)
	}
	f.calls = nil
	if err := m.DeleteAddon(ctx, "demo", "vpc-cni", true); err != nil {
		t.Fatal(err)
	}
	if want := []string{"DeleteAddon vpc-cni", "DeleteStack eksctl-demo-addon-vpc-cni"}; !reflect.DeepEqual(f.calls, want) {
		t.Errorf("calls = %q", f.calls)
	}
	cfg.Addons = []*Addon{{Name: "mystery", AttachPolicyARNs: []string{"arn:aws:iam::aws:policy/x"}}}
	if err := m.CreateAddons(ctx, cfg, true); err == nil || !strings.Contains(err.Error(), "set serviceAccountRoleARN") {
		t.Errorf("unknown add-on: %v", err)
	}
}
