package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/conformance"
	"github.com/keksdev/keks/test/harness"
)

// TestConformanceQuick runs `keks conformance --quick` (a few tests of
// every SIG, picked for what they need of the cluster) against a new
// cluster of two managed nodes: every one must pass, each phase must leave
// its JUnit XML, and the test images must come from keks's registry, built
// on their first pull. The whole suite is `make conformance`.
func TestConformanceQuick(t *testing.T) {
	e := harness.New(t)
	const name = "conformance"
	e.Run("aws", "eks", "create-cluster", "--name", name, "--role-arn", e.ClusterRole("conformanceClusterRole"), "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	e.Run("aws", append([]string{"eks", "create-nodegroup", "--cluster-name", name, "--nodegroup-name", "two", "--node-role", e.NodeRole("conformanceNodeRole"),
		"--scaling-config", "minSize=2,maxSize=2,desiredSize=2", "--subnets"}, e.PrivateSubnets()...)...)
	e.Run("aws", "eks", "wait", "nodegroup-active", "--cluster-name", name, "--nodegroup-name", "two")

	reports := filepath.Join(e.Dir, "conformance")
	start := time.Now()
	out, err := e.TryFor(20*time.Minute, e.Keks, "conformance", "--cluster", name, "--quick", "--report-dir", reports)
	t.Logf("keks conformance --quick in %s:\n%s", time.Since(start).Round(time.Second), summaryOf(out))
	if err != nil {
		t.Fatalf("%v\n%s", err, tailOf(filepath.Join(reports, "e2e.log"), 80))
	}
	m := regexp.MustCompile(`(?m)^total\s+(\d+) passed\s+(\d+) failed`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary in the output:\n%s", out)
	}
	if passed, _ := strconv.Atoi(m[1]); passed != len(conformance.Quick) || m[2] != "0" {
		t.Errorf("%s passed and %s failed; want all %d of --quick to pass (a test renamed upstream runs no more)", m[1], m[2], len(conformance.Quick))
	}
	for _, f := range []string{"junit_parallel_01.xml", "junit_serial_01.xml", "summary.txt", "e2e.log"} {
		if _, err := os.Stat(filepath.Join(reports, f)); err != nil {
			t.Errorf("report %s: %v", f, err)
		}
	}
	if log, _ := os.ReadFile(filepath.Join(e.Dir, "keks.log")); !strings.Contains(string(log), "building image on its first pull") {
		t.Errorf("the server log shows no test image built on its first pull")
	}
}

// summaryOf is the runner's summary, from its first "parallel" line on.
func summaryOf(out string) string {
	if i := strings.LastIndex(out, "\nparallel "); i >= 0 {
		return out[i+1:]
	}
	return out
}

func tailOf(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(string(data), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
