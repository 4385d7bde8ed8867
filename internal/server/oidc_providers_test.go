package server_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// TestOIDCProviders drives IAM's OpenID Connect provider API through
// aws-sdk-go-v2 as eksctl's associate-iam-oidc-provider and Terraform do.
func TestOIDCProviders(t *testing.T) {
	ctx := context.Background()
	c := iam.NewFromConfig(awsConfig())
	const issuer = "https://oidc.example/id/OPS0123456789ABCDEF"
	const print = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
	made, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String(issuer), ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{print}, Tags: tagList("alpha.eksctl.io/cluster-name", "ops"),
	})
	mustOK(t, "create", err)
	arn := aws.ToString(made.OpenIDConnectProviderArn)
	if !strings.HasPrefix(arn, "arn:aws:iam::") || !strings.HasSuffix(arn, ":oidc-provider/oidc.example/id/OPS0123456789ABCDEF") || len(made.Tags) != 1 {
		t.Fatalf("create: ARN %s, tags %v", arn, made.Tags)
	}

	_, err = c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(issuer), ClientIDList: []string{"sts.amazonaws.com"}})
	wantCode(t, "the same URL again", err, "EntityAlreadyExists")
	_, err = c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("http://oidc.example/id/plain")})
	wantCode(t, "an http URL", err, "ValidationError")
	_, err = c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://oidc.example/id/x"), ThumbprintList: []string{"abc"}})
	wantCode(t, "a short thumbprint", err, "ValidationError")
	_, err = c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://oidc.example/id/x"), ThumbprintList: []string{print, "1" + print[1:], "2" + print[1:], "3" + print[1:], "4" + print[1:], "5" + print[1:]}})
	wantCode(t, "six thumbprints", err, "LimitExceeded")

	got, err := c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	mustOK(t, "get", err)
	if aws.ToString(got.Url) != "oidc.example/id/OPS0123456789ABCDEF" || !slices.Equal(got.ClientIDList, []string{"sts.amazonaws.com"}) ||
		!slices.Equal(got.ThumbprintList, []string{print}) || got.CreateDate == nil || len(got.Tags) != 1 {
		t.Fatalf("get: %+v", got)
	}
	list, err := c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	mustOK(t, "list", err)
	if !slices.ContainsFunc(list.OpenIDConnectProviderList, func(e iamtypes.OpenIDConnectProviderListEntry) bool { return aws.ToString(e.Arn) == arn }) {
		t.Fatalf("list lacks %s", arn)
	}

	_, err = c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("kubectl")})
	mustOK(t, "add client ID", err)
	_, err = c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("kubectl")})
	mustOK(t, "add it again", err)
	_, err = c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("sts.amazonaws.com")})
	mustOK(t, "remove client ID", err)
	newPrint := "0" + print[1:]
	_, err = c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: aws.String(arn), ThumbprintList: []string{newPrint}})
	mustOK(t, "update thumbprint", err)
	_, err = c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), Tags: tagList("team", "ops")})
	mustOK(t, "tag", err)
	_, err = c.UntagOpenIDConnectProvider(ctx, &iam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), TagKeys: []string{"alpha.eksctl.io/cluster-name"}})
	mustOK(t, "untag", err)
	tags, err := c.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(arn)})
	mustOK(t, "list tags", err)
	got, err = c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	mustOK(t, "get after changes", err)
	if !slices.Equal(got.ClientIDList, []string{"kubectl"}) || !slices.Equal(got.ThumbprintList, []string{newPrint}) ||
		len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" {
		t.Fatalf("after changes: client IDs %v, thumbprints %v, tags %v", got.ClientIDList, got.ThumbprintList, tags.Tags)
	}

	_, err = c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	mustOK(t, "delete", err)
	_, err = c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	wantCode(t, "get after delete", err, "NoSuchEntity")
	// IAM documents the deletion as idempotent.
	_, err = c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	mustOK(t, "delete again", err)
}
