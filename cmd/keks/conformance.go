package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/keksdev/keks/internal/conformance"
	"github.com/keksdev/keks/internal/hostcheck"
	"github.com/keksdev/keks/internal/k8sbuild"
	"github.com/keksdev/keks/internal/kubeversions"
)

func newConformanceCommand() *cobra.Command {
	var profile, name, focus, skip, reportDir, k8sDir string
	var parallel int
	var quick bool
	cmd := &cobra.Command{
		Use:   "conformance",
		Short: "Run the Kubernetes conformance suite of a cluster's version against it, offline: parallel tests, then [Serial] ones; JUnit XML and a summary",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if name == "" {
				return fmt.Errorf("--cluster is required")
			}
			if quick {
				if focus != "" {
					return fmt.Errorf("--quick chooses the tests itself: leave out --focus")
				}
				focus = conformance.QuickFocus()
			}
			cl, err := describeCluster(ctx, profile, name)
			if err != nil {
				return err
			}
			if st := string(cl.Status); st != "ACTIVE" {
				return fmt.Errorf("cluster %s is %s; it must be ACTIVE", name, st)
			}
			v, ok := kubeversions.Lookup(aws.ToString(cl.Version))
			if !ok {
				return fmt.Errorf("cluster %s runs %s, which keks does not know", name, aws.ToString(cl.Version))
			}
			if err := ensureTestImageTools(ctx); err != nil {
				return err
			}
			k8s := k8sbuild.Dir(k8sDir)
			fmt.Fprintf(os.Stderr, "keks: the conformance suite of Kubernetes %s (built once, then cached in %s)\n", v.Patch, k8s.ConformanceDir(v))
			if err := k8s.Build(ctx, v, os.Stderr); err != nil {
				return err
			}
			if err := k8s.BuildConformance(ctx, v, os.Stderr); err != nil {
				return err
			}
			if reportDir == "" {
				reportDir = filepath.Join("_output", "conformance", name+"-"+time.Now().UTC().Format("20060102-150405"))
			}
			if reportDir, err = filepath.Abs(reportDir); err != nil {
				return err
			}
			if err := os.MkdirAll(reportDir, 0o755); err != nil {
				return err
			}
			kc, err := writeClusterKubeconfig(filepath.Join(reportDir, "kubeconfig"), "", profile, cl)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "keks: running the suite against %s as %s; reports in %s\n", name, profile, reportDir)
			sum, err := conformance.Run(ctx, conformance.Options{
				E2ETest: filepath.Join(k8s.ConformanceDir(v), "e2e.test"), Ginkgo: filepath.Join(k8s.ConformanceDir(v), "ginkgo"),
				Kubectl: k8s.Path(v, "kubectl"), Kubeconfig: kc, ReportDir: reportDir,
				Focus: focus, Skip: skip, Parallel: parallel, Out: os.Stdout,
			})
			if err != nil {
				return err
			}
			fmt.Printf("\n%s\nJUnit XML, the log and this summary: %s\n", sum, reportDir)
			if n := sum.Failed(); n > 0 {
				return fmt.Errorf("%d conformance test(s) failed", n)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&profile, "profile", "keks", "AWS CLI profile keks server wrote")
	f.StringVar(&name, "cluster", "", "the cluster to test")
	f.StringVar(&focus, "focus", "", "run only the conformance tests whose names match this regular expression")
	f.BoolVar(&quick, "quick", false, fmt.Sprintf("run %d tests across every SIG, in a few minutes, instead of the whole suite", len(conformance.Quick)))
	f.StringVar(&skip, "skip", "", "leave out the conformance tests whose names match this regular expression")
	f.IntVar(&parallel, "parallel", 4, "ginkgo processes for the parallel phase (the [Serial] phase runs on one)")
	f.StringVar(&reportDir, "report-dir", "", "where JUnit XML, the log and the summary go (default _output/conformance/<cluster>-<time>)")
	f.StringVar(&k8sDir, "k8s-dir", defaultK8sDir(), "directory of Kubernetes builds")
	return cmd
}

// ensureTestImageTools installs, when it may, the host packages the keks
// server builds the suite's images from (it builds them on the nodes' first
// pulls, on this host); otherwise it stops with the command that does.
func ensureTestImageTools(ctx context.Context) error {
	if err := hostcheck.Ensure(ctx, true, os.Stderr, hostcheck.TestImages); err != nil {
		return fmt.Errorf("the conformance suite's images cannot be built here: %w", err)
	}
	return nil
}
