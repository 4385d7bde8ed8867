package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// controlPlaneLogs: enabling api and audit logging with
// update-cluster-config sends the API servers' lines and audit events to
// /aws/eks/<cluster>/cluster, where `aws logs tail` shows them; disabled,
// nothing new arrives.
func controlPlaneLogs(t *testing.T, e *harness.Env, cluster string) {
	group := "/aws/eks/" + cluster + "/cluster"
	setLogging := func(enabled bool) {
		var up struct{ Update struct{ Id string } }
		e.JSON(&up, "aws", "eks", "update-cluster-config", "--name", cluster, "--logging",
			fmt.Sprintf(`{"clusterLogging":[{"types":["api","audit"],"enabled":%t}]}`, enabled))
		waitUpdate(t, e, cluster, up.Update.Id)
	}
	setLogging(true)
	marker := fmt.Sprintf("logs-marker-%d", time.Now().UnixNano())
	e.Run("kubectl", "create", "configmap", marker)
	start := time.Now()
	harness.Eventually(t, 60*time.Second, "the audit event of creating "+marker, func() error {
		out := e.Run("aws", "logs", "filter-log-events", "--log-group-name", group, "--log-stream-name-prefix", "kube-apiserver-audit-",
			"--filter-pattern", `"`+marker+`"`, "--query", "events[].logStreamName", "--output", "text")
		if !strings.Contains(out, "kube-apiserver-audit-") {
			return fmt.Errorf("no audit event yet: %q", out)
		}
		return nil
	})
	t.Logf("audit event of a kubectl call in CloudWatch Logs after %s", time.Since(start).Round(100*time.Millisecond))
	streams := e.Run("aws", "logs", "describe-log-streams", "--log-group-name", group, "--query", "logStreams[].logStreamName", "--output", "text")
	for _, want := range []string{`kube-apiserver-[0-9a-f]{32}\b`, `kube-apiserver-audit-[0-9a-f]{32}\b`} {
		if !regexp.MustCompile(want).MatchString(streams) {
			t.Errorf("no stream %s in %s", want, streams)
		}
	}
	if aws := awsCLIv2(t, e); aws != nil {
		out := e.Run(aws[0], append(aws[1:], "logs", "tail", group, "--since", "5m")...)
		if !strings.Contains(out, marker) || !regexp.MustCompile(`kube-apiserver-[0-9a-f]{32} `).MatchString(out) {
			t.Errorf("aws logs tail shows no API server line or no audit event of %s:\n%s", marker, tail(out, 5))
		}
	} else {
		t.Log("no AWS CLI v2 here: aws logs tail not tried")
	}

	setLogging(false)
	quiet := fmt.Sprintf("logs-quiet-%d", time.Now().UnixNano())
	e.Run("kubectl", "create", "configmap", quiet)
	time.Sleep(5 * time.Second) // five times the shipping period
	if out := e.Run("aws", "logs", "filter-log-events", "--log-group-name", group, "--filter-pattern", `"`+quiet+`"`,
		"--query", "events[].message", "--output", "text"); strings.TrimSpace(out) != "" {
		t.Errorf("audit events arrive with logging disabled: %s", tail(out, 3))
	}
	e.Run("kubectl", "delete", "configmap", marker, quiet)
}

// awsCLIv2 is the AWS CLI v2 command (`aws logs tail` is v2's), with the
// endpoint on the command line for releases before 2.13, which do not
// read endpoint_url from the profile; nil when the host has no v2.
func awsCLIv2(t *testing.T, e *harness.Env) []string {
	for _, bin := range []string{"aws", "/usr/bin/aws"} {
		out, err := exec.Command(bin, "--version").CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "aws-cli/2.") {
			continue
		}
		config, err := os.ReadFile(filepath.Join(e.Dir, "aws-config"))
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`(?m)^endpoint_url\s*=\s*(\S+)`).FindSubmatch(config)
		if m == nil {
			t.Fatalf("no endpoint_url in the profile keks wrote:\n%s", config)
		}
		return []string{bin, "--endpoint-url", string(m[1])}
	}
	return nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
