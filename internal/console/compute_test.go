package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	keks "github.com/keksdev/keks/internal/eks"
)

// computeCluster makes a cluster in a VPC of its own whose two subnets
// (two zones) are private, as Fargate profiles need, with roles for
// nodes and Fargate pods; it stays CREATING (no reconcilers).
func computeCluster(t *testing.T, name, cidr16 string) (subnets []string, nodeRole, podRole string) {
	t.Helper()
	ctx := context.Background()
	api := admin()
	vpc, err := api.EC2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr16 + ".0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	for i, zone := range []string{"us-east-1a", "us-east-1b"} {
		sn, err := api.EC2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, AvailabilityZone: aws.String(zone),
			CidrBlock: aws.String(cidr16 + "." + string(rune('0'+i)) + ".0/24")})
		if err != nil {
			t.Fatal(err)
		}
		subnets = append(subnets, aws.ToString(sn.Subnet.SubnetId))
	}
	role := func(roleName, service string) string {
		out, err := api.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(roleName),
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + service + `"},"Action":"sts:AssumeRole"}]}`)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Role.Arn)
	}
	clusterRole := role(name+"-cluster", "eks.amazonaws.com")
	nodeRole, podRole = role(name+"-node", "ec2.amazonaws.com"), role(name+"-pods", "eks-fargate-pods.amazonaws.com")
	if _, err := api.EKS.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String(clusterRole),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: subnets}}); err != nil {
		t.Fatal(err)
	}
	return subnets, nodeRole, podRole
}

// computeMarkActive does what the control plane reconciler (off here)
// would: the cluster is ACTIVE, though with no API server to reach.
func computeMarkActive(t *testing.T, name string) {
	t.Helper()
	if _, err := testServer.models.EKS.SetStatus(context.Background(), "us-east-1", name, func(c *keks.Cluster) error {
		c.Status.Phase = keks.StatusActive
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func computeSetNodegroupStatus(t *testing.T, cluster, name, status string) {
	t.Helper()
	ctx := context.Background()
	m := testServer.models.EKS
	ng, err := m.GetNodegroup(ctx, "us-east-1", cluster, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.SetNodegroup(ctx, ng, func(n *keks.Nodegroup) error { n.Status = status; return nil }); err != nil {
		t.Fatal(err)
	}
}

// computeFinishUpdates ends a node group's updates as its reconciler
// (off here) would, and makes it ACTIVE again.
func computeFinishUpdates(t *testing.T, cluster, name string) {
	t.Helper()
	ctx := context.Background()
	m := testServer.models.EKS
	ng, err := m.GetNodegroup(ctx, "us-east-1", cluster, name)
	if err != nil {
		t.Fatal(err)
	}
	ups, err := m.NodegroupUpdates(ctx, ng)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups {
		if err := m.FinishUpdate(ctx, u, nil); err != nil {
			t.Fatal(err)
		}
	}
	computeSetNodegroupStatus(t, cluster, name, keks.NodegroupActive)
}

func computeDescribeNG(t *testing.T, cluster, name string) *ekstypes.Nodegroup {
	t.Helper()
	out, err := admin().EKS.DescribeNodegroup(context.Background(), &eks.DescribeNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Nodegroup
}

func computeWant(t *testing.T, what string, resp *http.Response, body string, status int, contains ...string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s: status %d, want %d: %s", what, resp.StatusCode, status, body)
		return
	}
	for _, s := range contains {
		if !strings.Contains(body, s) {
			t.Errorf("%s: no %q in %s", what, s, body)
		}
	}
}

func TestComputeTabAndNodegroups(t *testing.T) {
	const cl = "compute-ng"
	subnets, nodeRole, _ := computeCluster(t, cl, "10.93")
	b := signedInAsAdmin(t)

	// CREATING: the tab renders, the nodes part says why it is empty.
	resp, body := b.get("/console/clusters/" + cl + "/compute")
	computeWant(t, "compute tab", resp, body, http.StatusOK, `id="nodes-note"`, "The cluster is CREATING", `id="add-nodegroup"`, `id="add-fargate-profile"`, "No node groups")

	// The form offers the node role and the cluster's subnets, checked.
	resp, body = b.get("/console/clusters/" + cl + "/nodegroups/create")
	computeWant(t, "add node group form", resp, body, http.StatusOK, `value="`+nodeRole+`"`, `id="subnet-`+subnets[0]+`" checked`,
		`id="subnet-`+subnets[1]+`" checked`, `<option selected>t3.medium</option>`)
	if strings.Contains(body, cl+"-cluster") {
		t.Errorf("the cluster role (trusting eks.amazonaws.com) is offered as a node role")
	}
	form := func(name string) url.Values {
		return url.Values{"name": {name}, "role": {nodeRole}, "subnet": subnets, "instancetype": {"t3.small"}, "capacitytype": {"ON_DEMAND"},
			"disksize": {"30"}, "desired": {"1"}, "min": {"1"}, "max": {"3"}, "labels": {"team=a\n\nenv = dev\n"}, "taints": {"dedicated=x:NoSchedule"}}
	}
	// EKS's own refusal, shown above the form as entered.
	resp, body = computePost(b, "/console/clusters/"+cl+"/nodegroups/create", form("workers"))
	computeWant(t, "create on a CREATING cluster", resp, body, http.StatusBadRequest, "InvalidRequestException", "is not in ACTIVE status", `value="workers"`, "team=a")

	computeMarkActive(t, cl)
	// What the form cannot say is refused before any call.
	bad := form("bad")
	bad.Set("desired", "two")
	resp, body = computePost(b, "/console/clusters/"+cl+"/nodegroups/create", bad)
	computeWant(t, "bad number", resp, body, http.StatusBadRequest, "Desired size must be a whole number")
	bad = form("bad")
	bad.Set("taints", "dedicated=x:Sometimes")
	resp, body = computePost(b, "/console/clusters/"+cl+"/nodegroups/create", bad)
	computeWant(t, "bad taint", resp, body, http.StatusBadRequest, "is not key=value:effect")
	if _, err := admin().EKS.DescribeNodegroup(context.Background(), &eks.DescribeNodegroupInput{ClusterName: aws.String(cl), NodegroupName: aws.String("bad")}); err == nil {
		t.Errorf("a refused form made a node group")
	}

	resp = b.post("/console/clusters/"+cl+"/nodegroups/create", form("workers"))
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/clusters/"+cl+"/nodegroups/workers?flash=") {
		t.Fatalf("create: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	ng := computeDescribeNG(t, cl, "workers")
	if ng.Status != ekstypes.NodegroupStatusCreating || aws.ToString(ng.NodeRole) != nodeRole || len(ng.Subnets) != 2 || ng.InstanceTypes[0] != "t3.small" ||
		aws.ToInt32(ng.DiskSize) != 30 || aws.ToInt32(ng.ScalingConfig.DesiredSize) != 1 || aws.ToInt32(ng.ScalingConfig.MaxSize) != 3 ||
		ng.Labels["team"] != "a" || ng.Labels["env"] != "dev" || len(ng.Taints) != 1 || ng.Taints[0].Effect != ekstypes.TaintEffectNoSchedule {
		t.Errorf("created %+v", ng)
	}

	// ACTIVE with no API server: the nodes table shows the error in its
	// place; the node group is listed and refreshes while CREATING.
	resp, body = b.get("/console/clusters/" + cl + "/compute")
	computeWant(t, "compute tab, ACTIVE", resp, body, http.StatusOK, `id="nodes-note"`, "no API server endpoint yet", `id="nodegroup-workers"`, "CREATING", `hx-get="/console/clusters/`+cl+`/nodegroups"`)
	resp, body = b.getHTMX("/console/clusters/" + cl + "/nodegroups")
	computeWant(t, "node group rows", resp, body, http.StatusOK, `id="nodegroup-rows"`, "workers")
	// The nodes refresh too while a group changes.
	resp, body = b.getHTMX("/console/clusters/" + cl + "/compute/nodes")
	computeWant(t, "nodes part", resp, body, http.StatusOK, `<div class="card table-wrap" id="nodes" hx-get="/console/clusters/`+cl+`/compute/nodes"`, "no API server endpoint yet")
	resp, body = b.getHTMX("/console/clusters/" + cl + "/compute/nodes?nodegroup=workers")
	computeWant(t, "node group's nodes part", resp, body, http.StatusOK, `hx-get="/console/clusters/`+cl+`/compute/nodes?nodegroup=workers"`)

	resp, body = b.get("/console/clusters/" + cl + "/nodegroups/workers")
	computeWant(t, "node group page", resp, body, http.StatusOK, `id="nodegroup-status"`, `/nodegroups/workers/status`, nodeRole, "dedicated", `id="edit-nodegroup"`,
		`id="delete-nodegroup"`, `id="update-version"`, `id="nodes-note"`)
	resp, body = b.getHTMX("/console/clusters/" + cl + "/nodegroups/workers/status")
	computeWant(t, "status badge", resp, body, http.StatusOK, `id="nodegroup-status"`, "CREATING")

	// Edit: refused while CREATING (EKS's words), then a change of scaling
	// and labels once ACTIVE.
	edit := url.Values{"desired": {"2"}, "min": {"1"}, "max": {"3"}, "maxunavailable": {"1"}, "labels": {"team=b\n"}, "taints": {"dedicated=x:NO_SCHEDULE"}}
	resp, body = computePost(b, "/console/clusters/"+cl+"/nodegroups/workers/edit", edit)
	computeWant(t, "edit while CREATING", resp, body, http.StatusConflict, "ResourceInUseException", `value="2"`)
	computeSetNodegroupStatus(t, cl, "workers", keks.NodegroupActive)
	resp, body = b.get("/console/clusters/" + cl + "/nodegroups/workers/edit")
	computeWant(t, "edit form", resp, body, http.StatusOK, `id="desired-size" value="1"`, "env=dev\nteam=a", "dedicated=x:NO_SCHEDULE")
	resp = b.post("/console/clusters/"+cl+"/nodegroups/workers/edit", edit)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "flash=Update+") {
		t.Fatalf("edit: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	ng = computeDescribeNG(t, cl, "workers")
	if aws.ToInt32(ng.ScalingConfig.DesiredSize) != 2 || ng.Labels["team"] != "b" || ng.Labels["env"] != "" || len(ng.Taints) != 1 {
		t.Errorf("edited %+v %v %v", ng.ScalingConfig, ng.Labels, ng.Taints)
	}
	computeFinishUpdates(t, cl, "workers")
	// Nothing changed: EKS says so.
	same := url.Values{"desired": {"2"}, "min": {"1"}, "max": {"3"}, "maxunavailable": {"1"}, "labels": {"team=b"}, "taints": {"dedicated=x:NoSchedule"}}
	resp, body = computePost(b, "/console/clusters/"+cl+"/nodegroups/workers/edit", same)
	computeWant(t, "edit without change", resp, body, http.StatusBadRequest, "No changes needed")

	// Update version: already at the cluster's version and release.
	resp, body = computePost(b, "/console/clusters/"+cl+"/nodegroups/workers/update-version", url.Values{})
	computeWant(t, "update version", resp, body, http.StatusBadRequest, "InvalidParameterException", "already at version", `id="nodegroup-status"`)

	// Delete: the typed name must match exactly, else nothing is called.
	resp, body = b.get("/console/clusters/" + cl + "/nodegroups/workers/delete")
	computeWant(t, "delete form", resp, body, http.StatusOK, `id="confirm-name"`, `id="submit"`)
	resp, body = computePost(b, "/console/clusters/"+cl+"/nodegroups/workers/delete", url.Values{"confirm": {"Workers"}})
	computeWant(t, "delete, wrong name", resp, body, http.StatusBadRequest, "exactly.", `value="Workers"`)
	if ng := computeDescribeNG(t, cl, "workers"); ng.Status != ekstypes.NodegroupStatusActive {
		t.Errorf("after a refused delete: %s", ng.Status)
	}
	resp = b.post("/console/clusters/"+cl+"/nodegroups/workers/delete", url.Values{"confirm": {"workers"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/clusters/"+cl+"/nodegroups/workers?flash=Deleting") {
		t.Fatalf("delete: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if ng := computeDescribeNG(t, cl, "workers"); ng.Status != ekstypes.NodegroupStatusDeleting {
		t.Errorf("after delete: %s", ng.Status)
	}
	resp, body = b.get("/console/clusters/" + cl + "/nodegroups/workers?flash=Deleting")
	computeWant(t, "deleting page", resp, body, http.StatusOK, "DELETING", `hx-trigger="every 2s"`)
	// Gone: the badge sends the browser back to the Compute tab.
	ngRec, err := testServer.models.EKS.GetNodegroup(context.Background(), "us-east-1", cl, "workers")
	if err != nil {
		t.Fatal(err)
	}
	if err := testServer.models.EKS.ForgetNodegroup(context.Background(), ngRec); err != nil {
		t.Fatal(err)
	}
	resp, _ = b.getHTMX("/console/clusters/" + cl + "/nodegroups/workers/status")
	if loc := resp.Header.Get("HX-Redirect"); !strings.HasPrefix(loc, "/console/clusters/"+cl+"/compute?flash=") {
		t.Errorf("gone node group's badge: %d %q", resp.StatusCode, loc)
	}
	resp, body = b.get("/console/clusters/" + cl + "/nodegroups/workers")
	computeWant(t, "gone node group", resp, body, http.StatusNotFound, "ResourceNotFoundException")
}

func TestFargateProfilePages(t *testing.T) {
	const cl = "compute-fg"
	subnets, _, podRole := computeCluster(t, cl, "10.94")
	computeMarkActive(t, cl)
	b := signedInAsAdmin(t)

	resp, body := b.get("/console/clusters/" + cl + "/fargate/create")
	computeWant(t, "add Fargate profile form", resp, body, http.StatusOK, `value="`+podRole+`"`, `id="subnet-`+subnets[0]+`" checked`, "private",
		`id="selector-5-namespace"`, `id="selector-1-namespace" value="default"`)
	form := url.Values{"name": {"apps"}, "role": {podRole}, "subnet": subnets, "selector-1-namespace": {"default"},
		"selector-2-namespace": {"prod-*"}, "selector-2-labels": {"app=web\ntier=front"}, "tags": {"team=a"}}

	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("selector-2-labels", "app")
	resp, body = computePost(b, "/console/clusters/"+cl+"/fargate/create", bad)
	computeWant(t, "bad selector labels", resp, body, http.StatusBadRequest, "Selector 2&#39;s labels, line 1", `value="prod-*"`)
	bad.Set("selector-2-labels", "")
	bad.Set("rolearn", "arn:aws:iam::000000000000:role/none")
	resp, body = computePost(b, "/console/clusters/"+cl+"/fargate/create", bad)
	computeWant(t, "typed role ARN", resp, body, http.StatusBadRequest, "InvalidParameterException", `value="arn:aws:iam::000000000000:role/none"`)
	bad.Del("rolearn")
	bad.Set("selector-1-namespace", "Prod")
	resp, body = computePost(b, "/console/clusters/"+cl+"/fargate/create", bad)
	computeWant(t, "EKS's refusal", resp, body, http.StatusBadRequest, "InvalidParameterException", "not a valid Kubernetes namespace name")

	resp = b.post("/console/clusters/"+cl+"/fargate/create", form)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/clusters/"+cl+"/fargate/apps?flash=") {
		t.Fatalf("create: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	out, err := admin().EKS.DescribeFargateProfile(context.Background(), &eks.DescribeFargateProfileInput{ClusterName: aws.String(cl), FargateProfileName: aws.String("apps")})
	if err != nil {
		t.Fatal(err)
	}
	fp := out.FargateProfile
	if len(fp.Selectors) != 2 || aws.ToString(fp.Selectors[1].Namespace) != "prod-*" || fp.Selectors[1].Labels["tier"] != "front" || len(fp.Subnets) != 2 ||
		fp.Tags["team"] != "a" || aws.ToString(fp.PodExecutionRoleArn) != podRole {
		t.Errorf("created %+v", fp)
	}

	resp, body = b.get("/console/clusters/" + cl + "/compute")
	computeWant(t, "compute tab", resp, body, http.StatusOK, `id="fargate-apps"`, "prod-*", "tier=front")
	resp, body = b.get("/console/clusters/" + cl + "/fargate/apps")
	computeWant(t, "profile page", resp, body, http.StatusOK, `id="fargate-status"`, "CREATING", "app=web", podRole, `id="pods-note"`, `id="delete-fargate-profile"`)

	m := testServer.models.EKS
	rec, err := m.GetFargateProfile(context.Background(), "us-east-1", cl, "apps")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.SetFargateProfile(context.Background(), rec, func(p *keks.FargateProfile) error { p.Status = keks.FargateProfileActive; return nil }); err != nil {
		t.Fatal(err)
	}
	resp, body = b.get("/console/clusters/" + cl + "/fargate/apps/delete")
	computeWant(t, "delete form", resp, body, http.StatusOK, `id="confirm-name"`, "Delete Fargate profile apps")
	resp, body = computePost(b, "/console/clusters/"+cl+"/fargate/apps/delete", url.Values{"confirm": {"app"}})
	computeWant(t, "delete, wrong name", resp, body, http.StatusBadRequest, "exactly.")
	resp = b.post("/console/clusters/"+cl+"/fargate/apps/delete", url.Values{"confirm": {"apps"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	out, err = admin().EKS.DescribeFargateProfile(context.Background(), &eks.DescribeFargateProfileInput{ClusterName: aws.String(cl), FargateProfileName: aws.String("apps")})
	if err != nil || out.FargateProfile.Status != ekstypes.FargateProfileStatusDeleting {
		t.Errorf("after delete: %v %+v", err, out)
	}
	resp, body = b.getHTMX("/console/clusters/" + cl + "/fargate/apps/status")
	computeWant(t, "status badge", resp, body, http.StatusOK, `id="fargate-status"`, "DELETING", `hx-trigger="every 2s"`)
	if rec, err = m.GetFargateProfile(context.Background(), "us-east-1", cl, "apps"); err != nil {
		t.Fatal(err)
	}
	if err := m.ForgetFargateProfile(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	resp, _ = b.getHTMX("/console/clusters/" + cl + "/fargate/apps/status")
	if loc := resp.Header.Get("HX-Redirect"); !strings.HasPrefix(loc, "/console/clusters/"+cl+"/compute?flash=Fargate+profile+apps+deleted") {
		t.Errorf("gone profile's badge: %d %q", resp.StatusCode, loc)
	}
}

// A user who may only describe clusters sees EKS's AccessDeniedException
// where the node groups and Fargate profiles would be, and on the actions.
func TestComputeAccessDenied(t *testing.T) {
	const cl = "compute-denied"
	subnets, nodeRole, _ := computeCluster(t, cl, "10.95")
	computeMarkActive(t, cl)
	ctx := context.Background()
	api := admin()
	if _, err := api.IAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("compute-viewer")}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.IAM.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("compute-viewer"), PolicyName: aws.String("describe"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks:DescribeCluster","eks:DescribeClusterVersions"],"Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	key, err := api.IAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("compute-viewer")})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	if resp := b.signInWithKey(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	resp, body := b.get("/console/clusters/" + cl + "/compute")
	computeWant(t, "compute tab", resp, body, http.StatusOK, "AccessDeniedException", "eks:ListNodegroups", "eks:ListFargateProfiles")
	// The form falls back to typing the role; creating is denied by EKS.
	resp, body = b.get("/console/clusters/" + cl + "/nodegroups/create")
	computeWant(t, "form", resp, body, http.StatusOK, `name="role" id="nodegroup-role" value=""`, "could not be listed")
	resp, body = computePost(b, "/console/clusters/"+cl+"/nodegroups/create", url.Values{"name": {"ng"}, "role": {nodeRole}, "subnet": subnets})
	computeWant(t, "create", resp, body, http.StatusForbidden, "AccessDeniedException", "eks:CreateNodegroup")
	resp, body = b.get("/console/clusters/" + cl + "/nodegroups/ng")
	computeWant(t, "node group page", resp, body, http.StatusForbidden, "AccessDeniedException", "eks:DescribeNodegroup")
}

// computePost posts a form as b.post does and also returns the answer's body.
func computePost(b *browser, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	if b.csrf != "" && !form.Has("csrf") {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, testServer.models.Endpoint+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}
