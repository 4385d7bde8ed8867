package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"html"
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

// consoleClient is a cookie-keeping HTTP client of keks's web console that
// does not follow redirects: how the console's end-to-end tests drive it
// where no browser is needed (TestConsole drives a real one).
type consoleClient struct {
	t        *testing.T
	c        *http.Client
	endpoint string
	csrf     string
}

func newConsoleClient(t *testing.T, e *harness.Env) *consoleClient {
	t.Helper()
	ca, err := os.ReadFile(filepath.Join(e.Dir, "data", "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	jar, _ := cookiejar.New(nil)
	return &consoleClient{t: t, endpoint: e.Endpoint(), c: &http.Client{Jar: jar, Timeout: 60 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// adminConsole is a console client signed in with the environment's key.
func adminConsole(t *testing.T, e *harness.Env) *consoleClient {
	b := newConsoleClient(t, e)
	b.signIn(e.Credentials())
	return b
}

// signIn signs in with an access key and keeps the session's CSRF token
// (the sign-out form carries it on every page, an AccessDenied one too).
func (b *consoleClient) signIn(id, secret string) {
	b.t.Helper()
	resp, body := b.post("/console/signin", url.Values{"method": {"key"}, "accesskeyid": {id}, "secret": {secret}})
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("console sign-in as %s: %d %s", id, resp.StatusCode, body)
	}
	_, body = b.get("/console/clusters")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no CSRF token: %s", body)
	}
	b.csrf = m[1]
}

func (b *consoleClient) do(method, path string, form url.Values, htmx bool) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		if b.csrf != "" && !form.Has("csrf") {
			form.Set("csrf", b.csrf)
		}
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.endpoint+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if htmx {
		req.Header.Set("HX-Request", "true")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

func (b *consoleClient) get(path string) (*http.Response, string) {
	b.t.Helper()
	return b.do(http.MethodGet, path, nil, false)
}

// post sends a form as the console's pages do, with the CSRF token.
func (b *consoleClient) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	return b.do(http.MethodPost, path, form, false)
}

// page gets a console page, checks its status, and returns its text
// (HTML entities decoded).
func (b *consoleClient) page(path string, status int) string {
	b.t.Helper()
	start := time.Now()
	resp, body := b.get(path)
	b.t.Logf("GET %s: %d, %d bytes, %s", path, resp.StatusCode, len(body), time.Since(start).Round(time.Millisecond))
	if resp.StatusCode != status {
		b.t.Errorf("GET %s: %d, want %d: %s", path, resp.StatusCode, status, body)
	}
	return html.UnescapeString(body)
}

// fragment gets a page as htmx does, for the part it swaps in.
func (b *consoleClient) fragment(path string) string {
	b.t.Helper()
	_, body := b.do(http.MethodGet, path, nil, true)
	return html.UnescapeString(body)
}
