package server_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	keks "github.com/keksdev/keks/internal/eks"
)

// accessRole makes (once) an IAM role for access entries to name.
func accessRole(t *testing.T, name, path string) string {
	t.Helper()
	ctx := context.Background()
	c := iam.NewFromConfig(awsConfig())
	if r, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)}); err == nil {
		return aws.ToString(r.Role.Arn)
	}
	in := &iam.CreateRoleInput{RoleName: aws.String(name),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}
	if path != "" {
		in.Path = aws.String(path)
	}
	r, err := c.CreateRole(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(r.Role.Arn)
}

func wantAPIError(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: succeeded, want %s", what, code)
		return
	}
	if got := apiErrorCode(t, err); got != code || !strings.Contains(err.Error(), msg) {
		t.Errorf("%s: got %s (%v), want %s containing %q", what, got, err, code, msg)
	}
}

// TestAccessEntriesAPI drives the access entry operations through the SDK
// on a cluster still CREATING: EKS serves them before the cluster is ACTIVE.
func TestAccessEntriesAPI(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	out, err := f.create("ae-api", func(in *eks.CreateClusterInput) {
		in.AccessConfig = &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi}
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Cluster.AccessConfig == nil || out.Cluster.AccessConfig.AuthenticationMode != ekstypes.AuthenticationModeApi || out.Cluster.AccessConfig.BootstrapClusterCreatorAdminPermissions != nil {
		t.Errorf("accessConfig %+v", out.Cluster.AccessConfig)
	}
	name := aws.String("ae-api")

	// The creator (the admin user) is cluster admin by an entry of its own.
	admin := testServer.models.Bootstrap.UserARN
	list, err := f.eks.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: name})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(list.AccessEntries, []string{admin}) {
		t.Fatalf("entries %v, want the creator %s", list.AccessEntries, admin)
	}
	assoc, err := f.eks.ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: name, PrincipalArn: aws.String(admin)})
	if err != nil {
		t.Fatal(err)
	}
	if len(assoc.AssociatedAccessPolicies) != 1 || aws.ToString(assoc.AssociatedAccessPolicies[0].PolicyArn) != keks.ClusterAdminPolicyARN ||
		assoc.AssociatedAccessPolicies[0].AccessScope.Type != ekstypes.AccessScopeTypeCluster || aws.ToString(assoc.ClusterName) != "ae-api" {
		t.Errorf("creator's policies %+v", assoc)
	}

	// A role with a path: the principal ARN travels as one escaped path segment.
	viewer := accessRole(t, "ae-viewer", "/team/")
	created, err := f.eks.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: name, PrincipalArn: aws.String(viewer),
		KubernetesGroups: []string{"viewers"}, Tags: map[string]string{"team": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	e := created.AccessEntry
	acct := testServer.models.Bootstrap.AccountID
	if aws.ToString(e.Type) != "STANDARD" || aws.ToString(e.Username) != "arn:aws:sts::"+acct+":assumed-role/ae-viewer/{{SessionName}}" ||
		!slices.Equal(e.KubernetesGroups, []string{"viewers"}) || e.Tags["team"] != "a" || aws.ToString(e.ClusterName) != "ae-api" ||
		!strings.HasPrefix(aws.ToString(e.AccessEntryArn), "arn:aws:eks:us-east-1:"+acct+":access-entry/ae-api/role/"+acct+"/ae-viewer/") || e.CreatedAt == nil {
		t.Errorf("created %+v", e)
	}
	_, err = f.eks.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: name, PrincipalArn: aws.String(viewer)})
	var inUse *ekstypes.ResourceInUseException
	if !errors.As(err, &inUse) || !strings.Contains(err.Error(), "already in use on this cluster") {
		t.Errorf("duplicate: %v", err)
	}
	described, err := f.eks.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: name, PrincipalArn: aws.String(viewer)})
	if err != nil || aws.ToString(described.AccessEntry.AccessEntryArn) != aws.ToString(e.AccessEntryArn) {
		t.Fatalf("describe: %v %+v", err, described)
	}
	updated, err := f.eks.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{ClusterName: name, PrincipalArn: aws.String(viewer), Username: aws.String("viewer:{{SessionName}}")})
	if err != nil || aws.ToString(updated.AccessEntry.Username) != "viewer:{{SessionName}}" || !slices.Equal(updated.AccessEntry.KubernetesGroups, []string{"viewers"}) {
		t.Errorf("update: %v %+v", err, updated)
	}

	// Policies.
	view := "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
	a, err := f.eks.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: name, PrincipalArn: aws.String(viewer), PolicyArn: aws.String(view),
		AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: []string{"default", "dev-*"}}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(a.PrincipalArn) != viewer || aws.ToString(a.AssociatedAccessPolicy.PolicyArn) != view ||
		!slices.Equal(a.AssociatedAccessPolicy.AccessScope.Namespaces, []string{"default", "dev-*"}) || a.AssociatedAccessPolicy.AssociatedAt == nil {
		t.Errorf("associated %+v", a)
	}
	filtered, err := f.eks.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: name, AssociatedPolicyArn: aws.String(view)})
	if err != nil || !slices.Equal(filtered.AccessEntries, []string{viewer}) {
		t.Errorf("entries with the view policy: %v %v", err, filtered)
	}
	var pages [][]string
	p := eks.NewListAccessEntriesPaginator(f.eks, &eks.ListAccessEntriesInput{ClusterName: name, MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, page.AccessEntries)
	}
	if len(pages) != 2 {
		t.Errorf("pages of one: %v", pages)
	}
	_, err = f.eks.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: name, PrincipalArn: aws.String(viewer), PolicyArn: aws.String(view),
		AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace}})
	wantAPIError(t, "namespace scope without namespaces", err, "InvalidParameterException", "namespace")
	_, err = f.eks.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: name, PrincipalArn: aws.String(viewer),
		PolicyArn: aws.String("arn:aws:eks::aws:cluster-access-policy/AmazonEKSEverythingPolicy"), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}})
	wantAPIError(t, "unknown policy", err, "InvalidParameterException", "not a valid access policy")

	// Tags on the entry's ARN.
	arn := aws.ToString(e.AccessEntryArn)
	if _, err := f.eks.TagResource(ctx, &eks.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"owner": "me"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := f.eks.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || tags.Tags["owner"] != "me" || tags.Tags["team"] != "a" {
		t.Errorf("tags: %v %v", err, tags)
	}

	if _, err := f.eks.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{ClusterName: name, PrincipalArn: aws.String(viewer), PolicyArn: aws.String(view)}); err != nil {
		t.Fatal(err)
	}
	_, err = f.eks.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{ClusterName: name, PrincipalArn: aws.String(viewer), PolicyArn: aws.String(view)})
	wantAPIError(t, "disassociate again", err, "ResourceNotFoundException", "not associated")
	if _, err := f.eks.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: name, PrincipalArn: aws.String(viewer)}); err != nil {
		t.Fatal(err)
	}
	_, err = f.eks.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: name, PrincipalArn: aws.String(viewer)})
	var notFound *ekstypes.ResourceNotFoundException
	if !errors.As(err, &notFound) || !strings.Contains(err.Error(), "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.") {
		t.Errorf("describe deleted: %v", err)
	}
	_, err = f.eks.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	wantAPIError(t, "tags of a deleted entry", err, "NotFoundException", "Resource not found")
}

func TestAccessEntryInputRules(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if _, err := f.create("ae-rules", func(in *eks.CreateClusterInput) {
		in.AccessConfig = &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApiAndConfigMap, BootstrapClusterCreatorAdminPermissions: aws.Bool(false)}
	}); err != nil {
		t.Fatal(err)
	}
	name := aws.String("ae-rules")
	acct := testServer.models.Bootstrap.AccountID
	node := accessRole(t, "ae-node", "")
	cases := []struct {
		what string
		in   eks.CreateAccessEntryInput
		msg  string
	}{
		{"session principal", eks.CreateAccessEntryInput{PrincipalArn: aws.String("arn:aws:sts::" + acct + ":assumed-role/ae-node/i-0123")}, "The principalArn parameter format is not valid"},
		{"service-linked role", eks.CreateAccessEntryInput{PrincipalArn: aws.String("arn:aws:iam::" + acct + ":role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS")}, "Service Linked Role"},
		{"no such role", eks.CreateAccessEntryInput{PrincipalArn: aws.String("arn:aws:iam::" + acct + ":role/ae-ghost")}, "The specified principalArn is invalid: invalid principal."},
		{"groups on a node entry", eks.CreateAccessEntryInput{PrincipalArn: aws.String(node), Type: aws.String("EC2_LINUX"), KubernetesGroups: []string{"ops"}}, "kubernetesGroups"},
		{"node role of another account", eks.CreateAccessEntryInput{PrincipalArn: aws.String("arn:aws:iam::999988887777:role/x"), Type: aws.String("FARGATE_LINUX")}, "cluster's account"},
		{"reserved user name", eks.CreateAccessEntryInput{PrincipalArn: aws.String(node), Username: aws.String("amazon:me")}, "The username must not begin with amazon:"},
		{"system group", eks.CreateAccessEntryInput{PrincipalArn: aws.String(node), KubernetesGroups: []string{"system:masters"}}, "cannot start with system:"},
	}
	for _, tc := range cases {
		tc.in.ClusterName = name
		_, err := f.eks.CreateAccessEntry(ctx, &tc.in)
		wantAPIError(t, tc.what, err, "InvalidParameterException", tc.msg)
	}
	if list, err := f.eks.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: name}); err != nil || len(list.AccessEntries) != 0 {
		t.Fatalf("bootstrap off and refused creates: %v %v", err, list)
	}
	e, err := f.eks.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: name, PrincipalArn: aws.String(node), Type: aws.String("EC2_LINUX")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(e.AccessEntry.Username) != "system:node:{{EC2PrivateDNSName}}" || !slices.Equal(e.AccessEntry.KubernetesGroups, []string{"system:nodes"}) {
		t.Errorf("EC2_LINUX entry %+v", e.AccessEntry)
	}
	_, err = f.eks.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: name, PrincipalArn: aws.String(node),
		PolicyArn: aws.String(keks.ClusterAdminPolicyARN), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}})
	wantAPIError(t, "policy on a node entry", err, "InvalidParameterException", `type of "STANDARD"`)
	_, err = f.eks.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("ae-none")})
	wantAPIError(t, "no cluster", err, "ResourceNotFoundException", "No cluster found for name: ae-none.")
	code, typ, _ := rawEKSIn(t, "us-east-1", "GET", "/clusters/ae-rules/access-entries", "maxResults=101", "")
	if code != 400 || typ != "InvalidParameterException" {
		t.Errorf("maxResults 101: %d %s", code, typ)
	}
	code, typ, _ = rawEKSIn(t, "us-east-1", "POST", "/clusters/ae-rules/access-entries/"+strings.ReplaceAll(node, "/", "%2F"), "", `{"type":"STANDARD"}`)
	if code != 400 || typ != "InvalidParameterException" {
		t.Errorf("type change: %d %s", code, typ)
	}
}

// rawEKSIn sends one signed EKS request to region as it comes; escaped
// path segments (%2F in an ARN) stay escaped.
func rawEKSIn(t *testing.T, region, method, path, query, body string) (int, string, string) {
	t.Helper()
	c, ok := eksCall(strings.NewReplacer(), 255, strings.TrimPrefix(path, "/"), "", query, []byte(body), modeSigned)
	if !ok {
		t.Fatalf("bad path %s", path)
	}
	c.method, c.region = method, region
	rec := c.send(t)
	return rec.Code, rec.Header().Get("x-amzn-ErrorType"), rec.Body.String()
}

// TestAccessConfigModes: CONFIG_MAP has no access entry API; the mode
// moves one step at a time, as an AccessConfigUpdate that brings the
// creator's and the node roles' entries.
func TestAccessConfigModes(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	activeCluster(t, f, "ae-modes")
	name := aws.String("ae-modes")
	d, err := f.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: name})
	if err != nil || d.Cluster.AccessConfig.AuthenticationMode != ekstypes.AuthenticationModeConfigMap {
		t.Fatalf("default mode: %v %+v", err, d)
	}
	_, err = f.eks.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: name})
	var invalid *ekstypes.InvalidRequestException
	if !errors.As(err, &invalid) || aws.ToString(invalid.Message) != "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation." {
		t.Errorf("entries in CONFIG_MAP mode: %v", err)
	}
	node := nodeRoleARN(t)
	if _, err := f.eks.CreateNodegroup(ctx, &eks.CreateNodegroupInput{ClusterName: name, NodegroupName: aws.String("ng"), NodeRole: aws.String(node), Subnets: f.subnets}); err != nil {
		t.Fatal(err)
	}
	_, err = f.eks.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, AccessConfig: &ekstypes.UpdateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi}})
	wantAPIError(t, "CONFIG_MAP to API", err, "InvalidParameterException", "Unsupported authentication mode update from CONFIG_MAP to API")
	u, err := f.eks.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, AccessConfig: &ekstypes.UpdateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApiAndConfigMap}})
	if err != nil {
		t.Fatal(err)
	}
	if u.Update.Type != ekstypes.UpdateTypeAccessConfigUpdate || u.Update.Status != ekstypes.UpdateStatusInProgress ||
		len(u.Update.Params) != 1 || u.Update.Params[0].Type != ekstypes.UpdateParamTypeAuthenticationMode || aws.ToString(u.Update.Params[0].Value) != `"API_AND_CONFIG_MAP"` {
		t.Errorf("update %+v", u.Update)
	}
	list, err := f.eks.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: name})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{node, testServer.models.Bootstrap.UserARN}
	slices.Sort(want)
	if !slices.Equal(list.AccessEntries, want) {
		t.Errorf("entries after the move %v, want %v", list.AccessEntries, want)
	}
	ne, err := f.eks.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: name, PrincipalArn: aws.String(node)})
	if err != nil || aws.ToString(ne.AccessEntry.Type) != "EC2_LINUX" {
		t.Errorf("node role entry: %v %+v", err, ne)
	}
	finishUpdatesIn(t, "us-east-1", "ae-modes")
	if _, err := f.eks.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, AccessConfig: &ekstypes.UpdateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi}}); err != nil {
		t.Fatal(err)
	}
	finishUpdatesIn(t, "us-east-1", "ae-modes")
	_, err = f.eks.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, AccessConfig: &ekstypes.UpdateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApiAndConfigMap}})
	wantAPIError(t, "API back to API_AND_CONFIG_MAP", err, "InvalidParameterException", "Unsupported authentication mode update from API to API_AND_CONFIG_MAP")
	d, err = f.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: name})
	if err != nil || d.Cluster.AccessConfig.AuthenticationMode != ekstypes.AuthenticationModeApi {
		t.Errorf("mode after two steps: %v %+v", err, d.Cluster.AccessConfig)
	}
	_, err = f.create("ae-locked", func(in *eks.CreateClusterInput) {
		in.AccessConfig = &ekstypes.CreateAccessConfigRequest{BootstrapClusterCreatorAdminPermissions: aws.Bool(false)}
	})
	wantAPIError(t, "CONFIG_MAP without bootstrap", err, "InvalidParameterException", "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP")
}

func TestListAccessPoliciesAPI(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	var names []string
	p := eks.NewListAccessPoliciesPaginator(f.eks, &eks.ListAccessPoliciesInput{MaxResults: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, ap := range page.AccessPolicies {
			if aws.ToString(ap.Arn) != "arn:aws:eks::aws:cluster-access-policy/"+aws.ToString(ap.Name) {
				t.Errorf("policy %s has ARN %s", aws.ToString(ap.Name), aws.ToString(ap.Arn))
			}
			names = append(names, aws.ToString(ap.Name))
		}
	}
	if !slices.IsSorted(names) || !slices.Contains(names, "AmazonEKSClusterAdminPolicy") || !slices.Contains(names, "AmazonEKSViewPolicy") || pages < 2 {
		t.Errorf("policies in %d pages: %v", pages, names)
	}
}
