package server_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// SSM is served at keks's front door: a policy on AWS's account-less ARN
// of the public EKS AMI parameters (what Karpenter's role needs for
// al2023@latest) reads those and nothing of the account's; a user with
// no policy reads nothing; the admin writes and reads its own.
func TestSSMAuthorization(t *testing.T) {
	ctx := context.Background()
	public := "/aws/service/eks/optimized-ami/1.37/amazon-linux-2023/x86_64/standard/recommended/image_id"
	admin := ssm.NewFromConfig(awsConfig())
	if _, err := admin.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/authz/secret"), Value: aws.String("v"), Type: types.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}
	if out, err := admin.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(public)}); err != nil || aws.ToString(out.Parameter.Value) != "ami-keks-1-37-2-20261101" {
		t.Fatalf("admin public read: %+v, %v", out, err)
	}

	amis := newUser(t, "ssm-amis", nil, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter",
		"Resource":"arn:aws:ssm:*::parameter/aws/service/eks/optimized-ami/*"}]}`)
	c := ssm.NewFromConfig(amis.cfg)
	if _, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(public)}); err != nil {
		t.Fatalf("public read: %v", err)
	}
	_, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/authz/secret")})
	denied(t, err, "AccessDeniedException", amis.arn, "ssm:GetParameter",
		"arn:aws:ssm:us-east-1:"+testServer.models.Bootstrap.AccountID+":parameter/authz/secret", "")

	nobody := newUser(t, "ssm-nobody", nil)
	_, err = ssm.NewFromConfig(nobody.cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(public)})
	denied(t, err, "AccessDeniedException", nobody.arn, "ssm:GetParameter", "arn:aws:ssm:us-east-1::parameter"+public,
		"because no identity-based policy allows the ssm:GetParameter action")
}
