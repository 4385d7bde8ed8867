package server_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// podIdentityRole makes (once) a role that EKS Pod Identity may assume, as
// EKS's documentation writes its trust policy.
func podIdentityRole(t *testing.T, name string) string {
	t.Helper()
	ctx := context.Background()
	c := iam.NewFromConfig(awsConfig())
	if r, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)}); err == nil {
		return aws.ToString(r.Role.Arn)
	}
	r, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"AllowEksAuthToAssumeRoleForPodIdentity","Effect":"Allow",` +
			`"Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(r.Role.Arn)
}

// TestPodIdentityAssociationsAPI drives the five association operations and
// the tag operations on an association's ARN through the SDK, on a
// cluster still CREATING.
func TestPodIdentityAssociationsAPI(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if _, err := f.create("pia-api"); err != nil {
		t.Fatal(err)
	}
	name := aws.String("pia-api")
	acct := testServer.models.Bootstrap.AccountID
	role := podIdentityRole(t, "pia-app")
	other := podIdentityRole(t, "pia-other")

	created, err := f.eks.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: name,
		Namespace: aws.String("default"), ServiceAccount: aws.String("app"), RoleArn: aws.String(role), Tags: map[string]string{"team": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	a := created.Association
	id := aws.ToString(a.AssociationId)
	if !regexp.MustCompile(`^a-[a-z0-9]{17}$`).MatchString(id) {
		t.Errorf("association id %q", id)
	}
	if aws.ToString(a.AssociationArn) != "arn:aws:eks:us-east-1:"+acct+":podidentityassociation/pia-api/"+id ||
		aws.ToString(a.ClusterName) != "pia-api" || aws.ToString(a.Namespace) != "default" || aws.ToString(a.ServiceAccount) != "app" ||
		aws.ToString(a.RoleArn) != role || a.Tags["team"] != "a" || a.CreatedAt == nil || a.ModifiedAt == nil ||
		a.OwnerArn != nil || a.ExternalId != nil || a.TargetRoleArn != nil || aws.ToBool(a.DisableSessionTags) {
		t.Errorf("created %+v", a)
	}
	_, err = f.eks.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: name,
		Namespace: aws.String("default"), ServiceAccount: aws.String("app"), RoleArn: aws.String(other)})
	var inUse *ekstypes.ResourceInUseException
	if !errors.As(err, &inUse) || !strings.Contains(err.Error(), "Association already exists: "+id) {
		t.Errorf("duplicate: %v", err)
	}

	// A second one, with a target role in another account: it has an external id.
	target := "arn:aws:iam::999988887777:role/pia-remote"
	second, err := f.eks.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: name,
		Namespace: aws.String("kube-system"), ServiceAccount: aws.String("aws-node"), RoleArn: aws.String(other), TargetRoleArn: aws.String(target)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(second.Association.TargetRoleArn) != target || aws.ToString(second.Association.ExternalId) == "" {
		t.Errorf("with a target role %+v", second.Association)
	}

	described, err := f.eks.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: name, AssociationId: aws.String(id)})
	if err != nil || aws.ToString(described.Association.AssociationArn) != aws.ToString(a.AssociationArn) || described.Association.Tags["team"] != "a" {
		t.Fatalf("describe: %v %+v", err, described)
	}

	list, err := f.eks.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: name, Namespace: aws.String("default")})
	if err != nil || len(list.Associations) != 1 || aws.ToString(list.Associations[0].AssociationId) != id ||
		aws.ToString(list.Associations[0].ServiceAccount) != "app" || aws.ToString(list.Associations[0].ClusterName) != "pia-api" || list.NextToken != nil {
		t.Errorf("list of default: %v %+v", err, list)
	}
	var seen []string
	p := eks.NewListPodIdentityAssociationsPaginator(f.eks, &eks.ListPodIdentityAssociationsInput{ClusterName: name, MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Associations {
			seen = append(seen, aws.ToString(s.Namespace)+"/"+aws.ToString(s.ServiceAccount))
		}
	}
	if strings.Join(seen, ",") != "default/app,kube-system/aws-node" {
		t.Errorf("pages of one: %v", seen)
	}
	_, err = f.eks.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: name, MaxResults: aws.Int32(101)})
	wantAPIError(t, "maxResults 101", err, "InvalidParameterException", "less than or equal to 100")

	updated, err := f.eks.UpdatePodIdentityAssociation(ctx, &eks.UpdatePodIdentityAssociationInput{ClusterName: name, AssociationId: aws.String(id),
		RoleArn: aws.String(other), DisableSessionTags: aws.Bool(true),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	u := updated.Association
	if aws.ToString(u.RoleArn) != other || !aws.ToBool(u.DisableSessionTags) || !strings.Contains(aws.ToString(u.Policy), "s3:GetObject") ||
		aws.ToString(u.Namespace) != "default" || !u.CreatedAt.Equal(*a.CreatedAt) {
		t.Errorf("updated %+v", u)
	}
	_, err = f.eks.UpdatePodIdentityAssociation(ctx, &eks.UpdatePodIdentityAssociationInput{ClusterName: name, AssociationId: aws.String(id),
		DisableSessionTags: aws.Bool(false)})
	wantAPIError(t, "session tags back on under a policy", err, "InvalidParameterException", "disableSessionTags must be true")

	// Tags on the association's ARN.
	arn := aws.ToString(a.AssociationArn)
	if _, err := f.eks.TagResource(ctx, &eks.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"owner": "me"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eks.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := f.eks.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["owner"] != "me" {
		t.Errorf("tags: %v %v", err, tags)
	}

	deleted, err := f.eks.DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{ClusterName: name, AssociationId: aws.String(id)})
	if err != nil || aws.ToString(deleted.Association.AssociationId) != id || deleted.Association.Tags["owner"] != "me" {
		t.Fatalf("delete: %v %+v", err, deleted)
	}
	_, err = f.eks.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: name, AssociationId: aws.String(id)})
	var notFound *ekstypes.ResourceNotFoundException
	if !errors.As(err, &notFound) || !strings.Contains(err.Error(), "Association not found: "+id) {
		t.Errorf("describe deleted: %v", err)
	}
	_, err = f.eks.DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{ClusterName: name, AssociationId: aws.String("a-1234")})
	wantAPIError(t, "short id", err, "InvalidParameterException", "The parameter associationId should be 19 characters long.")
	_, err = f.eks.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	wantAPIError(t, "tags of a deleted association", err, "NotFoundException", "Resource not found")
	_, err = f.eks.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String("pia-nope")})
	wantAPIError(t, "no cluster", err, "ResourceNotFoundException", "No cluster found for name: pia-nope.")

	// Input rules, as EKS applies them.
	cases := []struct {
		what string
		in   eks.CreatePodIdentityAssociationInput
		msg  string
	}{
		{"role of another account", eks.CreatePodIdentityAssociationInput{RoleArn: aws.String("arn:aws:iam::999988887777:role/x")}, "cluster's account"},
		{"no such role", eks.CreatePodIdentityAssociationInput{RoleArn: aws.String("arn:aws:iam::" + acct + ":role/pia-ghost")}, "Role provided in the request does not exist"},
		{"role that does not trust Pod Identity", eks.CreatePodIdentityAssociationInput{RoleArn: aws.String(f.roleARN)}, "Trust policy of the role provided is invalid"},
		{"not a role", eks.CreatePodIdentityAssociationInput{RoleArn: aws.String(testServer.models.Bootstrap.UserARN)}, "The roleArn parameter format is not valid"},
		{"bad namespace", eks.CreatePodIdentityAssociationInput{RoleArn: aws.String(role), Namespace: aws.String("Not_A_Namespace")}, "not a valid Kubernetes namespace name"},
		{"policy with session tags", eks.CreatePodIdentityAssociationInput{RoleArn: aws.String(role), Policy: aws.String(`{}`)}, "disableSessionTags must be true"},
	}
	for _, tc := range cases {
		tc.in.ClusterName = name
		if tc.in.Namespace == nil {
			tc.in.Namespace = aws.String("rules")
		}
		tc.in.ServiceAccount = aws.String("rules")
		_, err := f.eks.CreatePodIdentityAssociation(ctx, &tc.in)
		wantAPIError(t, tc.what, err, "InvalidParameterException", tc.msg)
	}
}

// TestPodIdentityAssociationPassesTheRole: creating an association passes
// its role to EKS Pod Identity, so the caller needs iam:PassRole for it.
func TestPodIdentityAssociationPassesTheRole(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if _, err := f.create("pia-pass"); err != nil {
		t.Fatal(err)
	}
	role := podIdentityRole(t, "pia-pass-app")
	onlyEKS := newUser(t, "pia-eks-only", nil, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"}]}`)
	in := &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String("pia-pass"), Namespace: aws.String("default"),
		ServiceAccount: aws.String("app"), RoleArn: aws.String(role)}
	_, err := eks.NewFromConfig(onlyEKS.cfg).CreatePodIdentityAssociation(ctx, in)
	denied(t, err, "AccessDeniedException", onlyEKS.arn, "iam:PassRole", role, "because no identity-based policy allows")

	// Passing it to EKS itself is not passing it to Pod Identity.
	wrong := newUser(t, "pia-pass-wrong", nil, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"},`+
		`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"eks.amazonaws.com"}}}]}`)
	_, err = eks.NewFromConfig(wrong.cfg).CreatePodIdentityAssociation(ctx, in)
	denied(t, err, "AccessDeniedException", wrong.arn, "iam:PassRole", role, "because no identity-based policy allows")

	right := newUser(t, "pia-pass-right", nil, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"},`+
		`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"pods.eks.amazonaws.com"},`+
		`"ArnLike":{"iam:AssociatedResourceARN":"arn:aws:eks:*:*:cluster/pia-pass"}}}]}`)
	out, err := eks.NewFromConfig(right.cfg).CreatePodIdentityAssociation(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	// The association's own ARN is what describe, update and delete act on.
	id := aws.ToString(out.Association.AssociationId)
	_, err = eks.NewFromConfig(onlyEKS.cfg).DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: aws.String("pia-pass"), AssociationId: aws.String(id)})
	if err != nil {
		t.Errorf("describe with eks:*: %v", err)
	}
	viewer := newUser(t, "pia-viewer", nil, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"},`+
		`{"Effect":"Deny","Action":"eks:DeletePodIdentityAssociation","Resource":"arn:aws:eks:*:*:podidentityassociation/pia-pass/*"}]}`)
	_, err = eks.NewFromConfig(viewer.cfg).DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{ClusterName: aws.String("pia-pass"), AssociationId: aws.String(id)})
	denied(t, err, "AccessDeniedException", viewer.arn, "eks:DeletePodIdentityAssociation", aws.ToString(out.Association.AssociationArn), "explicit deny")
}
