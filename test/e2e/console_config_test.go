package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// consoleBrowser is a cookie-keeping client of keks's web console that
// does not follow redirects.
type consoleBrowser struct {
	t        *testing.T
	c        *http.Client
	endpoint string
	csrf     string
}

// signInToConsole signs in with the admin key of the environment's
// AWS profile.
func signInToConsole(t *testing.T, e *harness.Env) *consoleBrowser {
	t.Helper()
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(e.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	field := func(text, key string) string {
		m := regexp.MustCompile(`(?m)^` + key + `\s*=\s*(\S+)`).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("no %s in the AWS profile", key)
		}
		return m[1]
	}
	creds := read("aws-credentials")
	endpoint := field(read("aws-config"), "endpoint_url")
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(read("data/pki/ca.crt")))
	jar, _ := cookiejar.New(nil)
	b := &consoleBrowser{t: t, endpoint: strings.TrimSuffix(endpoint, "/"), c: &http.Client{Jar: jar, Timeout: 60 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	resp, _ := b.post("/console/signin", url.Values{"method": {"key"}, "accesskeyid": {field(creds, "aws_access_key_id")}, "secret": {field(creds, "aws_secret_access_key")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	_, body := b.get("/console/clusters")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token: %s", body)
	}
	b.csrf = m[1]
	return b
}

func (b *consoleBrowser) do(method, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		if b.csrf != "" {
			form.Set("csrf", b.csrf)
		}
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.endpoint+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

func (b *consoleBrowser) get(path string) (*http.Response, string) {
	return b.do(http.MethodGet, path, nil)
}
func (b *consoleBrowser) post(path string, form url.Values) (*http.Response, string) {
	return b.do(http.MethodPost, path, form)
}

// TestConsoleConfig creates a cluster from the console's form, waits for
// it to run, turns control-plane logging on and reads the API server's
// events on the console, adds an add-on, and deletes the cluster by its
// typed name.
func TestConsoleConfig(t *testing.T) {
	harness.Long(t, "a cluster run and deleted from the console, about 2 minutes; internal/console's tests cover its forms without a control plane")
	e := harness.New(t)
	role := e.ClusterRole("consoleClusterRole")
	b := signInToConsole(t, e)
	if resp, body := b.get("/console/clusters/create"); resp.StatusCode != http.StatusOK || !strings.Contains(body, role) {
		t.Fatalf("create page: %d %s", resp.StatusCode, body)
	}
	const cluster = "from-console"
	resp, body := b.post("/console/clusters/create", url.Values{"name": {cluster}, "role": {role}, "subnets": e.PrivateSubnets(),
		"endpoint": {"public"}, "authmode": {"API_AND_CONFIG_MAP"}, "logging": {"api"}, "tags": {"made-by=console"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	start := time.Now()
	e.Run("aws", "eks", "wait", "cluster-active", "--name", cluster)
	t.Logf("ACTIVE %s after the form", time.Since(start).Round(time.Second))
	if _, body := b.get("/console/clusters/" + cluster); !strings.Contains(body, ">ACTIVE<") {
		t.Errorf("cluster page: %s", body)
	}
	// The API server's log, read on the console from CloudWatch Logs.
	harness.Eventually(t, 90*time.Second, "API server events on the console", func() error {
		_, body := b.get("/console/clusters/" + cluster + "/observability/logs/api")
		if !strings.Contains(body, "kube-apiserver-") || !strings.Contains(body, `class="logline"`) {
			return fmt.Errorf("no events yet")
		}
		return nil
	})
	for _, p := range []string{"networking", "addons", "access", "observability", "updates", "tags"} {
		if resp, body := b.get("/console/clusters/" + cluster + "/" + p); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
	if resp, body := b.post("/console/clusters/"+cluster+"/addons/add", url.Values{"addon": {"metrics-server"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("add metrics-server: %d %s", resp.StatusCode, body)
	}
	if resp, body := b.post("/console/clusters/"+cluster+"/observability/logging", url.Values{"logging": {"api", "audit"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("logging: %d %s", resp.StatusCode, body)
	}
	harness.Eventually(t, 90*time.Second, "the logging update Successful", func() error {
		_, body := b.get("/console/clusters/" + cluster + "/updates")
		if !strings.Contains(body, "LoggingUpdate") || strings.Contains(body, "InProgress") {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	if resp, _ := b.post("/console/clusters/"+cluster+"/delete", url.Values{"confirm": {"wrong"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("delete with a wrong name: %d", resp.StatusCode)
	}
	if resp, body := b.post("/console/clusters/"+cluster+"/delete", url.Values{"confirm": {cluster}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", resp.StatusCode, body)
	}
	e.Run("aws", "eks", "wait", "cluster-deleted", "--name", cluster)
}
