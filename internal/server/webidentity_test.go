package server_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/golang-jwt/jwt/v5"

	"github.com/keksdev/keks/internal/oidc"
)

// testIssuer is an OpenID Connect issuer over HTTPS, as a cluster's is:
// its discovery document and key set under /id/TEST, and tokens it signs.
type testIssuer struct {
	url string
	key *rsa.PrivateKey
}

func newTestIssuer(t *testing.T) (*testIssuer, *httptest.Server) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss := &testIssuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /id/TEST/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": iss.url, "jwks_uri": iss.url + "/keys", "id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("GET /id/TEST/keys", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k1",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	iss.url = srv.URL + "/id/TEST"
	return iss, srv
}

// token is a service account token as the kubelet projects it for IRSA.
func (i *testIssuer) token(t *testing.T, sub, aud string, exp time.Time, key *rsa.PrivateKey) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": i.url, "sub": sub, "aud": []string{aud}, "exp": exp.Unix(), "iat": time.Now().Unix()})
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAssumeRoleWithWebIdentity: the IRSA exchange through aws-sdk-go-v2,
// unsigned as the SDK's web identity provider sends it: a token of a
// registered issuer, for the audience and subject the role's trust policy
// names, gets the role's session; every other token is refused with
// STS's errors.
func TestAssumeRoleWithWebIdentity(t *testing.T) {
	ctx := context.Background()
	issuer, srv := newTestIssuer(t)
	keys := testServer.models.IAM.WebIdentityKeys
	testServer.models.IAM.WebIdentityKeys = &oidc.Verifier{Client: srv.Client(), Now: time.Now}
	t.Cleanup(func() { testServer.models.IAM.WebIdentityKeys = keys })

	admin := iam.NewFromConfig(awsConfig())
	host := strings.TrimPrefix(issuer.url, "https://")
	made, err := admin.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(issuer.url), ClientIDList: []string{"sts.amazonaws.com"}})
	mustOK(t, "create provider", err)
	t.Cleanup(func() {
		_, _ = admin.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: made.OpenIDConnectProviderArn})
	})
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{%q:"system:serviceaccount:default:app",%q:"sts.amazonaws.com"}}}]}`,
		aws.ToString(made.OpenIDConnectProviderArn), host+":sub", host+":aud")
	role, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("wi-app"), AssumeRolePolicyDocument: aws.String(trust)})
	mustOK(t, "create role", err)
	roleARN := role.Role.Arn

	anonymous := awsConfig()
	anonymous.Credentials = aws.AnonymousCredentials{}
	stsc := sts.NewFromConfig(anonymous)
	assume := func(token string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		return stsc.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: roleARN, RoleSessionName: aws.String("app-session"), WebIdentityToken: aws.String(token)})
	}
	hour := time.Now().Add(time.Hour)

	out, err := assume(issuer.token(t, "system:serviceaccount:default:app", "sts.amazonaws.com", hour, issuer.key))
	mustOK(t, "assume with the right token", err)
	if aws.ToString(out.SubjectFromWebIdentityToken) != "system:serviceaccount:default:app" || aws.ToString(out.Audience) != "sts.amazonaws.com" ||
		aws.ToString(out.Provider) != aws.ToString(made.OpenIDConnectProviderArn) || !strings.HasSuffix(aws.ToString(out.AssumedRoleUser.Arn), ":assumed-role/wi-app/app-session") {
		t.Fatalf("answer: subject %q audience %q provider %q user %q", aws.ToString(out.SubjectFromWebIdentityToken), aws.ToString(out.Audience), aws.ToString(out.Provider), aws.ToString(out.AssumedRoleUser.Arn))
	}
	c := out.Credentials
	who, err := sts.NewFromConfig(awsConfig(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	mustOK(t, "get caller identity with the session", err)
	if !strings.HasSuffix(aws.ToString(who.Arn), ":assumed-role/wi-app/app-session") {
		t.Fatalf("caller %s", aws.ToString(who.Arn))
	}

	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		what, token, code string
	}{
		{"another service account", issuer.token(t, "system:serviceaccount:default:other", "sts.amazonaws.com", hour, issuer.key), "AccessDenied"},
		{"another audience", issuer.token(t, "system:serviceaccount:default:app", "kubernetes", hour, issuer.key), "InvalidIdentityToken"},
		{"an expired token", issuer.token(t, "system:serviceaccount:default:app", "sts.amazonaws.com", time.Now().Add(-time.Hour), issuer.key), "ExpiredTokenException"},
		{"a token signed by another key", issuer.token(t, "system:serviceaccount:default:app", "sts.amazonaws.com", hour, other), "InvalidIdentityToken"},
		{"no JWT", "not-a-token", "InvalidIdentityToken"},
	} {
		_, err := assume(tc.token)
		wantCode(t, tc.what, err, tc.code)
	}
	// A token of an issuer no provider names.
	unknown := &testIssuer{url: "https://issuer.invalid/id/TEST", key: issuer.key}
	_, err = assume(unknown.token(t, "system:serviceaccount:default:app", "sts.amazonaws.com", hour, issuer.key))
	wantCode(t, "an unregistered issuer", err, "InvalidIdentityToken")
}
