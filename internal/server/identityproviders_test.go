package server_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	keks "github.com/keksdev/keks/internal/eks"
)

// TestIdentityProviderConfigsAPI drives the four OIDC identity provider
// config operations through the SDK, with describe-update, the tag
// operations on the config's ARN, and the reconciler's part (FinishUpdate
// once the API servers run the update's generation) played by the test.
func TestIdentityProviderConfigsAPI(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	const cluster = "idp-api"
	if _, err := f.create(cluster); err != nil {
		t.Fatal(err)
	}
	name := aws.String(cluster)
	acct := testServer.models.Bootstrap.AccountID
	oidc := &ekstypes.OidcIdentityProviderConfigRequest{IdentityProviderConfigName: aws.String("people"), IssuerUrl: aws.String("https://idp.example.com"),
		ClientId: aws.String("kubernetes"), UsernameClaim: aws.String("email"), GroupsClaim: aws.String("groups"), GroupsPrefix: aws.String("oidc:"),
		RequiredClaims: map[string]string{"hd": "example.com"}}
	ref := &ekstypes.IdentityProviderConfig{Type: aws.String("oidc"), Name: aws.String("people")}

	_, err := f.eks.AssociateIdentityProviderConfig(ctx, &eks.AssociateIdentityProviderConfigInput{ClusterName: name, Oidc: oidc})
	wantAPIError(t, "a CREATING cluster", err, "InvalidRequestException", "Cluster 'idp-api' is not in ACTIVE status")
	_, err = f.eks.AssociateIdentityProviderConfig(ctx, &eks.AssociateIdentityProviderConfigInput{ClusterName: aws.String("idp-nope"), Oidc: oidc})
	wantAPIError(t, "no such cluster", err, "ResourceNotFoundException", "No cluster found for name: idp-nope.")
	markActive(t, cluster)

	bad := *oidc
	bad.IssuerUrl = aws.String("http://idp.example.com")
	_, err = f.eks.AssociateIdentityProviderConfig(ctx, &eks.AssociateIdentityProviderConfigInput{ClusterName: name, Oidc: &bad})
	wantAPIError(t, "an http issuer", err, "InvalidParameterException", "must begin with https://")
	bad = *oidc
	bad.IssuerUrl = aws.String("https://idp.example.com/?tenant=x")
	_, err = f.eks.AssociateIdentityProviderConfig(ctx, &eks.AssociateIdentityProviderConfigInput{ClusterName: name, Oidc: &bad})
	wantAPIError(t, "an issuer with a query", err, "InvalidParameterException", "not query parameters")
	bad = *oidc
	bad.GroupsPrefix = aws.String("system:")
	_, err = f.eks.AssociateIdentityProviderConfig(ctx, &eks.AssociateIdentityProviderConfigInput{ClusterName: name, Oidc: &bad})
	wantAPIError(t, "a system: prefix", err, "InvalidParameterException", "the prefix can't contain system:")
	_, err = f.eks.AssociateIdentityProviderConfig(ctx, &eks.AssociateIdentityProviderConfigInput{ClusterName: name, Oidc: oidc,
		Tags: map[string]string{"aws:owner": "x"}})
	wantAPIError(t, "an aws: tag", err, "InvalidParameterException", "reserved for AWS use")

	assoc, err := f.eks.AssociateIdentityProviderConfig(ctx, &eks.AssociateIdentityProviderConfigInput{ClusterName: name, Oidc: oidc,
		Tags: map[string]string{"team": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	u := assoc.Update
	if u == nil || u.Type != ekstypes.UpdateTypeAssociateIdentityProviderConfig || u.Status != ekstypes.UpdateStatusInProgress || u.CreatedAt == nil ||
		len(u.Params) != 1 || u.Params[0].Type != ekstypes.UpdateParamTypeIdentityProviderConfig ||
		aws.ToString(u.Params[0].Value) != `[{"type":"oidc","name":"people"}]` || len(u.Errors) != 0 || assoc.Tags["team"] != "a" {
		t.Fatalf("associate: %+v", assoc)
	}
	desc, err := f.eks.DescribeIdentityProviderConfig(ctx, &eks.DescribeIdentityProviderConfigInput{ClusterName: name, IdentityProviderConfig: ref})
	if err != nil {
		t.Fatal(err)
	}
	o := desc.IdentityProviderConfig.Oidc
	arn := aws.ToString(o.IdentityProviderConfigArn)
	if !regexp.MustCompile(`^arn:aws:eks:us-east-1:`+acct+`:identityproviderconfig/idp-api/oidc/people/[0-9a-f-]{36}$`).MatchString(arn) ||
		o.Status != ekstypes.ConfigStatusCreating || aws.ToString(o.ClusterName) != cluster || aws.ToString(o.IdentityProviderConfigName) != "people" ||
		aws.ToString(o.IssuerUrl) != "https://idp.example.com" || aws.ToString(o.ClientId) != "kubernetes" || aws.ToString(o.UsernameClaim) != "email" ||
		o.UsernamePrefix != nil || aws.ToString(o.GroupsClaim) != "groups" || aws.ToString(o.GroupsPrefix) != "oidc:" ||
		o.RequiredClaims["hd"] != "example.com" || o.Tags["team"] != "a" {
		t.Fatalf("describe while associating: %+v", o)
	}
	upd, err := f.eks.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: name, UpdateId: u.Id})
	if err != nil || upd.Update.Status != ekstypes.UpdateStatusInProgress || upd.Update.Type != ekstypes.UpdateTypeAssociateIdentityProviderConfig {
		t.Fatalf("describe-update while associating: %v %+v", err, upd)
	}
	cl, err := f.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: name})
	if err != nil || cl.Cluster.Status != ekstypes.ClusterStatusUpdating {
		t.Fatalf("cluster while associating: %v %+v", err, cl)
	}

	// One config per cluster; one update at a time.
	second := *oidc
	second.IdentityProviderConfigName = aws.String("others")
	_, err = f.eks.AssociateIdentityProviderConfig(ctx, &eks.AssociateIdentityProviderConfigInput{ClusterName: name, Oidc: &second})
	wantAPIError(t, "a second config", err, "InvalidRequestException", "already has the identity provider config people")
	_, err = f.eks.DisassociateIdentityProviderConfig(ctx, &eks.DisassociateIdentityProviderConfigInput{ClusterName: name, IdentityProviderConfig: ref})
	wantAPIError(t, "disassociating while associating", err, "InvalidRequestException", "Identity provider config is not associated with cluster idp-api")

	// The control plane runs the update's generation: the reconciler
	// finishes the update.
	finishUpdates(t, cluster)
	upd, err = f.eks.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: name, UpdateId: u.Id})
	if err != nil || upd.Update.Status != ekstypes.UpdateStatusSuccessful {
		t.Fatalf("describe-update after the rollout: %v %+v", err, upd)
	}
	desc, err = f.eks.DescribeIdentityProviderConfig(ctx, &eks.DescribeIdentityProviderConfigInput{ClusterName: name, IdentityProviderConfig: ref})
	if err != nil || desc.IdentityProviderConfig.Oidc.Status != ekstypes.ConfigStatusActive {
		t.Fatalf("describe after the rollout: %v %+v", err, desc)
	}
	list, err := f.eks.ListIdentityProviderConfigs(ctx, &eks.ListIdentityProviderConfigsInput{ClusterName: name, MaxResults: aws.Int32(1)})
	if err != nil || len(list.IdentityProviderConfigs) != 1 || aws.ToString(list.IdentityProviderConfigs[0].Name) != "people" ||
		aws.ToString(list.IdentityProviderConfigs[0].Type) != "oidc" || list.NextToken != nil {
		t.Fatalf("list: %v %+v", err, list)
	}
	_, err = f.eks.ListIdentityProviderConfigs(ctx, &eks.ListIdentityProviderConfigsInput{ClusterName: name, MaxResults: aws.Int32(101)})
	wantAPIError(t, "maxResults 101", err, "InvalidParameterException", "less than or equal to 100")

	// Tags on the config's ARN.
	if _, err := f.eks.TagResource(ctx, &eks.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"owner": "me"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eks.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := f.eks.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["owner"] != "me" {
		t.Fatalf("tags: %v %+v", err, tags)
	}

	// Names that are not the config's.
	_, err = f.eks.DescribeIdentityProviderConfig(ctx, &eks.DescribeIdentityProviderConfigInput{ClusterName: name,
		IdentityProviderConfig: &ekstypes.IdentityProviderConfig{Type: aws.String("oidc"), Name: aws.String("others")}})
	wantAPIError(t, "describe of another name", err, "ResourceNotFoundException", "No config found for cluster: idp-api, config type: oidc, config name: others")
	_, err = f.eks.DisassociateIdentityProviderConfig(ctx, &eks.DisassociateIdentityProviderConfigInput{ClusterName: name,
		IdentityProviderConfig: &ekstypes.IdentityProviderConfig{Type: aws.String("saml"), Name: aws.String("people")}})
	wantAPIError(t, "disassociation of another type", err, "InvalidParameterException", "Unsupported identity provider config type: saml")

	dis, err := f.eks.DisassociateIdentityProviderConfig(ctx, &eks.DisassociateIdentityProviderConfigInput{ClusterName: name, IdentityProviderConfig: ref})
	if err != nil {
		t.Fatal(err)
	}
	d := dis.Update
	if d.Type != ekstypes.UpdateTypeDisassociateIdentityProviderConfig || d.Status != ekstypes.UpdateStatusInProgress || len(d.Params) != 1 ||
		d.Params[0].Type != ekstypes.UpdateParamTypeIdentityProviderConfig || aws.ToString(d.Params[0].Value) != "[]" {
		t.Fatalf("disassociate: %+v", d)
	}
	desc, err = f.eks.DescribeIdentityProviderConfig(ctx, &eks.DescribeIdentityProviderConfigInput{ClusterName: name, IdentityProviderConfig: ref})
	if err != nil || desc.IdentityProviderConfig.Oidc.Status != ekstypes.ConfigStatusDeleting || desc.IdentityProviderConfig.Oidc.Tags["owner"] != "me" {
		t.Fatalf("describe while disassociating: %v %+v", err, desc)
	}
	c, err := testServer.models.EKS.GetCluster(ctx, "us-east-1", cluster)
	if err != nil || c.ActiveOIDCIdentityProvider() != nil || c.Spec.OIDCIdentityProvider.Status != keks.IdentityProviderDeleting {
		t.Fatalf("the API servers should run without a DELETING config: %v %+v", err, c.ActiveOIDCIdentityProvider())
	}
	finishUpdates(t, cluster)
	_, err = f.eks.DescribeIdentityProviderConfig(ctx, &eks.DescribeIdentityProviderConfigInput{ClusterName: name, IdentityProviderConfig: ref})
	wantAPIError(t, "describe after the disassociation", err, "ResourceNotFoundException", "No config found for cluster: idp-api, config type: oidc, config name: people")
	list, err = f.eks.ListIdentityProviderConfigs(ctx, &eks.ListIdentityProviderConfigsInput{ClusterName: name})
	if err != nil || len(list.IdentityProviderConfigs) != 0 {
		t.Fatalf("list after the disassociation: %v %+v", err, list)
	}
	_, err = f.eks.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	wantAPIError(t, "tags of a disassociated config", err, "NotFoundException", "Resource not found")
	upds, err := f.eks.ListUpdates(ctx, &eks.ListUpdatesInput{Name: name})
	if err != nil || len(upds.UpdateIds) != 2 {
		t.Fatalf("updates: %v %+v", err, upds)
	}
	_, err = f.eks.ListIdentityProviderConfigs(ctx, &eks.ListIdentityProviderConfigsInput{ClusterName: aws.String("idp-nope")})
	wantAPIError(t, "list of no such cluster", err, "ResourceNotFoundException", "No cluster found for name: idp-nope.")
}

// TestIdentityProviderConfigAuthz holds the operations to their IAM
// resources and condition keys: associate on the cluster with
// eks:issuerUrl and eks:clientId, describe and disassociate on the
// config's ARN, list on the cluster.
func TestIdentityProviderConfigAuthz(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	const cluster = "idp-authz"
	if _, err := f.create(cluster); err != nil {
		t.Fatal(err)
	}
	markActive(t, cluster)
	acct := testServer.models.Bootstrap.AccountID
	clusterARN := "arn:aws:eks:us-east-1:" + acct + ":cluster/" + cluster
	// As EKS's user guide has it: only Cognito issuers, only the kubernetes client.
	u := newUser(t, "idp-authz-user", nil, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Deny","Action":"eks:AssociateIdentityProviderConfig","Resource":"`+clusterARN+`",
		 "Condition":{"StringNotLikeIfExists":{"eks:issuerUrl":"https://cognito-idp.us-east-1.amazonaws.com/*"}}},
		{"Effect":"Deny","Action":"eks:AssociateIdentityProviderConfig","Resource":"`+clusterARN+`",
		 "Condition":{"StringNotEquals":{"eks:clientId":"kubernetes"}}},
		{"Effect":"Allow","Action":["eks:AssociateIdentityProviderConfig","eks:ListIdentityProviderConfigs"],"Resource":"`+clusterARN+`"},
		{"Effect":"Allow","Action":"eks:DescribeIdentityProviderConfig","Resource":"arn:aws:eks:us-east-1:`+acct+`:identityproviderconfig/`+cluster+`/oidc/*"}]}`)
	c := eks.NewFromConfig(u.cfg)
	req := func(issuer, client string) *eks.AssociateIdentityProviderConfigInput {
		return &eks.AssociateIdentityProviderConfigInput{ClusterName: aws.String(cluster), Oidc: &ekstypes.OidcIdentityProviderConfigRequest{
			IdentityProviderConfigName: aws.String("cognito"), IssuerUrl: aws.String(issuer), ClientId: aws.String(client)}}
	}
	_, err := c.AssociateIdentityProviderConfig(ctx, req("https://idp.example.com", "kubernetes"))
	denied(t, err, "AccessDeniedException", u.arn, "eks:AssociateIdentityProviderConfig", clusterARN, "with an explicit deny in an identity-based policy")
	_, err = c.AssociateIdentityProviderConfig(ctx, req("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc", "other"))
	denied(t, err, "AccessDeniedException", u.arn, "eks:AssociateIdentityProviderConfig", clusterARN, "with an explicit deny in an identity-based policy")
	if _, err := c.AssociateIdentityProviderConfig(ctx, req("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc", "kubernetes")); err != nil {
		t.Fatalf("an allowed association: %v", err)
	}
	if _, err := c.ListIdentityProviderConfigs(ctx, &eks.ListIdentityProviderConfigsInput{ClusterName: aws.String(cluster)}); err != nil {
		t.Fatalf("list: %v", err)
	}
	ref := &ekstypes.IdentityProviderConfig{Type: aws.String("oidc"), Name: aws.String("cognito")}
	desc, err := c.DescribeIdentityProviderConfig(ctx, &eks.DescribeIdentityProviderConfigInput{ClusterName: aws.String(cluster), IdentityProviderConfig: ref})
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	_, err = c.DisassociateIdentityProviderConfig(ctx, &eks.DisassociateIdentityProviderConfigInput{ClusterName: aws.String(cluster), IdentityProviderConfig: ref})
	denied(t, err, "AccessDeniedException", u.arn, "eks:DisassociateIdentityProviderConfig", aws.ToString(desc.IdentityProviderConfig.Oidc.IdentityProviderConfigArn),
		"because no identity-based policy allows")
	// A config that does not exist is named with "*" for its UUID.
	_, err = c.DisassociateIdentityProviderConfig(ctx, &eks.DisassociateIdentityProviderConfigInput{ClusterName: aws.String(cluster),
		IdentityProviderConfig: &ekstypes.IdentityProviderConfig{Type: aws.String("oidc"), Name: aws.String("nope")}})
	denied(t, err, "AccessDeniedException", u.arn, "eks:DisassociateIdentityProviderConfig",
		"arn:aws:eks:us-east-1:"+acct+":identityproviderconfig/"+cluster+"/oidc/nope/*", "because no identity-based policy allows")
	finishUpdates(t, cluster)
}
