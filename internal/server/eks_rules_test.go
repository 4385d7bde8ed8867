package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	keks "github.com/keksdev/keks/internal/eks"
)

// rulesCluster makes an ACTIVE cluster in the rules region, with its own
// network, and returns it.
func rulesCluster(t *testing.T, name, cidr string) (*ekstypes.Cluster, []string) {
	t.Helper()
	ctx := context.Background()
	cfg := rulesConfig()
	_, subnets := networkIn(t, cfg, cidr)
	c := eks.NewFromConfig(cfg)
	out, err := c.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String(nodeRoleARN(t)),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: subnets}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testServer.models.EKS.SetStatus(ctx, rulesRegion, name, func(c *keks.Cluster) error { c.Status.Phase = keks.StatusActive; return nil }); err != nil {
		t.Fatal(err)
	}
	return out.Cluster, subnets
}

// rawEKS sends one signed EKS request as it comes, past the SDK's own checks.
func rawEKS(t *testing.T, method, path, query, body string) (int, string, string) {
	t.Helper()
	c, ok := eksCall(strings.NewReplacer(), 255, strings.TrimPrefix(path, "/"), "", query, []byte(body), modeSigned)
	if !ok {
		t.Fatalf("bad path %s", path)
	}
	c.method, c.region = method, rulesRegion
	rec := c.send(t)
	return rec.Code, rec.Header().Get("x-amzn-ErrorType"), rec.Body.String()
}

// TestEKSTaggingResourceTypes checks which ARNs the tagging operations
// take: clusters, node groups and add-ons of the caller's region.
func TestEKSTaggingResourceTypes(t *testing.T) {
	ctx := context.Background()
	cluster, subnets := rulesCluster(t, "tagging", "10.56.0.0/16")
	c := eks.NewFromConfig(rulesConfig())
	ng, err := c.CreateNodegroup(ctx, &eks.CreateNodegroupInput{ClusterName: cluster.Name, NodegroupName: aws.String("ng"), NodeRole: aws.String(nodeRoleARN(t)), Subnets: subnets})
	if err != nil {
		t.Fatal(err)
	}
	addon, err := c.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: cluster.Name, AddonName: aws.String("coredns")})
	if err != nil {
		t.Fatal(err)
	}
	for what, arn := range map[string]*string{"cluster": cluster.Arn, "node group": ng.Nodegroup.NodegroupArn, "add-on": addon.Addon.AddonArn} {
		if _, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: arn, Tags: map[string]string{"kind": what}}); err != nil {
			t.Errorf("tag a %s: %v", what, err)
			continue
		}
		tags, err := c.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: arn})
		if err != nil || tags.Tags["kind"] != what {
			t.Errorf("tags of a %s: %v %v", what, err, tags)
		}
		if _, err := c.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"kind"}}); err != nil {
			t.Errorf("untag a %s: %v", what, err)
		}
	}
	acct := testServer.models.Bootstrap.AccountID
	for _, tc := range []struct{ arn, code, msg string }{
		{"arn:aws:iam::" + acct + ":role/eksClusterRole", "BadRequestException", "must name an EKS resource"},
		{"arn:aws:ec2:" + rulesRegion + ":" + acct + ":vpc/vpc-1", "BadRequestException", "must name an EKS resource"},
		{"not-an-arn", "BadRequestException", "Invalid ARN"},
		{"arn:aws:eks:" + rulesRegion + ":" + acct + ":widget/x", "BadRequestException", "must name an EKS resource"},
		{"arn:aws:eks:" + rulesRegion + ":" + acct + ":fargateprofile/tagging/fp/1", "NotFoundException", "Resource not found"},
		{"arn:aws:eks:" + rulesRegion + ":" + acct + ":cluster/nope", "NotFoundException", "Resource not found"},
		{strings.Replace(aws.ToString(cluster.Arn), rulesRegion, "us-east-1", 1), "NotFoundException", "Resource not found"},
		{strings.Replace(aws.ToString(cluster.Arn), acct, "000000000000", 1), "NotFoundException", "Resource not found"},
		{aws.ToString(ng.Nodegroup.NodegroupArn) + "x", "NotFoundException", "Resource not found"},
	} {
		_, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: aws.String(tc.arn), Tags: map[string]string{"a": "b"}})
		wantError(t, "TagResource "+tc.arn, err, tc.code, tc.msg)
		_, err = c.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: aws.String(tc.arn)})
		wantError(t, "ListTagsForResource "+tc.arn, err, tc.code, tc.msg)
	}
	fifty := map[string]string{}
	for i := range 51 {
		fifty[fmt.Sprintf("k%d", i)] = "v"
	}
	for _, tc := range []struct {
		tags map[string]string
		msg  string
	}{
		{map[string]string{"aws:x": "y"}, "aws:"},
		{map[string]string{strings.Repeat("k", 129): "y"}, "between 1 and 128"},
		{map[string]string{"k": strings.Repeat("v", 257)}, "at most 256"},
		{fifty, "less than or equal to 50"},
	} {
		_, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: cluster.Arn, Tags: tc.tags})
		wantError(t, "bad tags", err, "BadRequestException", tc.msg)
	}
	arn := "/tags/" + url.PathEscape(aws.ToString(cluster.Arn))
	if code, typ, body := rawEKS(t, http.MethodPost, arn, "", `{"tags":{}}`); code != http.StatusBadRequest || typ != "BadRequestException" {
		t.Errorf("empty tags: %d %s %s", code, typ, body)
	}
	if code, typ, body := rawEKS(t, http.MethodDelete, arn, "", ""); code != http.StatusBadRequest || typ != "BadRequestException" {
		t.Errorf("untag without tagKeys: %d %s %s", code, typ, body)
	}
}

// TestEKSPaging pages every EKS list the model pages, one item a page.
func TestEKSPaging(t *testing.T) {
	ctx := context.Background()
	cluster, subnets := rulesCluster(t, "paging", "10.57.0.0/16")
	c := eks.NewFromConfig(rulesConfig())
	for _, name := range []string{"a", "b", "c"} {
		if _, err := c.CreateNodegroup(ctx, &eks.CreateNodegroupInput{ClusterName: cluster.Name, NodegroupName: aws.String(name), NodeRole: aws.String(nodeRoleARN(t)), Subnets: subnets}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		on := i%2 == 0
		if _, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: cluster.Name,
			Logging: &ekstypes.Logging{ClusterLogging: []ekstypes.LogSetup{{Types: []ekstypes.LogType{ekstypes.LogTypeApi}, Enabled: aws.Bool(on)}}}}); err != nil {
			t.Fatal(err)
		}
		finishUpdatesIn(t, rulesRegion, "paging")
	}
	count := func(what string, want int, next func() (int, bool, error)) {
		t.Helper()
		total, pages := 0, 0
		for more := true; more; {
			n, m, err := next()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if n > 1 {
				t.Fatalf("%s: a page of %d with maxResults 1", what, n)
			}
			total, pages, more = total+n, pages+1, m
		}
		if total != want {
			t.Errorf("%s: %d items in %d pages, want %d", what, total, pages, want)
		}
	}
	one := aws.Int32(1)
	ngs := eks.NewListNodegroupsPaginator(c, &eks.ListNodegroupsInput{ClusterName: cluster.Name, MaxResults: one})
	count("ListNodegroups", 3, func() (int, bool, error) {
		o, err := ngs.NextPage(ctx)
		return lenOr(o, err, func() int { return len(o.Nodegroups) }), ngs.HasMorePages(), err
	})
	addons := eks.NewListAddonsPaginator(c, &eks.ListAddonsInput{ClusterName: cluster.Name, MaxResults: one})
	count("ListAddons", 3, func() (int, bool, error) {
		o, err := addons.NextPage(ctx)
		return lenOr(o, err, func() int { return len(o.Addons) }), addons.HasMorePages(), err
	})
	ups := eks.NewListUpdatesPaginator(c, &eks.ListUpdatesInput{Name: cluster.Name, MaxResults: one})
	count("ListUpdates", 3, func() (int, bool, error) {
		o, err := ups.NextPage(ctx)
		return lenOr(o, err, func() int { return len(o.UpdateIds) }), ups.HasMorePages(), err
	})
	av := eks.NewDescribeAddonVersionsPaginator(c, &eks.DescribeAddonVersionsInput{MaxResults: one})
	count("DescribeAddonVersions", len(keks.AddonKinds), func() (int, bool, error) {
		o, err := av.NextPage(ctx)
		return lenOr(o, err, func() int { return len(o.Addons) }), av.HasMorePages(), err
	})
	all, err := c.DescribeClusterVersions(ctx, &eks.DescribeClusterVersionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	cv := eks.NewDescribeClusterVersionsPaginator(c, &eks.DescribeClusterVersionsInput{MaxResults: one})
	count("DescribeClusterVersions", len(all.ClusterVersions), func() (int, bool, error) {
		o, err := cv.NextPage(ctx)
		return lenOr(o, err, func() int { return len(o.ClusterVersions) }), cv.HasMorePages(), err
	})

	for _, tc := range []struct{ path, query, msg string }{
		{"/clusters", "maxResults=0", "greater than or equal to 1"},
		{"/clusters", "maxResults=101", "less than or equal to 100"},
		{"/clusters", "maxResults=x", "Member must be a number"},
		{"/clusters/paging/node-groups", "maxResults=0", "greater than or equal to 1"},
		{"/clusters/paging/addons", "nextToken=garbage", "nextToken"},
		{"/clusters/paging/updates", "maxResults=101", "less than or equal to 100"},
		{"/addons/supported-versions", "maxResults=0", "greater than or equal to 1"},
		{"/cluster-versions", "maxResults=101", "less than or equal to 100"},
	} {
		code, typ, body := rawEKS(t, http.MethodGet, tc.path, tc.query, "")
		if code != http.StatusBadRequest || typ != "InvalidParameterException" || !strings.Contains(body, tc.msg) {
			t.Errorf("GET %s?%s: %d %s %s", tc.path, tc.query, code, typ, body)
		}
	}
}

func lenOr[T any](out *T, err error, n func() int) int {
	if err != nil || out == nil {
		return 0
	}
	return n()
}

func finishUpdatesIn(t *testing.T, region, name string) {
	t.Helper()
	ctx := context.Background()
	m := testServer.models
	c, err := m.EKS.GetCluster(ctx, region, name)
	if err != nil {
		t.Fatal(err)
	}
	ups, err := m.EKS.PendingUpdates(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups {
		if err := m.EKS.FinishUpdate(ctx, u, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.EKS.SetStatus(ctx, region, name, func(c *keks.Cluster) error { c.Status.Phase = keks.StatusActive; return nil }); err != nil {
		t.Fatal(err)
	}
}

// TestNodegroupInputRules holds CreateNodegroup to the model's bounds on
// labels and its AMI types.
func TestNodegroupInputRules(t *testing.T) {
	ctx := context.Background()
	cluster, subnets := rulesCluster(t, "ng-rules", "10.58.0.0/16")
	c := eks.NewFromConfig(rulesConfig())
	for _, tc := range []struct {
		name string
		mod  func(*eks.CreateNodegroupInput)
		msg  string
	}{
		{"empty label value", func(in *eks.CreateNodegroupInput) { in.Labels = map[string]string{"a": ""} }, "between 1 and 63"},
		{"64-character label key", func(in *eks.CreateNodegroupInput) {
			in.Labels = map[string]string{"example.com/" + strings.Repeat("k", 52): "v"}
		}, "between 1 and 63"},
		{"label key syntax", func(in *eks.CreateNodegroupInput) { in.Labels = map[string]string{"-a": "v"} }, "not a valid Kubernetes label"},
		{"AMI type outside EKS's", func(in *eks.CreateNodegroupInput) { in.AmiType = "UBUNTU" }, "enum value set"},
		{"AMI type keks does not run", func(in *eks.CreateNodegroupInput) { in.AmiType = ekstypes.AMITypesWindowsCore2022X8664 }, "keks does not run amiType"},
		{"taint effect", func(in *eks.CreateNodegroupInput) {
			in.Taints = []ekstypes.Taint{{Key: aws.String("k"), Effect: "NoSchedule"}}
		}, "Taint effect"},
	} {
		in := &eks.CreateNodegroupInput{ClusterName: cluster.Name, NodegroupName: aws.String("rules"), NodeRole: aws.String(nodeRoleARN(t)), Subnets: subnets}
		tc.mod(in)
		_, err := c.CreateNodegroup(ctx, in)
		wantError(t, tc.name, err, "InvalidParameterException", tc.msg)
	}
	if _, err := c.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: cluster.Name, NodegroupName: aws.String("rules")}); codeOf(err) != "ResourceNotFoundException" {
		t.Fatalf("a refused create left a node group: %v", err)
	}
}
