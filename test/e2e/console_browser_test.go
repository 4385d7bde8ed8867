package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/keksdev/keks/test/harness"
)

// chrome drives a real headless Chromium (Debian's package) through the
// DevTools protocol, and keeps a screenshot of each page it is asked to.
type chrome struct {
	t     *testing.T
	ctx   context.Context
	shots string
	n     int
}

func newChrome(t *testing.T) *chrome {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Fatal("no Chromium: apt-get install chromium (.ci/run installs it)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		// keks's CA is its own; the browser is told to accept it rather
		// than have it installed in an NSS database for one test.
		chromedp.Flag("ignore-certificate-errors", true), chromedp.WindowSize(1366, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first run starts the browser, which lives as long as the context
	// of that run: the test's, not a step's with its timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return &chrome{t: t, ctx: ctx, shots: harness.ArtifactsDir(t)}
}

// run performs actions, failing the test on the first that fails or takes
// over a minute.
func (c *chrome) run(actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		c.shot("failure")
		c.t.Fatalf("browser: %v", err)
	}
}

// open loads a console page and waits for it to be shown.
func (c *chrome) open(url string) {
	c.t.Helper()
	c.run(chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("main")))
}

// text is what an element shows.
func (c *chrome) text(sel string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, time.Minute)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		c.shot("failure")
		c.t.Fatalf("browser: text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// waitFor polls a JavaScript condition in the page until it is true.
func (c *chrome) waitFor(what, js string, timeout time.Duration) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, timeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(250*time.Millisecond), chromedp.WithPollingTimeout(timeout))); err != nil {
		c.shot("failure")
		body, _ := chromedp.Run(c.ctx, chromedp.Text(chromedp.CSS("main")))
		c.t.Fatalf("%s: %v\npage: %s", what, err, body)
	}
}

// submit clicks a button that sends a form and waits until the page it
// leads to shows sel. The wait polls the current document: a query begun
// on the form's page could be left waiting on a document that is gone.
func (c *chrome) submit(button, sel string) {
	c.t.Helper()
	c.run(chromedp.Click(chromedp.CSS(button)))
	shown := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.getClientRects().length > 0 })()`, sel)
	deadline := time.Now().Add(time.Minute)
	var err error
	for time.Now().Before(deadline) {
		// Each try is its own evaluation: one that meets the navigation
		// ("target navigated", "context destroyed") is simply tried again.
		ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
		var ok bool
		ok, err = chromedp.Run(ctx, chromedp.Evaluate[bool](shown))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	c.shot("failure")
	c.t.Fatalf("no page showing %s after %s within a minute (last: %v)", sel, button, err)
}

// shot keeps a full-page screenshot as a test artifact.
func (c *chrome) shot(name string) {
	png, err := chromedp.Run(c.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		c.t.Logf("screenshot %s: %v", name, err)
		return
	}
	c.n++
	_ = os.WriteFile(filepath.Join(c.shots, fmt.Sprintf("%02d-%s.png", c.n, name)), png, 0o644)
}

// signIn signs in with an access key on the sign-in page.
func (c *chrome) signIn(endpoint, id, secret string) {
	c.t.Helper()
	c.open(endpoint + "/console/signin?method=key")
	c.run(chromedp.SendKeys(chromedp.CSS("#accesskeyid"), id), chromedp.SendKeys(chromedp.CSS("#secret"), secret))
	c.submit("#signin", "header .principal")
}

func (c *chrome) signOut() {
	c.t.Helper()
	c.submit(`form[action="/console/signout"] button`, "#accesskeyid, #username")
}

// scripts turns the page's JavaScript on or off.
func scripts(on bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
		return err
	})
}

// TestConsole drives the web console in a real browser: sign in; a
// cluster made with the AWS CLI is listed; one created from the form is
// in `aws eks list-clusters` and turns ACTIVE on the page without a
// reload; a node group added; a pod's and a Deployment's logs read; read
// pages work with JavaScript off; a user without rights sees
// AccessDenied; a delete needs the typed name. Screenshots of each page
// are kept in _output/e2e-artifacts/TestConsole.
func TestConsole(t *testing.T) {
	e := harness.New(t)
	role := e.ClusterRole("consoleClusterRole")
	nodeRole := e.NodeRole("consoleNodeRole")
	e.Run("aws", "eks", "create-cluster", "--name", "cli-made", "--role-arn", role, "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	id, secret := e.Credentials()
	b := newChrome(t)
	base := e.Endpoint() + "/console"

	// Signing in, and the cluster the AWS CLI made.
	b.open(base + "/clusters/cli-made")
	if !strings.Contains(b.text("main"), "Sign in") {
		t.Fatalf("a page without a session did not ask to sign in")
	}
	b.shot("signin")
	b.signIn(e.Endpoint(), id, secret)
	b.open(base + "/clusters")
	if !strings.Contains(b.text("#cluster-rows"), "cli-made") {
		t.Errorf("cluster list does not show cli-made: %s", b.text("main"))
	}
	b.shot("clusters")

	// Create a cluster from the form; its status becomes ACTIVE on the
	// page, which is never reloaded (a marker set in it survives).
	b.open(base + "/clusters/create")
	b.shot("create-cluster")
	b.run(chromedp.SendKeys(chromedp.CSS("#cluster-name"), "web-made"),
		chromedp.SetValue(chromedp.CSS("#cluster-role"), role))
	b.submit("#submit", "#cluster-status")
	if out := e.Run("aws", "eks", "list-clusters", "--query", "clusters", "--output", "text"); !strings.Contains(out, "web-made") {
		t.Fatalf("aws eks list-clusters: %q", out)
	}
	b.run(chromedp.Evaluate[chromedp.Void](`window.keksNoReload = true`))
	start := time.Now()
	b.waitFor("web-made ACTIVE on its page", `window.keksNoReload === true && document.querySelector('#cluster-status').textContent.trim() === 'ACTIVE'`, 3*time.Minute)
	t.Logf("web-made ACTIVE on the page %s after the form was sent", time.Since(start).Round(100*time.Millisecond))
	b.shot("overview")

	// Add a node group from the Compute tab.
	e.Run("aws", "eks", "update-kubeconfig", "--name", "web-made")
	b.open(base + "/clusters/web-made/compute")
	b.shot("compute")
	b.run(chromedp.Click(chromedp.CSS("#add-nodegroup")), chromedp.WaitVisible(chromedp.CSS("#nodegroup-name")))
	b.run(chromedp.SendKeys(chromedp.CSS("#nodegroup-name"), "web-workers"),
		chromedp.SetValue(chromedp.CSS("#nodegroup-role-arn"), nodeRole),
		chromedp.SetValue(chromedp.CSS("#min-size"), "1"),
		chromedp.SetValue(chromedp.CSS("#desired-size"), "1"))
	b.submit("#submit", "#nodegroup-status")
	b.waitFor("node group ACTIVE on its page", `document.querySelector('#nodegroup-status').textContent.trim() === 'ACTIVE'`, 3*time.Minute)
	b.shot("nodegroup")

	// A Deployment's pods, and their logs: one pod's and all of them.
	e.Run("kubectl", "create", "deployment", "hello", "--image="+registry+"/keks/hello:latest", "--replicas=2", "--port=8080")
	e.Run("kubectl", "rollout", "status", "deployment/hello", "--timeout=120s")
	pod := strings.Fields(e.Run("kubectl", "get", "pods", "-l", "app=hello", "-o", "jsonpath={.items[*].metadata.name}"))[0]
	b.open(base + "/clusters/web-made/resources/pods?namespace=default")
	if !strings.Contains(b.text("main"), pod) {
		t.Errorf("Resources tab does not list pod %s", pod)
	}
	b.shot("resources-pods")
	b.open(base + "/clusters/web-made/resources/pods/default/" + pod)
	b.shot("pod")
	b.open(base + "/clusters/web-made/logs/default/pods/" + pod)
	b.waitFor("the pod's logs", `document.querySelector('main pre') && document.querySelector('main pre').textContent.includes('listening on :8080')`, 30*time.Second)
	b.shot("pod-logs")
	b.open(base + "/clusters/web-made/logs/default/deployments/hello")
	b.waitFor("the Deployment's logs", `document.querySelector('main pre') && document.querySelector('main pre').textContent.split('listening on :8080').length > 2`, 30*time.Second)
	b.shot("deployment-logs")

	// The other tabs render.
	for _, tab := range []string{"networking", "addons", "access", "observability", "updates", "tags"} {
		b.open(base + "/clusters/web-made/" + tab)
		if strings.Contains(b.text("main"), "InternalError") {
			t.Errorf("tab %s: %s", tab, b.text("main"))
		}
		b.shot("tab-" + tab)
	}

	// Read pages need no JavaScript.
	b.run(scripts(false))
	b.open(base + "/clusters/web-made")
	if !strings.Contains(b.text("#cluster-status"), "ACTIVE") || !strings.Contains(b.text("main"), "API server endpoint") {
		t.Errorf("overview without JavaScript: %s", b.text("main"))
	}
	b.run(scripts(true))

	// A phone-sized screen.
	b.run(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	b.open(base + "/clusters/web-made/compute")
	b.shot("phone-compute")
	b.run(chromedp.EmulateViewport(1366, 900))

	// A user without rights sees EKS's AccessDeniedException.
	b.signOut()
	nobody, _ := e.NewUser("console-nobody", "")
	nid, nsecret := nobody.Credentials()
	b.signIn(e.Endpoint(), nid, nsecret)
	b.open(base + "/clusters")
	if txt := b.text("main"); !strings.Contains(txt, "AccessDeniedException") || !strings.Contains(txt, "eks:ListClusters") {
		t.Errorf("a user without rights sees: %s", txt)
	}
	b.shot("access-denied")
	b.signOut()

	// Deleting needs the cluster's name typed.
	b.signIn(e.Endpoint(), id, secret)
	b.open(base + "/clusters/cli-made/delete")
	b.run(chromedp.SendKeys(chromedp.CSS("#confirm-name"), "cli-mad"))
	b.submit("#submit", ".alert")
	if st := e.Run("aws", "eks", "describe-cluster", "--name", "cli-made", "--query", "cluster.status", "--output", "text"); strings.TrimSpace(st) == "DELETING" {
		t.Errorf("a mistyped name deleted the cluster")
	}
	b.shot("delete-mistyped")
	b.run(chromedp.Clear(chromedp.CSS("#confirm-name")), chromedp.SendKeys(chromedp.CSS("#confirm-name"), "cli-made"))
	b.submit("#submit", "#cluster-rows")
	b.shot("deleted")
	harness.Eventually(t, 2*time.Minute, "cli-made deleted", func() error {
		if out := e.Run("aws", "eks", "list-clusters", "--query", "clusters", "--output", "text"); strings.Contains(out, "cli-made") {
			return fmt.Errorf("still listed: %s", out)
		}
		return nil
	})
}
