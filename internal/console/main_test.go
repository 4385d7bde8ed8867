package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keksdev/keks/internal/server"
	"github.com/keksdev/keks/internal/server/servertest"
)

// testServer is one keks serving its APIs and the console over its real
// front door (no reconcilers: clusters stay CREATING), for the package's
// tests of pages, forms, sessions and authorization.
var testServer struct {
	models *server.Models
	http   *http.Client
}

func TestMain(m *testing.M) {
	s, err := servertest.Start("keks-console-test-")
	if err != nil {
		panic(err)
	}
	testServer.models, testServer.http = s.Models, s.HTTP
	code := m.Run()
	s.Stop()
	os.Exit(code)
}

// adminAPI are AWS clients signed with the admin user's key.
type adminAPI struct {
	EKS *eks.Client
	EC2 *ec2.Client
	IAM *iam.Client
}

func admin() adminAPI {
	b := testServer.models.Bootstrap
	return apiAs(b.AccessKeyID, b.SecretAccessKey)
}

func apiAs(id, secret string) adminAPI {
	cfg := aws.Config{Region: "us-east-1", HTTPClient: testServer.http, BaseEndpoint: aws.String(testServer.models.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""), RetryMaxAttempts: 1}
	return adminAPI{EKS: eks.NewFromConfig(cfg), EC2: ec2.NewFromConfig(cfg), IAM: iam.NewFromConfig(cfg)}
}

// browser is a cookie-keeping client of the console that does not follow
// redirects, so tests see where each answer sends it.
type browser struct {
	t    *testing.T
	c    *http.Client
	csrf string
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar, Transport: testServer.http.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signedInAsAdmin is a browser signed in with the admin user's key.
func signedInAsAdmin(t *testing.T) *browser {
	b := newBrowser(t)
	k := testServer.models.Bootstrap
	b.signInWithKey(k.AccessKeyID, k.SecretAccessKey)
	return b
}

func (b *browser) signInWithKey(id, secret string) *http.Response {
	b.t.Helper()
	resp := b.post("/console/signin", url.Values{"method": {"key"}, "accesskeyid": {id}, "secret": {secret}})
	if resp.StatusCode == http.StatusSeeOther {
		b.csrf = ""
		_, body := b.get("/console/clusters")
		if m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body); m != nil {
			b.csrf = m[1]
		}
	}
	return resp
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, testServer.models.Endpoint+path, nil)
	return b.do(req)
}

func (b *browser) getHTMX(path string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, testServer.models.Endpoint+path, nil)
	req.Header.Set("HX-Request", "true")
	return b.do(req)
}

// post sends a form as the console's own pages do, with the session's
// CSRF token unless the form has one.
func (b *browser) post(path string, form url.Values) *http.Response {
	b.t.Helper()
	if b.csrf != "" && !form.Has("csrf") {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, testServer.models.Endpoint+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, _ := b.do(req)
	return resp
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}
