package server_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	keks "github.com/keksdev/keks/internal/eks"
)

// The Fargate profile operations on the wire, through aws-sdk-go-v2's EKS
// client, in a region of their own.
const fargateRegion = "sa-east-1"

func fargateConfig() aws.Config {
	cfg := awsConfig()
	cfg.Region = fargateRegion
	return cfg
}

// fargatePodRole makes (once) a pod execution role as EKS's user guide
// describes it.
func fargatePodRole(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	c := iam.NewFromConfig(awsConfig())
	if r, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("apiFargatePodRole")}); err == nil {
		return aws.ToString(r.Role.Arn)
	}
	r, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("apiFargatePodRole"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks-fargate-pods.amazonaws.com"},` +
			`"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:eks:` + fargateRegion + `:` + testServer.models.Bootstrap.AccountID + `:fargateprofile/*"}}}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(r.Role.Arn)
}

// fargateCluster makes an ACTIVE cluster in the Fargate region.
func fargateCluster(t *testing.T, name, cidr string) []string {
	t.Helper()
	ctx := context.Background()
	_, subnets := networkIn(t, fargateConfig(), cidr)
	if _, err := eks.NewFromConfig(fargateConfig()).CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String(nodeRoleARN(t)),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: subnets}}); err != nil {
		t.Fatal(err)
	}
	if _, err := testServer.models.EKS.SetStatus(ctx, fargateRegion, name, func(c *keks.Cluster) error { c.Status.Phase = keks.StatusActive; return nil }); err != nil {
		t.Fatal(err)
	}
	return subnets
}

// settleFargate moves a profile on as the Fargate reconciler does:
// CREATING to ACTIVE, DELETING to gone.
func settleFargate(t *testing.T, cluster, name string) {
	t.Helper()
	ctx := context.Background()
	m := testServer.models.EKS
	fp, err := m.GetFargateProfile(ctx, fargateRegion, cluster, name)
	if err != nil {
		t.Fatal(err)
	}
	switch fp.Status {
	case keks.FargateProfileCreating:
		_, err = m.SetFargateProfile(ctx, fp, func(p *keks.FargateProfile) error { p.Status = keks.FargateProfileActive; return nil })
	case keks.FargateProfileDeleting:
		err = m.ForgetFargateProfile(ctx, fp)
	}
	if err != nil {
		t.Fatal(err)
	}
}

var fargateARN = regexp.MustCompile(`^arn:aws:eks:sa-east-1:[0-9]{12}:fargateprofile/fg-api/web/[0-9a-f-]{36}$`)

func TestFargateProfilesAPI(t *testing.T) {
	ctx := context.Background()
	subnets := fargateCluster(t, "fg-api", "10.70.0.0/16")
	role := fargatePodRole(t)
	c := eks.NewFromConfig(fargateConfig())
	create := func(name string, mod ...func(*eks.CreateFargateProfileInput)) (*eks.CreateFargateProfileOutput, error) {
		in := &eks.CreateFargateProfileInput{ClusterName: aws.String("fg-api"), FargateProfileName: aws.String(name), PodExecutionRoleArn: aws.String(role),
			Selectors: []ekstypes.FargateProfileSelector{{Namespace: aws.String("default")}}}
		for _, m := range mod {
			m(in)
		}
		return c.CreateFargateProfile(ctx, in)
	}

	out, err := create("web", func(in *eks.CreateFargateProfileInput) {
		in.Selectors = []ekstypes.FargateProfileSelector{{Namespace: aws.String("prod*"), Labels: map[string]string{"app?": "*web"}}, {Namespace: aws.String("web")}}
		in.ClientRequestToken = aws.String("fg-token-1")
	})
	if err != nil {
		t.Fatal(err)
	}
	fp := out.FargateProfile
	if !fargateARN.MatchString(aws.ToString(fp.FargateProfileArn)) || aws.ToString(fp.FargateProfileName) != "web" || aws.ToString(fp.ClusterName) != "fg-api" ||
		fp.Status != ekstypes.FargateProfileStatusCreating || aws.ToString(fp.PodExecutionRoleArn) != role || fp.CreatedAt == nil ||
		time.Since(*fp.CreatedAt) > time.Minute || fp.Tags == nil || len(fp.Tags) != 0 || fp.Health == nil || len(fp.Health.Issues) != 0 {
		t.Errorf("created %+v", fp)
	}
	if !slices.Equal(fp.Subnets, subnets) {
		t.Errorf("subnets %v, want the cluster's private subnets %v", fp.Subnets, subnets)
	}
	if len(fp.Selectors) != 2 || aws.ToString(fp.Selectors[0].Namespace) != "prod*" || fp.Selectors[0].Labels["app?"] != "*web" || fp.Selectors[1].Labels != nil {
		t.Errorf("selectors %+v", fp.Selectors)
	}
	// The same token again is the same profile.
	again, err := create("web", func(in *eks.CreateFargateProfileInput) { in.ClientRequestToken = aws.String("fg-token-1") })
	if err != nil || aws.ToString(again.FargateProfile.FargateProfileArn) != aws.ToString(fp.FargateProfileArn) {
		t.Errorf("idempotent retry: %v", err)
	}

	// Refusals, as the SDK types them.
	var inUse *ekstypes.ResourceInUseException
	_, err = create("web")
	if !errors.As(err, &inUse) || inUse.ErrorMessage() != "A Fargate Profile already exists with this name in this cluster." || aws.ToString(inUse.ClusterName) != "fg-api" {
		t.Errorf("duplicate: %v", err)
	}
	_, err = create("api")
	if !errors.As(err, &inUse) || inUse.ErrorMessage() != "Cannot create Fargate Profile api because cluster fg-api currently has Fargate profile web in status CREATING" {
		t.Errorf("create while CREATING: %v", err)
	}
	var invalid *ekstypes.InvalidParameterException
	_, err = create("api", func(in *eks.CreateFargateProfileInput) {
		in.Selectors = []ekstypes.FargateProfileSelector{{Labels: map[string]string{"a": "b"}}}
	})
	if !errors.As(err, &invalid) || invalid.ErrorMessage() != "Fargate Profile must have at least one selector with at least one namespace value." ||
		aws.ToString(invalid.FargateProfileName) != "api" || aws.ToString(invalid.ClusterName) != "fg-api" {
		t.Errorf("selector without a namespace: %v", err)
	}
	_, err = create("api", func(in *eks.CreateFargateProfileInput) { in.PodExecutionRoleArn = aws.String(nodeRoleARN(t)) })
	if !errors.As(err, &invalid) || !strings.HasPrefix(invalid.ErrorMessage(), "Misconfigured PodExecutionRole Trust Policy") {
		t.Errorf("role without Fargate's trust: %v", err)
	}
	_, err = create("api", func(in *eks.CreateFargateProfileInput) {
		in.Subnets = []string{"subnet-0000000000000000f"}
	})
	if !errors.As(err, &invalid) {
		t.Errorf("missing subnet: %v", err)
	}
	var notFound *ekstypes.ResourceNotFoundException
	_, err = c.DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String("fg-api"), FargateProfileName: aws.String("nope")})
	if !errors.As(err, &notFound) || notFound.ErrorMessage() != "No Fargate Profile found with name: nope." ||
		aws.ToString(notFound.FargateProfileName) != "nope" || aws.ToString(notFound.ClusterName) != "fg-api" {
		t.Errorf("describe a missing profile: %v", err)
	}
	_, err = c.CreateFargateProfile(ctx, &eks.CreateFargateProfileInput{ClusterName: aws.String("fg-nope"), FargateProfileName: aws.String("x"),
		PodExecutionRoleArn: aws.String(role), Selectors: []ekstypes.FargateProfileSelector{{Namespace: aws.String("default")}}})
	if !errors.As(err, &notFound) || notFound.ErrorMessage() != "No cluster found for name: fg-nope." {
		t.Errorf("create in a missing cluster: %v", err)
	}

	// The waiter reads the status; the profile becomes ACTIVE.
	settleFargate(t, "fg-api", "web")
	if err := eks.NewFargateProfileActiveWaiter(c, func(o *eks.FargateProfileActiveWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, 10*time.Millisecond
	}).
		Wait(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String("fg-api"), FargateProfileName: aws.String("web")}, 10*time.Second); err != nil {
		t.Fatalf("wait for ACTIVE: %v", err)
	}
	for _, name := range []string{"api", "batch"} {
		if _, err := create(name); err != nil {
			t.Fatal(err)
		}
		settleFargate(t, "fg-api", name)
	}

	// ListFargateProfiles pages one name at a time, in name order.
	var names []string
	pages := eks.NewListFargateProfilesPaginator(c, &eks.ListFargateProfilesInput{ClusterName: aws.String("fg-api"), MaxResults: aws.Int32(1)})
	for pages.HasMorePages() {
		p, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.FargateProfileNames) > 1 {
			t.Fatalf("a page of %d with maxResults 1", len(p.FargateProfileNames))
		}
		names = append(names, p.FargateProfileNames...)
	}
	if !slices.Equal(names, []string{"api", "batch", "web"}) {
		t.Errorf("listed %v", names)
	}
	all, err := c.ListFargateProfiles(ctx, &eks.ListFargateProfilesInput{ClusterName: aws.String("fg-api")})
	if err != nil || len(all.FargateProfileNames) != 3 || all.NextToken != nil {
		t.Errorf("one page: %v %+v", err, all)
	}
	for _, q := range []string{"maxResults=0", "maxResults=101", "nextToken=garbage"} {
		rawCode, typ, body := rawEKSIn(t, fargateRegion, http.MethodGet, "/clusters/fg-api/fargate-profiles", q, "")
		if rawCode != http.StatusBadRequest || typ != "InvalidParameterException" {
			t.Errorf("list with %s: %d %s %s", q, rawCode, typ, body)
		}
	}

	// Tags on the profile's ARN.
	arn := fp.FargateProfileArn
	if _, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: arn, Tags: map[string]string{"team": "web"}}); err != nil {
		t.Fatal(err)
	}
	if tags, err := c.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: arn}); err != nil || tags.Tags["team"] != "web" {
		t.Errorf("tags %v %v", err, tags)
	}
	if d, err := c.DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String("fg-api"), FargateProfileName: aws.String("web")}); err != nil ||
		d.FargateProfile.Tags["team"] != "web" || d.FargateProfile.Status != ekstypes.FargateProfileStatusActive {
		t.Errorf("describe: %v", err)
	}
	if _, err := c.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}

	// A cluster with profiles is not deleted.
	_, err = c.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("fg-api")})
	if !errors.As(err, &inUse) || inUse.ErrorMessage() != "Cluster has Fargate Profiles in ACTIVE/CREATING state" {
		t.Errorf("delete the cluster: %v", err)
	}

	// Delete: DELETING, one at a time, then 404 for the waiter.
	del, err := c.DeleteFargateProfile(ctx, &eks.DeleteFargateProfileInput{ClusterName: aws.String("fg-api"), FargateProfileName: aws.String("web")})
	if err != nil || del.FargateProfile.Status != ekstypes.FargateProfileStatusDeleting {
		t.Fatalf("delete: %v", err)
	}
	_, err = c.DeleteFargateProfile(ctx, &eks.DeleteFargateProfileInput{ClusterName: aws.String("fg-api"), FargateProfileName: aws.String("api")})
	if !errors.As(err, &inUse) || inUse.ErrorMessage() != "Cannot Delete Fargate Profile api because cluster fg-api currently has Fargate profile web in status DELETING" {
		t.Errorf("delete while DELETING: %v", err)
	}
	settleFargate(t, "fg-api", "web")
	if err := eks.NewFargateProfileDeletedWaiter(c, func(o *eks.FargateProfileDeletedWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, 10*time.Millisecond
	}).
		Wait(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String("fg-api"), FargateProfileName: aws.String("web")}, 10*time.Second); err != nil {
		t.Fatalf("wait for the deletion: %v", err)
	}
	_, err = c.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: arn})
	if code := apiErrorCode(t, err); code != "NotFoundException" {
		t.Errorf("tags of a deleted profile: %v", err)
	}
}

// TestFargateProfileAuthorization: CreateFargateProfile is authorized on
// the cluster and passes the pod execution role; Describe and Delete on
// the profile's ARN.
func TestFargateProfileAuthorization(t *testing.T) {
	ctx := context.Background()
	fargateCluster(t, "fg-authz", "10.71.0.0/16")
	role := fargatePodRole(t)
	account := testServer.models.Bootstrap.AccountID
	clusterARN := "arn:aws:eks:" + fargateRegion + ":" + account + ":cluster/fg-authz"
	u := newUser(t, "fargate-operator", nil, `{"Version":"2012-10-17","Statement":[`+
		`{"Effect":"Allow","Action":"eks:CreateFargateProfile","Resource":"`+clusterARN+`","Condition":{"StringEquals":{"aws:RequestTag/team":"web"}}},`+
		`{"Effect":"Allow","Action":["eks:DescribeFargateProfile","eks:ListFargateProfiles"],"Resource":["arn:aws:eks:*:*:fargateprofile/fg-authz/*","`+clusterARN+`"]}]}`)
	c := eks.NewFromConfig(func() aws.Config { cfg := u.cfg; cfg.Region = fargateRegion; return cfg }())
	in := &eks.CreateFargateProfileInput{ClusterName: aws.String("fg-authz"), FargateProfileName: aws.String("web"), PodExecutionRoleArn: aws.String(role),
		Selectors: []ekstypes.FargateProfileSelector{{Namespace: aws.String("default")}}, Tags: map[string]string{"team": "ops"}}
	_, err := c.CreateFargateProfile(ctx, in)
	denied(t, err, "AccessDeniedException", u.arn, "eks:CreateFargateProfile", clusterARN, "because no identity-based policy allows")
	in.Tags["team"] = "web"
	_, err = c.CreateFargateProfile(ctx, in)
	denied(t, err, "AccessDeniedException", u.arn, "iam:PassRole", role, "because no identity-based policy allows")

	admin := eks.NewFromConfig(fargateConfig())
	out, err := admin.CreateFargateProfile(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String("fg-authz"), FargateProfileName: aws.String("web")}); err != nil {
		t.Errorf("describe on the profile ARN pattern: %v", err)
	}
	if _, err := c.ListFargateProfiles(ctx, &eks.ListFargateProfilesInput{ClusterName: aws.String("fg-authz")}); err != nil {
		t.Errorf("list on the cluster: %v", err)
	}
	settleFargate(t, "fg-authz", "web")
	_, err = c.DeleteFargateProfile(ctx, &eks.DeleteFargateProfileInput{ClusterName: aws.String("fg-authz"), FargateProfileName: aws.String("web")})
	denied(t, err, "AccessDeniedException", u.arn, "eks:DeleteFargateProfile", aws.ToString(out.FargateProfile.FargateProfileArn), "because no identity-based policy allows")
	_, err = c.DeleteFargateProfile(ctx, &eks.DeleteFargateProfileInput{ClusterName: aws.String("fg-authz"), FargateProfileName: aws.String("nope")})
	denied(t, err, "AccessDeniedException", u.arn, "eks:DeleteFargateProfile",
		"arn:aws:eks:"+fargateRegion+":"+account+":fargateprofile/fg-authz/nope/*", "because no identity-based policy allows")
}
