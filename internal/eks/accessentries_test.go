package eks

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/store/storetest"
)

// entryFixture is an EKS model over a store of its own, with the IAM
// principals and the network the tests' clusters use.
type entryFixture struct {
	s                               *Service
	account                         string
	clusterRole, admin, node, alice string // ARNs; admin has a path
	subnets                         []string
	now                             time.Time
}

const testRegion = "us-east-1"

func newEntryFixture(t *testing.T) *entryFixture {
	t.Helper()
	st := storetest.Open(t)
	ctx := context.Background()
	f := &entryFixture{now: time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return f.now }
	ids := &iam.Service{Store: st, Now: clock}
	f.s = &Service{Store: st, IAM: ids, EC2: &ec2.Service{Store: st}, Now: clock}
	acct, err := ids.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.account = acct.ID
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	for _, r := range []struct {
		name, path string
		arn        *string
	}{{"cluster-role", "", &f.clusterRole}, {"admin", "/team/", &f.admin}, {"node-role", "", &f.node}} {
		role, err := ids.CreateRole(ctx, iam.Role{Name: r.name, Path: r.path, AssumeRolePolicy: trust})
		if err != nil {
			t.Fatal(err)
		}
		*r.arn = role.ARN
	}
	u, err := ids.CreateUser(ctx, "alice", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	f.alice = u.ARN
	vpc, err := f.s.EC2.CreateVPC(ctx, testRegion, f.account, "10.0.0.0/16", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, zone := range []string{"a", "b"} {
		sn, err := f.s.EC2.CreateSubnet(ctx, ec2.Subnet{VPCID: vpc.ID, CIDR: "10.0." + string(rune('1'+i)) + ".0/24", AvailabilityZone: testRegion + zone})
		if err != nil {
			t.Fatal(err)
		}
		f.subnets = append(f.subnets, sn.ID)
	}
	return f
}

// cluster creates a cluster as caller, in the given mode, and marks it
// ACTIVE as the control plane would.
func (f *entryFixture) cluster(t *testing.T, name, mode string, bootstrap bool, caller string) *Cluster {
	t.Helper()
	ctx := context.Background()
	_, err := f.s.CreateCluster(ctx, CreateClusterInput{Name: name, RoleARN: f.clusterRole, SubnetIDs: f.subnets,
		AuthenticationMode: mode, BootstrapCreatorAdmin: &bootstrap, Region: testRegion, Account: f.account, CallerARN: caller})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.s.SetStatus(ctx, testRegion, name, func(c *Cluster) error { c.Status.Phase = StatusActive; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *entryFixture) entries(t *testing.T, c *Cluster) map[string]AccessEntry {
	t.Helper()
	all, err := f.s.AccessEntries(context.Background(), c.UID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]AccessEntry{}
	for _, e := range all {
		out[e.PrincipalARN] = e
	}
	return out
}

func wantCode(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	if codeOf(err) != code || !strings.Contains(err.Error(), msg) {
		t.Errorf("%s: got %v, want %s containing %q", what, err, code, msg)
	}
}

func TestClusterCreatorGetsAdminEntry(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	// The creator calls as a session of the admin role; the entry names
	// the role by its full ARN, path and all, as EKS does.
	session := "arn:aws:sts::" + f.account + ":assumed-role/admin/me"
	c := f.cluster(t, "api", AuthModeAPI, true, session)
	got := f.entries(t, c)
	e, ok := got[f.admin]
	if len(got) != 1 || !ok {
		t.Fatalf("entries %v, want the creator's %s", got, f.admin)
	}
	if e.Type != AccessEntryStandard || e.Username != "arn:aws:sts::"+f.account+":assumed-role/admin/{{SessionName}}" ||
		len(e.Policies) != 1 || e.Policies[0].PolicyARN != ClusterAdminPolicyARN || e.Policies[0].ScopeType != AccessScopeCluster {
		t.Errorf("creator entry %+v", e)
	}
	if want := "arn:aws:eks:us-east-1:" + f.account + ":access-entry/api/role/" + f.account + "/admin/"; !strings.HasPrefix(e.ARN, want) {
		t.Errorf("ARN %s, want %s<uuid>", e.ARN, want)
	}
	if e.CanonicalPrincipalARN() != c.Spec.CreatorARN {
		t.Errorf("canonical %s, creator %s", e.CanonicalPrincipalARN(), c.Spec.CreatorARN)
	}
	// Without bootstrap, or in CONFIG_MAP mode, nobody gets an entry.
	if n := len(f.entries(t, f.cluster(t, "nobootstrap", AuthModeAPIAndConfigMap, false, f.alice))); n != 0 {
		t.Errorf("bootstrap off: %d entries", n)
	}
	cm := f.cluster(t, "configmap", AuthModeConfigMap, true, f.alice)
	if n := len(f.entries(t, cm)); n != 0 {
		t.Errorf("CONFIG_MAP: %d entries", n)
	}
	_, _, err := f.s.ListAccessEntries(ctx, testRegion, "configmap", "", 0, "")
	wantCode(t, "list in CONFIG_MAP", err, CodeInvalidRequest, "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.")
	no := false
	_, err = f.s.CreateCluster(ctx, CreateClusterInput{Name: "locked-out", RoleARN: f.clusterRole, SubnetIDs: f.subnets,
		BootstrapCreatorAdmin: &no, Region: testRegion, Account: f.account, CallerARN: f.alice})
	wantCode(t, "CONFIG_MAP without bootstrap", err, CodeInvalidParameter, "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP")
}

func TestAccessEntryLifecycle(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	c := f.cluster(t, "life", AuthModeAPIAndConfigMap, false, f.alice)
	in := CreateAccessEntryInput{Region: testRegion, ClusterName: "life", PrincipalARN: f.admin, Tags: map[string]string{"team": "a"}, ClientRequestToken: "t1"}
	e, err := f.s.CreateAccessEntry(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if e.Type != AccessEntryStandard || e.Username != "arn:aws:sts::"+f.account+":assumed-role/admin/{{SessionName}}" || e.Tags["team"] != "a" || e.ClusterName != "life" {
		t.Errorf("created %+v", e)
	}
	again, err := f.s.CreateAccessEntry(ctx, in)
	if err != nil || again.ARN != e.ARN {
		t.Errorf("retry with the same token: %v, %+v", err, again)
	}
	in.ClientRequestToken = "t2"
	in.Type = AccessEntryEC2Linux
	_, err = f.s.CreateAccessEntry(ctx, in)
	wantCode(t, "second entry of a principal", err, CodeResourceInUse, "The specified access entry resource is already in use on this cluster.")

	// Update: groups and a user name of our own; nil leaves a field be.
	groups, name := []string{"viewers"}, "ops:{{SessionName}}"
	f.now = f.now.Add(time.Minute)
	u, err := f.s.UpdateAccessEntry(ctx, UpdateAccessEntryInput{Region: testRegion, ClusterName: "life", PrincipalARN: f.admin, KubernetesGroups: &groups, Username: &name})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(u.KubernetesGroups, groups) || u.Username != name || !u.ModifiedAt.After(u.CreatedAt) {
		t.Errorf("updated %+v", u)
	}
	u, err = f.s.UpdateAccessEntry(ctx, UpdateAccessEntryInput{Region: testRegion, ClusterName: "life", PrincipalARN: f.admin, KubernetesGroups: &[]string{}})
	if err != nil || len(u.KubernetesGroups) != 0 || u.Username != name {
		t.Errorf("clearing groups: %v %+v", err, u)
	}
	bad := "system:admin"
	_, err = f.s.UpdateAccessEntry(ctx, UpdateAccessEntryInput{Region: testRegion, ClusterName: "life", PrincipalARN: f.admin, Username: &bad})
	wantCode(t, "reserved user name", err, CodeInvalidParameter, "The username must not begin with system:")
	_, err = f.s.UpdateAccessEntry(ctx, UpdateAccessEntryInput{Region: testRegion, ClusterName: "life", PrincipalARN: f.admin, Type: AccessEntryEC2Linux})
	wantCode(t, "type change", err, CodeInvalidParameter, "can not be changed")

	// Policies: associate, re-associate with another scope, filter, disassociate.
	view := "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
	f.now = f.now.Add(time.Minute)
	p, err := f.s.AssociateAccessPolicy(ctx, AssociateAccessPolicyInput{Region: testRegion, ClusterName: "life", PrincipalARN: f.admin, PolicyARN: view, ScopeType: AccessScopeCluster})
	if err != nil {
		t.Fatal(err)
	}
	associated := p.AssociatedAt
	f.now = f.now.Add(time.Minute)
	p, err = f.s.AssociateAccessPolicy(ctx, AssociateAccessPolicyInput{Region: testRegion, ClusterName: "life", PrincipalARN: f.admin, PolicyARN: view,
		ScopeType: AccessScopeNamespace, Namespaces: []string{"dev-*", "default"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.ScopeType != AccessScopeNamespace || !slices.Equal(p.Namespaces, []string{"dev-*", "default"}) || !p.AssociatedAt.Equal(associated) || !p.ModifiedAt.After(associated) {
		t.Errorf("re-associated %+v", p)
	}
	_, err = f.s.AssociateAccessPolicy(ctx, AssociateAccessPolicyInput{Region: testRegion, ClusterName: "life", PrincipalARN: f.admin,
		PolicyARN: "arn:aws:eks::aws:cluster-access-policy/NoSuchPolicy", ScopeType: AccessScopeCluster})
	wantCode(t, "unknown policy", err, CodeInvalidParameter, "not a valid access policy")
	_, err = f.s.AssociateAccessPolicy(ctx, AssociateAccessPolicyInput{Region: testRegion, ClusterName: "life", PrincipalARN: f.alice, PolicyARN: view, ScopeType: AccessScopeCluster})
	wantCode(t, "associate to no entry", err, CodeResourceNotFound, "The specified principalArn could not be found.")
	if _, err := f.s.CreateAccessEntry(ctx, CreateAccessEntryInput{Region: testRegion, ClusterName: "life", PrincipalARN: f.alice}); err != nil {
		t.Fatal(err)
	}
	arns, _, err := f.s.ListAccessEntries(ctx, testRegion, "life", view, 0, "")
	if err != nil || !slices.Equal(arns, []string{f.admin}) {
		t.Errorf("entries with the view policy: %v %v", arns, err)
	}
	arns, next, err := f.s.ListAccessEntries(ctx, testRegion, "life", "", 1, "")
	if err != nil || len(arns) != 1 || next == "" {
		t.Fatalf("first page: %v %q %v", arns, next, err)
	}
	rest, next, err := f.s.ListAccessEntries(ctx, testRegion, "life", "", 1, next)
	if err != nil || len(rest) != 1 || next != "" || rest[0] == arns[0] {
		t.Errorf("second page: %v %q %v", rest, next, err)
	}
	list, _, err := f.s.ListAssociatedAccessPolicies(ctx, testRegion, "life", f.admin, 0, "")
	if err != nil || len(list) != 1 || list[0].PolicyARN != view {
		t.Errorf("associated: %v %v", list, err)
	}
	// The in-cluster view has every entry with its policies.
	got := f.entries(t, c)
	if len(got) != 2 || len(got[f.admin].Policies) != 1 || got[f.admin].Policies[0].Namespaces[0] != "dev-*" {
		t.Errorf("AccessEntries: %+v", got)
	}
	err = f.s.DisassociateAccessPolicy(ctx, testRegion, "life", f.admin, view)
	if err != nil {
		t.Fatal(err)
	}
	err = f.s.DisassociateAccessPolicy(ctx, testRegion, "life", f.admin, view)
	wantCode(t, "disassociate twice", err, CodeResourceNotFound, "not associated")

	if err := f.s.DeleteAccessEntry(ctx, testRegion, "life", f.admin); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.GetAccessEntry(ctx, testRegion, "life", f.admin)
	wantCode(t, "describe deleted", err, CodeResourceNotFound, "could not be found")
	wantCode(t, "delete deleted", f.s.DeleteAccessEntry(ctx, testRegion, "life", f.admin), CodeResourceNotFound, "could not be found")
	_, err = f.s.GetAccessEntry(ctx, testRegion, "nope", f.admin)
	wantCode(t, "no cluster", err, CodeResourceNotFound, "No cluster found for name: nope.")
}

func TestCreateAccessEntryRules(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	f.cluster(t, "rules", AuthModeAPI, false, f.alice)
	other := "arn:aws:iam::999988887777:role/elsewhere"
	cases := []struct {
		name string
		in   CreateAccessEntryInput
		msg  string
	}{
		{"session", CreateAccessEntryInput{PrincipalARN: "arn:aws:sts::" + f.account + ":assumed-role/admin/me"}, "The principalArn parameter format is not valid"},
		{"service-linked", CreateAccessEntryInput{PrincipalARN: "arn:aws:iam::" + f.account + ":role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS"}, "Service Linked Role"},
		{"missing role", CreateAccessEntryInput{PrincipalARN: "arn:aws:iam::" + f.account + ":role/ghost"}, "The specified principalArn is invalid: invalid principal."},
		{"role without its path", CreateAccessEntryInput{PrincipalARN: "arn:aws:iam::" + f.account + ":role/admin"}, "invalid principal"},
		{"unknown type", CreateAccessEntryInput{PrincipalARN: f.node, Type: "EC2_MAC"}, "not valid"},
		{"node user", CreateAccessEntryInput{PrincipalARN: f.alice, Type: AccessEntryEC2Linux}, "must be an IAM role in the cluster's account"},
		{"node of another account", CreateAccessEntryInput{PrincipalARN: other, Type: AccessEntryFargateLinux}, "must be an IAM role in the cluster's account"},
		{"node groups", CreateAccessEntryInput{PrincipalARN: f.node, Type: AccessEntryEC2Linux, KubernetesGroups: []string{"ops"}}, "kubernetesGroups can not be specified"},
		{"node user name", CreateAccessEntryInput{PrincipalARN: f.node, Type: AccessEntryHybridLinux, Username: "me:{{SessionName}}"}, "username can not be specified"},
		{"system group", CreateAccessEntryInput{PrincipalARN: f.node, KubernetesGroups: []string{"system:masters"}}, "cannot start with system:"},
		{"reserved user name", CreateAccessEntryInput{PrincipalARN: f.node, Username: "eks:me"}, "The username must not begin with eks:"},
		{"session without colon", CreateAccessEntryInput{PrincipalARN: f.node, Username: "me{{SessionName}}"}, "a colon must come before"},
		{"reserved tag", CreateAccessEntryInput{PrincipalARN: f.node, Tags: map[string]string{"aws:x": "y"}}, "aws:"},
		{"no principal", CreateAccessEntryInput{}, "principalArn is required"},
	}
	for _, tc := range cases {
		tc.in.Region, tc.in.ClusterName = testRegion, "rules"
		_, err := f.s.CreateAccessEntry(ctx, tc.in)
		wantCode(t, tc.name, err, CodeInvalidParameter, tc.msg)
	}
	if n := len(f.entries(t, &Cluster{UID: mustCluster(t, f, "rules").UID})); n != 0 {
		t.Fatalf("refused creates left %d entries", n)
	}
	// Another account's principal is taken for STANDARD: keks cannot look it up.
	if _, err := f.s.CreateAccessEntry(ctx, CreateAccessEntryInput{Region: testRegion, ClusterName: "rules", PrincipalARN: other}); err != nil {
		t.Errorf("STANDARD of another account: %v", err)
	}
	// A node entry has EKS's user name and groups; access policies are not for it.
	e, err := f.s.CreateAccessEntry(ctx, CreateAccessEntryInput{Region: testRegion, ClusterName: "rules", PrincipalARN: f.node, Type: AccessEntryEC2Linux})
	if err != nil {
		t.Fatal(err)
	}
	if e.Username != "system:node:{{EC2PrivateDNSName}}" || !slices.Equal(e.KubernetesGroups, []string{"system:nodes"}) {
		t.Errorf("node entry %+v", e)
	}
	_, err = f.s.AssociateAccessPolicy(ctx, AssociateAccessPolicyInput{Region: testRegion, ClusterName: "rules", PrincipalARN: f.node,
		PolicyARN: ClusterAdminPolicyARN, ScopeType: AccessScopeCluster})
	wantCode(t, "policy on a node entry", err, CodeInvalidParameter, `This operation can only be performed on Access Entries with a type of "STANDARD".`)
	_, _, err = f.s.ListAssociatedAccessPolicies(ctx, testRegion, "rules", f.node, 0, "")
	wantCode(t, "list policies of a node entry", err, CodeInvalidParameter, `type of "STANDARD"`)
	none := []string{}
	_, err = f.s.UpdateAccessEntry(ctx, UpdateAccessEntryInput{Region: testRegion, ClusterName: "rules", PrincipalARN: f.node, KubernetesGroups: &none})
	wantCode(t, "node groups removed", err, CodeInvalidParameter, `type of "STANDARD"`)
	same := []string{"system:nodes"}
	if _, err := f.s.UpdateAccessEntry(ctx, UpdateAccessEntryInput{Region: testRegion, ClusterName: "rules", PrincipalARN: f.node, KubernetesGroups: &same}); err != nil {
		t.Errorf("node entry sent back as it is: %v", err)
	}
	_, err = f.s.AssociateAccessPolicy(ctx, AssociateAccessPolicyInput{Region: testRegion, ClusterName: "rules", PrincipalARN: other,
		PolicyARN: ClusterAdminPolicyARN, ScopeType: AccessScopeCluster, Namespaces: []string{"default"}})
	wantCode(t, "cluster scope with namespaces", err, CodeInvalidParameter, "Namespaces can not be specified")
	_, err = f.s.AssociateAccessPolicy(ctx, AssociateAccessPolicyInput{Region: testRegion, ClusterName: "rules", PrincipalARN: other,
		PolicyARN: ClusterAdminPolicyARN, ScopeType: AccessScopeNamespace})
	wantCode(t, "namespace scope without namespaces", err, CodeInvalidParameter, "At least one namespace")
}

func mustCluster(t *testing.T, f *entryFixture, name string) *Cluster {
	t.Helper()
	c, err := f.s.GetCluster(context.Background(), testRegion, name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestModeChangeMakesCreatorAndNodeRoleEntries(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	c := f.cluster(t, "moving", AuthModeConfigMap, true, f.alice)
	if _, err := f.s.CreateNodegroup(ctx, CreateNodegroupInput{ClusterName: "moving", Name: "ng", Region: testRegion, Account: f.account, Subnets: f.subnets, NodeRole: f.node}); err != nil {
		t.Fatal(err)
	}
	if n := len(f.entries(t, c)); n != 0 {
		t.Fatalf("a node group in CONFIG_MAP mode made %d entries", n)
	}
	_, err := f.s.UpdateClusterConfig(ctx, UpdateClusterConfigInput{Name: "moving", Region: testRegion, AuthenticationMode: AuthModeAPI})
	wantCode(t, "straight to API", err, CodeInvalidParameter, "Unsupported authentication mode update from CONFIG_MAP to API")
	u, err := f.s.UpdateClusterConfig(ctx, UpdateClusterConfigInput{Name: "moving", Region: testRegion, AuthenticationMode: AuthModeAPIAndConfigMap})
	if err != nil {
		t.Fatal(err)
	}
	if u.Type != "AccessConfigUpdate" || u.Status != UpdateInProgress || u.Params[0].Value != `"API_AND_CONFIG_MAP"` {
		t.Errorf("update %+v", u)
	}
	got := f.entries(t, c)
	if len(got) != 2 || got[f.alice].Policies[0].PolicyARN != ClusterAdminPolicyARN || got[f.node].Type != AccessEntryEC2Linux {
		t.Fatalf("entries after the move: %+v", got)
	}
	if cur := mustCluster(t, f, "moving"); cur.Spec.AuthenticationMode != AuthModeAPIAndConfigMap || cur.Status.Phase != StatusUpdating {
		t.Errorf("cluster %s %s", cur.Spec.AuthenticationMode, cur.Status.Phase)
	}
	// The control plane finishes the update; API comes next, with no new entries.
	if err := f.s.FinishUpdate(ctx, *u, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.SetStatus(ctx, testRegion, "moving", func(c *Cluster) error { c.Status.Phase = StatusActive; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := f.s.DeleteAccessEntry(ctx, testRegion, "moving", f.alice); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.UpdateClusterConfig(ctx, UpdateClusterConfigInput{Name: "moving", Region: testRegion, AuthenticationMode: AuthModeAPI}); err != nil {
		t.Fatal(err)
	}
	if got := f.entries(t, c); len(got) != 1 {
		t.Errorf("API_AND_CONFIG_MAP -> API made entries again: %+v", got)
	}
}

func TestNodegroupBringsItsRoleEntry(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	c := f.cluster(t, "ngs", AuthModeAPI, false, f.alice)
	if _, err := f.s.CreateNodegroup(ctx, CreateNodegroupInput{ClusterName: "ngs", Name: "ng1", Region: testRegion, Account: f.account, Subnets: f.subnets, NodeRole: f.node}); err != nil {
		t.Fatal(err)
	}
	e, ok := f.entries(t, c)[f.node]
	if !ok || e.Type != AccessEntryEC2Linux || e.Username != "system:node:{{EC2PrivateDNSName}}" {
		t.Fatalf("node role entry %+v", e)
	}
	// A second group of the same role leaves the entry as it is.
	if _, err := f.s.CreateNodegroup(ctx, CreateNodegroupInput{ClusterName: "ngs", Name: "ng2", Region: testRegion, Account: f.account, Subnets: f.subnets, NodeRole: f.node}); err != nil {
		t.Fatal(err)
	}
	if again := f.entries(t, c)[f.node]; again.ARN != e.ARN {
		t.Errorf("entry replaced: %s, was %s", again.ARN, e.ARN)
	}
}

func TestAccessEntryTags(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	f.cluster(t, "tags", AuthModeAPI, false, f.alice)
	e, err := f.s.CreateAccessEntry(ctx, CreateAccessEntryInput{Region: testRegion, ClusterName: "tags", PrincipalARN: f.alice, Tags: map[string]string{"a": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.TagResource(ctx, testRegion, e.ARN, map[string]string{"b": "2"}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.UntagResource(ctx, testRegion, e.ARN, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	tags, err := f.s.ListTags(ctx, testRegion, e.ARN)
	if err != nil || len(tags) != 1 || tags["b"] != "2" {
		t.Errorf("tags %v %v", tags, err)
	}
	stale := e.ARN[:strings.LastIndex(e.ARN, "/")+1] + "00000000-0000-0000-0000-000000000000"
	_, err = f.s.ListTags(ctx, testRegion, stale)
	wantCode(t, "another entry's ARN", err, CodeNotFound, "Resource not found")
}

func TestClusterDeletionTakesItsEntries(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	c := f.cluster(t, "doomed", AuthModeAPI, true, f.alice)
	if _, err := f.s.DeleteCluster(ctx, testRegion, "doomed"); err != nil {
		t.Fatal(err)
	}
	// While the cluster goes, its entries stay as they are.
	_, err := f.s.CreateAccessEntry(ctx, CreateAccessEntryInput{Region: testRegion, ClusterName: "doomed", PrincipalARN: f.node})
	wantCode(t, "create while deleting", err, CodeInvalidRequest, "is being deleted")
	if err := f.s.Forget(ctx, mustCluster(t, f, "doomed")); err != nil {
		t.Fatal(err)
	}
	if got := f.entries(t, c); len(got) != 0 {
		t.Errorf("entries outlived their cluster: %+v", got)
	}
}
