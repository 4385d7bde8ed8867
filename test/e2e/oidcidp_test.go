package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/keksdev/keks/internal/pki"
	"github.com/keksdev/keks/test/harness"
)

// testIssuer is an OIDC identity provider on the host, as a company's
// would be: discovery and keys over HTTPS with a certificate of its own CA,
// and ID tokens for the people it knows.
type testIssuer struct {
	srv    *httptest.Server
	key    *rsa.PrivateKey
	CAFile string
}

func newTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	ca, err := pki.NewCA("e2e identity provider CA")
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.Issue(pki.Leaf{CommonName: "idp", IPs: []net.IP{net.ParseIP("127.0.0.1")}, Server: true})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	iss := &testIssuer{CAFile: filepath.Join(t.TempDir(), "idp-ca.crt")}
	if err := os.WriteFile(iss.CAFile, ca.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if iss.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": iss.URL(), "jwks_uri": iss.URL() + "/keys",
			"response_types_supported": []string{"id_token"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, _ *http.Request) {
		pub := iss.key.PublicKey
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "e2e",
			"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()), "e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes())}}})
	})
	iss.srv = httptest.NewUnstartedServer(mux)
	iss.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	iss.srv.StartTLS()
	t.Cleanup(iss.srv.Close)
	return iss
}

func (i *testIssuer) URL() string { return i.srv.URL }

// idToken is an ID token for clientID of a person with an email and groups.
func (i *testIssuer) idToken(t *testing.T, clientID, email string, groups ...string) string {
	t.Helper()
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": i.URL(), "aud": clientID, "sub": "user-" + email,
		"email": email, "email_verified": true, "groups": groups, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	tok.Header["kid"] = "e2e"
	s, err := tok.SignedString(i.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// identityProviderConfig associates the test issuer with a cluster, as a
// platform team gives people single sign-on: kubectl with an ID token is
// then the mapped user and groups, and after disassociation Unauthorized.
// The API servers restart one at a time for each change.
func identityProviderConfig(t *testing.T, e *harness.Env, cluster string, iss *testIssuer) {
	var c struct {
		Cluster struct {
			Endpoint             string
			CertificateAuthority struct{ Data string }
		}
	}
	e.JSON(&c, "aws", "eks", "describe-cluster", "--name", cluster)
	caData, err := base64.StdEncoding.DecodeString(c.Cluster.CertificateAuthority.Data)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "cluster-ca.crt")
	if err := os.WriteFile(caFile, caData, 0o644); err != nil {
		t.Fatal(err)
	}
	token := iss.idToken(t, "keks-e2e", "alice@example.com", "devs")
	whoami := func() (string, error) {
		return e.Try("kubectl", "--kubeconfig=/dev/null", "--server", c.Cluster.Endpoint, "--certificate-authority", caFile, "--token", token,
			"auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}")
	}
	if out, err := whoami(); err == nil {
		t.Fatalf("an ID token was accepted before any identity provider was associated: %s", out)
	}

	// The API servers restart one at a time, under load: no request fails.
	stop := e.Load("kubectl", "get", "namespace", "default", "-o", "name")
	var assoc struct{ Update struct{ ID string } }
	e.JSON(&assoc, "aws", "eks", "associate-identity-provider-config", "--cluster-name", cluster, "--oidc",
		fmt.Sprintf("identityProviderConfigName=people,issuerUrl=%s,clientId=keks-e2e,usernameClaim=email,groupsClaim=groups,groupsPrefix=oidc:", iss.URL()))
	start := time.Now()
	waitUpdate(t, e, cluster, assoc.Update.ID)
	load := stop()
	t.Logf("associate-identity-provider-config took %s (both API servers restarted); %d requests during it, %d failed", time.Since(start).Round(time.Second), load.OK+load.Failed, load.Failed)
	if load.Failed > 0 {
		t.Errorf("%d of %d requests failed while the API servers restarted: %s", load.Failed, load.OK+load.Failed, load.FirstError)
	}
	if st := strings.TrimSpace(e.Run("aws", "eks", "describe-identity-provider-config", "--cluster-name", cluster,
		"--identity-provider-config", "type=oidc,name=people", "--query", "identityProviderConfig.oidc.status", "--output", "text")); st != "ACTIVE" {
		t.Errorf("config status %q after its update, want ACTIVE", st)
	}
	// Both API servers take it: ask enough times to reach each.
	for i := 0; i < 6; i++ {
		out, err := whoami()
		if err != nil || !strings.HasPrefix(out, "alice@example.com ") || !strings.Contains(out, `"oidc:devs"`) {
			t.Fatalf("kubectl with an ID token: %q %v", out, err)
		}
	}

	var dis struct{ Update struct{ ID string } }
	e.JSON(&dis, "aws", "eks", "disassociate-identity-provider-config", "--cluster-name", cluster, "--identity-provider-config", "type=oidc,name=people")
	waitUpdate(t, e, cluster, dis.Update.ID)
	for i := 0; i < 6; i++ {
		if out, err := whoami(); !refusedAs401(err) {
			t.Fatalf("kubectl with an ID token after disassociation: %q %v, want Unauthorized", out, err)
		}
	}
	if out, err := e.Try("aws", "eks", "list-identity-provider-configs", "--cluster-name", cluster, "--query", "identityProviderConfigs", "--output", "text"); err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("configs after disassociation: %q %v", out, err)
	}
}

// waitUpdate waits for a cluster update to succeed.
func waitUpdate(t *testing.T, e *harness.Env, cluster, id string) {
	t.Helper()
	harness.Eventually(t, 6*time.Minute, "update "+id, func() error {
		st := strings.TrimSpace(e.Run("aws", "eks", "describe-update", "--name", cluster, "--update-id", id, "--query", "update.status", "--output", "text"))
		switch st {
		case "Successful":
			return nil
		case "Failed", "Cancelled":
			t.Fatalf("update %s: %s", id, e.Run("aws", "eks", "describe-update", "--name", cluster, "--update-id", id))
		}
		return fmt.Errorf("status %s", st)
	})
}
