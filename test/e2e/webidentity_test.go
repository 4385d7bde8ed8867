package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keksdev/keks/test/harness"
)

// webIdentity is IRSA's exchange with the cluster's own issuer, driven by
// the AWS CLI and kubectl as `eksctl utils associate-iam-oidc-provider` and
// the SDKs do it: the issuer registered as an IAM OIDC provider, a role
// trusting one service account, that account's token (audience
// sts.amazonaws.com, projected as the pod identity webhook would ask)
// exchanged unsigned with STS, which fetches the issuer's keys over HTTPS.
func webIdentity(t *testing.T, e *harness.Env, issuer string) {
	provider, roleARN := irsaRole(e, issuer, "default", "irsa-app", "irsa-app")
	host := strings.TrimPrefix(issuer, "https://")

	e.Run("kubectl", "create", "serviceaccount", "irsa-app")
	e.Run("kubectl", "create", "serviceaccount", "irsa-other")
	token := strings.TrimSpace(e.Run("kubectl", "create", "token", "irsa-app", "--audience", "sts.amazonaws.com"))
	var out struct {
		SubjectFromWebIdentityToken, Provider, Audience string
		AssumedRoleUser                                 struct{ Arn string }
		Credentials                                     struct{ AccessKeyId string }
	}
	e.JSON(&out, "aws", "sts", "assume-role-with-web-identity", "--role-arn", roleARN, "--role-session-name", "irsa-e2e", "--web-identity-token", token)
	if out.SubjectFromWebIdentityToken != "system:serviceaccount:default:irsa-app" || out.Provider != provider ||
		out.Audience != "sts.amazonaws.com" || !strings.HasSuffix(out.AssumedRoleUser.Arn, ":assumed-role/irsa-app/irsa-e2e") || out.Credentials.AccessKeyId == "" {
		t.Fatalf("assume-role-with-web-identity: %+v", out)
	}

	other := strings.TrimSpace(e.Run("kubectl", "create", "token", "irsa-other", "--audience", "sts.amazonaws.com"))
	if _, err := e.Try("aws", "sts", "assume-role-with-web-identity", "--role-arn", roleARN, "--role-session-name", "irsa-e2e", "--web-identity-token", other); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("another service account's token: %v, want AccessDenied", err)
	}
	wrongAudience := strings.TrimSpace(e.Run("kubectl", "create", "token", "irsa-app"))
	if _, err := e.Try("aws", "sts", "assume-role-with-web-identity", "--role-arn", roleARN, "--role-session-name", "irsa-e2e", "--web-identity-token", wrongAudience); err == nil || !strings.Contains(err.Error(), "InvalidIdentityToken") {
		t.Fatalf("a token for the API server's audience: %v, want InvalidIdentityToken", err)
	}
	t.Logf("a token of %s's issuer became %s", host, out.AssumedRoleUser.Arn)
}

// irsaRole registers a cluster's issuer as an IAM OIDC provider, as
// `eksctl utils associate-iam-oidc-provider` does, and makes a role that
// trusts one service account's tokens for sts.amazonaws.com, as the EKS
// guide writes it. It returns the provider's and the role's ARNs.
func irsaRole(e *harness.Env, issuer, namespace, serviceAccount, roleName string) (provider, role string) {
	var made struct{ OpenIDConnectProviderArn string }
	e.JSON(&made, "aws", "iam", "create-open-id-connect-provider", "--url", issuer, "--client-id-list", "sts.amazonaws.com")
	host := strings.TrimPrefix(issuer, "https://")
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},"Action":"sts:AssumeRoleWithWebIdentity",`+
		`"Condition":{"StringEquals":{%q:%q,%q:"sts.amazonaws.com"}}}]}`, made.OpenIDConnectProviderArn, host+":sub", "system:serviceaccount:"+namespace+":"+serviceAccount, host+":aud")
	var r struct{ Role struct{ Arn string } }
	e.JSON(&r, "aws", "iam", "create-role", "--role-name", roleName, "--assume-role-policy-document", trust)
	return made.OpenIDConnectProviderArn, r.Role.Arn
}
