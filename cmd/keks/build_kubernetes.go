package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/keksdev/keks/internal/k8sbuild"
	"github.com/keksdev/keks/internal/kubeversions"
)

func newBuildKubernetesCommand() *cobra.Command {
	var dir string
	var suite bool
	cmd := &cobra.Command{
		Use:   "build-kubernetes [VERSION...]",
		Short: "Build the Kubernetes components of the given versions (default: the default version), the node runtime (containerd, runc), busybox and CoreDNS",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{kubeversions.Default}
			}
			for _, a := range args {
				v, ok := kubeversions.Lookup(a)
				if !ok {
					return fmt.Errorf("unknown Kubernetes version %q (known: %s)", a, knownVersions())
				}
				if k8sbuild.Dir(dir).Built(v) {
					fmt.Fprintf(os.Stderr, "Kubernetes %s already built in %s\n", v.Patch, k8sbuild.Dir(dir).BinDir(v))
					continue
				}
				if err := k8sbuild.Dir(dir).Build(cmd.Context(), v, os.Stderr); err != nil {
					return err
				}
			}
			if suite {
				for _, a := range args {
					v, _ := kubeversions.Lookup(a)
					if err := k8sbuild.Dir(dir).BuildConformance(cmd.Context(), v, os.Stderr); err != nil {
						return err
					}
				}
			}
			linkKubectl(k8sbuild.Dir(dir))
			// Every node runs this containerd and runc; keks's images are
			// made of this busybox.
			if err := k8sbuild.Dir(dir).BuildNodeRuntime(cmd.Context(), os.Stderr); err != nil {
				return err
			}
			if err := k8sbuild.Dir(dir).BuildBusybox(cmd.Context(), os.Stderr); err != nil {
				return err
			}
			// The coredns add-on every cluster gets runs this build.
			if err := k8sbuild.Dir(dir).BuildCoreDNS(cmd.Context(), os.Stderr); err != nil {
				return err
			}
			// The upstream programs of the other add-ons (metrics-server...).
			return k8sbuild.Dir(dir).BuildAddonPrograms(cmd.Context(), os.Stderr)
		},
	}
	cmd.Flags().StringVar(&dir, "k8s-dir", defaultK8sDir(), "directory of Kubernetes builds")
	cmd.Flags().BoolVar(&suite, "conformance", false, "also build each version's conformance suite (e2e.test and ginkgo), as keks conformance would on first use")
	return cmd
}

func knownVersions() string {
	s := ""
	for i, v := range kubeversions.All() {
		if i > 0 {
			s += ", "
		}
		s += v.Minor
	}
	return s
}

// linkKubectl puts the default version's kubectl beside keks, so a user
// without kubectl has one that matches the clusters keks makes.
func linkKubectl(d k8sbuild.Dir) {
	v, _ := kubeversions.Lookup(kubeversions.Default)
	exe, err := os.Executable()
	if err != nil || !d.Built(v) {
		return
	}
	link := filepath.Join(filepath.Dir(exe), "kubectl")
	target, err := filepath.Abs(d.Path(v, "kubectl"))
	if err != nil {
		return
	}
	_ = os.Remove(link)
	if err := os.Symlink(target, link); err == nil {
		fmt.Fprintf(os.Stderr, "kubectl %s: %s\n", v.Patch, link)
	}
}
