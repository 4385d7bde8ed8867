// Package conformance runs the Kubernetes conformance suite of a cluster's
// version against it, as the CNCF certification's runners do: the parallel
// tests first, then the [Serial] ones on one process, each phase writing
// JUnit XML, then a summary of passed, failed and skipped tests with the
// failures' messages.
package conformance

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// Options of a run.
type Options struct {
	E2ETest, Ginkgo, Kubectl string // the suite's binaries and the cluster's kubectl
	Kubeconfig               string
	ReportDir                string
	// Focus and Skip narrow the tests by name (regular expressions); the
	// [Conformance] ones are chosen by label whatever they say.
	Focus, Skip string
	Parallel    int       // ginkgo processes of the parallel phase
	Out         io.Writer // the suite's own progress, as it runs
}

// phases are the official runners' two passes.
var phases = []struct {
	name, labels string
	serial       bool
}{
	{"parallel", "Conformance && !Serial", false},
	{"serial", "Conformance && Serial", true},
}

// Run runs both phases and summarizes them; the summary is also written to
// ReportDir/summary.txt. A failed test is not an error: a phase that gives
// no report is.
func Run(ctx context.Context, o Options) (*Summary, error) {
	if err := os.MkdirAll(o.ReportDir, 0o755); err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(o.ReportDir, "e2e.log"))
	if err != nil {
		return nil, err
	}
	defer log.Close()
	out := io.MultiWriter(o.Out, log)
	var sum Summary
	for _, p := range phases {
		nodes := max(1, o.Parallel)
		if p.serial {
			nodes = 1
		}
		args := []string{"--nodes=" + strconv.Itoa(nodes), "--no-color", "--silence-skips", "--timeout=24h", "--label-filter=" + p.labels}
		if o.Focus != "" {
			args = append(args, "--focus="+o.Focus)
		}
		if o.Skip != "" {
			args = append(args, "--skip="+o.Skip)
		}
		args = append(args, o.E2ETest, "--", "--provider=skeleton", "--kubeconfig="+o.Kubeconfig, "--kubectl-path="+o.Kubectl,
			"--report-dir="+o.ReportDir, "--report-prefix="+p.name+"_", "--disable-log-dump")
		fmt.Fprintf(out, "== conformance: %s phase (%s, %d process(es)); log in %s\n", p.name, p.labels, nodes, log.Name())
		start := time.Now()
		cmd := exec.CommandContext(ctx, o.Ginkgo, args...)
		cmd.Stdout, cmd.Stderr = out, out
		cmd.Dir = o.ReportDir
		runErr := cmd.Run()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		junit := filepath.Join(o.ReportDir, "junit_"+p.name+"_01.xml")
		ph, err := readJUnit(junit)
		if err != nil {
			return nil, fmt.Errorf("%s phase gave no report (%v): %w", p.name, runErr, err)
		}
		ph.Name, ph.Duration = p.name, time.Since(start).Round(time.Second)
		sum.Phases = append(sum.Phases, *ph)
		fmt.Fprintf(out, "== conformance: %s phase done in %s: %d passed, %d failed, %d skipped\n", p.name, ph.Duration, ph.Passed, len(ph.Failures), ph.Skipped)
	}
	if err := os.WriteFile(filepath.Join(o.ReportDir, "summary.txt"), []byte(sum.String()), 0o644); err != nil {
		return &sum, err
	}
	return &sum, nil
}
