package conformance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The shape e2e.test writes: every spec listed, filtered ones as plain
// "skipped", failures as text without a message attribute.
const sampleJUnit = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="5" disabled="2" errors="0" failures="1" time="12.5">
  <testsuite name="Kubernetes e2e suite" package="/" tests="5" disabled="2" skipped="0" errors="0" failures="1" time="12.5">
    <testcase name="[SynchronizedBeforeSuite]" classname="Kubernetes e2e suite" status="passed" time="1.2"></testcase>
    <testcase name="[sig-api-machinery] Namespaces should patch a Namespace [Conformance]" classname="Kubernetes e2e suite" status="passed" time="2.1"></testcase>
    <testcase name="[sig-node] Pods should get a host IP [NodeConformance] [Conformance]" classname="Kubernetes e2e suite" status="failed" time="5.0">
      <failure type="failed">[FAILED] Timed out after 300s.
pod never ran
In [It] at: pods.go:123</failure>
    </testcase>
    <testcase name="[sig-storage] a filtered test" classname="Kubernetes e2e suite" status="skipped" time="0"><skipped message="skipped"></skipped></testcase>
    <testcase name="[sig-network] a test that skipped itself [Conformance]" classname="Kubernetes e2e suite" status="skipped" time="0.1"><skipped message="skipped - Only supported for providers [aws]"></skipped></testcase>
  </testsuite>
</testsuites>`

func TestReadJUnit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junit_parallel_01.xml")
	if err := os.WriteFile(path, []byte(sampleJUnit), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := readJUnit(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.Passed != 1 || p.Skipped != 1 || len(p.Failures) != 1 {
		t.Fatalf("passed %d skipped %d failed %d", p.Passed, p.Skipped, len(p.Failures))
	}
	if f := p.Failures[0]; !strings.Contains(f.Test, "should get a host IP") || !strings.Contains(f.Message, "Timed out after 300s") {
		t.Fatalf("failure: %+v", f)
	}
	p.Name = "parallel"
	s := (&Summary{Phases: []Phase{*p}}).String()
	if !strings.Contains(s, "total       1 passed     1 failed     1 skipped") || !strings.Contains(s, "FAILED (parallel) [sig-node] Pods should get a host IP") {
		t.Fatalf("summary:\n%s", s)
	}
}
